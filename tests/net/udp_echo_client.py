#!/usr/bin/env python3
"""UDP echo client for the network tests (runs in the Linux peer's namespace).

Sends COUNT datagrams of seeded random sizes (1..65507 bytes) to an RFC 862
echo service and checks each comes back byte-identical. A datagram that gets
no answer is resent (at most --tries times), since UDP may lose one; the
test fails if any datagram never comes back or comes back different.
"""
import argparse
import random
import socket
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--max", type=int, default=65507)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--deadline", type=float, default=240.0, help="seconds for the whole run")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    family = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((a.addr, a.port))
    s.settimeout(1.0)
    start = time.monotonic()
    resent = 0
    total = 0
    for i in range(a.count):
        size = rng.randint(a.min, a.max)
        payload = rng.randbytes(size)
        for attempt in range(a.tries):
            if time.monotonic() - start > a.deadline:
                print(f"deadline of {a.deadline}s passed at datagram {i}", file=sys.stderr)
                return 1
            s.send(payload)
            try:
                while True:
                    got = s.recv(65535)
                    if got == payload:
                        break
                    # A late echo of an earlier resend: skip it, keep waiting.
                    if len(got) != size:
                        continue
                    print(f"datagram {i} ({size} bytes) came back different", file=sys.stderr)
                    return 1
                break
            except socket.timeout:
                resent += 1
        else:
            print(f"datagram {i} ({size} bytes) never came back after {a.tries} tries",
                  file=sys.stderr)
            return 1
        total += size
    took = time.monotonic() - start
    print(f"udp echo: {a.count} datagrams, {total} bytes each way, byte-identical, "
          f"{resent} resent, {took:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
