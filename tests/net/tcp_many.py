#!/usr/bin/env python3
"""N concurrent short TCP connections to an echo service: each connects,
sends 100 bytes, reads them back, closes. Exit 1 on any mismatch/failure,
2 on the deadline.   tcp_many.py HOST PORT --count N [--deadline S]"""
import argparse
import socket
import sys
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("host")
p.add_argument("port", type=int)
p.add_argument("--count", type=int, default=200)
p.add_argument("--deadline", type=float, default=30.0)
a = p.parse_args()
end = time.monotonic() + a.deadline
errors = []


def one(i):
    try:
        msg = bytes((i + k) & 0xFF for k in range(100))
        with socket.create_connection((a.host, a.port), timeout=max(1.0, end - time.monotonic())) as s:
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(4096)
                if not b:
                    break
                got += b
            if got != msg:
                errors.append(f"conn {i}: echo mismatch ({len(got)} bytes)")
    except Exception as e:  # noqa: BLE001 - report every failure
        errors.append(f"conn {i}: {e}")


threads = [threading.Thread(target=one, args=(i,)) for i in range(a.count)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(0.0, end - time.monotonic()))
if any(t.is_alive() for t in threads):
    print("tcp_many: deadline passed", file=sys.stderr)
    sys.exit(2)
if errors:
    print("tcp_many: " + "; ".join(errors[:5]), file=sys.stderr)
    sys.exit(1)
print(f"tcp_many count={a.count} ok")
