#!/usr/bin/python3
"""Control-plane update rate through the gRPC API (Debian's python3-grpcio,
one persistent channel, sequential unary calls as an operator's automation
would make them): route add+delete pairs and firewall rule add+delete pairs
per second, with `base_rules` rules already installed (every rule edit
recompiles the whole set).  usage: control_bench.py SOCKET GATEWAY SECONDS BASE_RULES
Prints: routes_per_s=N rules_per_s=N (one update = one add or one delete)."""
import sys
import time

import grpc
from stackd.v1 import stackd_pb2 as pb


def stub(ch, method, resp):
    return ch.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=resp.FromString)


def main():
    sock, gw, secs, base = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    ch = grpc.insecure_channel("unix:" + sock)
    rcreate = stub(ch, "/stackd.v1.Routes/Create", pb.Route)
    rdelete = stub(ch, "/stackd.v1.Routes/Delete", pb.Empty)
    fcreate = stub(ch, "/stackd.v1.Firewall/Create", pb.Rule)
    fdelete = stub(ch, "/stackd.v1.Firewall/Delete", pb.Empty)
    for i in range(base):  # rules the traffic passes: exact TCP ports
        fcreate(pb.CreateRuleRequest(append=True, rule=pb.Rule(
            match=pb.RuleMatch(protocol=6, dport=pb.PortRange(lo=2000 + i, hi=2000 + i)),
            verdict=pb.VERDICT_ACCEPT)), timeout=10)

    n, end = 0, time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        dst = f"10.{200 + (n >> 16) % 50}.{(n >> 8) & 255}.0/24"
        rcreate(pb.Route(dst=dst, via=gw), timeout=10)
        rdelete(pb.DeleteRouteRequest(dst=dst), timeout=10)
        n += 2
    routes = n / (time.monotonic() - t0)

    n, end = 0, time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        r = fcreate(pb.CreateRuleRequest(position=0, rule=pb.Rule(
            match=pb.RuleMatch(protocol=17, dport=pb.PortRange(lo=5555, hi=5555)),
            verdict=pb.VERDICT_DROP)), timeout=10)
        fdelete(pb.DeleteRuleRequest(handle=r.handle), timeout=10)
        n += 2
    rules = n / (time.monotonic() - t0)
    print(f"routes_per_s={routes:.0f} rules_per_s={rules:.0f}")


if __name__ == "__main__":
    main()
