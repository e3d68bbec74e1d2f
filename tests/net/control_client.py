#!/usr/bin/python3
# Debian's python3 (python3-grpcio, python3-protobuf), not a pyenv one.
"""A gRPC client of stackd.v1 that is not stackctl: python3-grpcio with the
protoc-generated messages (build/proto/python). Health check, a route added
and listed, counters read, server reflection lists the services, and on the
loopback TCP port only health answers.
usage: control_client.py SOCKET PREFIX GATEWAY [TCP_PORT]"""
import sys

import grpc
from stackd.v1 import stackd_pb2 as pb


def unary(ch, method, req, resp_type):
    return ch.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=resp_type.FromString)(req, timeout=10)


def main():
    sock, prefix, gw = sys.argv[1:4]
    ch = grpc.insecure_channel("unix:" + sock)
    # grpc.health.v1.Health/Check with an empty request: status 1 = SERVING.
    health = ch.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                            response_deserializer=lambda b: b)(b"", timeout=10)
    assert health == b"\x08\x01", f"health: {health!r}"
    r = unary(ch, "/stackd.v1.Routes/Create", pb.Route(dst=prefix, via=gw, metric=7), pb.Route)
    assert r.dev, r
    routes = unary(ch, "/stackd.v1.Routes/List", pb.ListRoutesRequest(), pb.ListRoutesResponse)
    assert any(x.dst == prefix and x.via == gw and x.metric == 7 for x in routes.routes), routes
    counters = unary(ch, "/stackd.v1.Counters/List", pb.ListCountersRequest(include_zero=True),
                     pb.ListCountersResponse)
    names = {c.name for c in counters.counters}
    assert "TcpActiveOpens" in names and "IpInReceives" in names, names
    # Server reflection (grpc++_reflection): list_services (field 7) answers
    # with every service name, so grpcurl-style clients need no .proto.
    refl = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                            request_serializer=lambda b: b, response_deserializer=lambda b: b)
    listing = next(iter(refl(iter([b"\x3a\x00"]), timeout=10)))
    for svc in (b"stackd.v1.Routes", b"stackd.v1.Firewall", b"grpc.health.v1.Health"):
        assert svc in listing, (svc, listing)
    if len(sys.argv) > 4:  # the loopback TCP port: health yes, anything else no
        tcp = grpc.insecure_channel("127.0.0.1:" + sys.argv[4])
        assert tcp.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)(b"", timeout=10) == b"\x08\x01"
        try:
            unary(tcp, "/stackd.v1.Routes/List", pb.ListRoutesRequest(), pb.ListRoutesResponse)
            raise AssertionError("Routes/List answered on the TCP port")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.PERMISSION_DENIED, e
    print("python client ok")


if __name__ == "__main__":
    main()
