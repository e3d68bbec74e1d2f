#!/usr/bin/env python3
"""One TCP connection to an echo service kept across external steps (runs
in the Linux peer's namespace).

Connects, checks an echo round, then for every --step: runs the command
(it must exit 0 within its timeout) and checks another echo round on the
same connection. A reset, a timeout or a wrong byte fails the run, so a
step that drops the connection (a config reload that resets it) is caught.
Exit status 0 = every round came back byte-exact on the one connection."""
import argparse
import os
import socket
import subprocess
import sys


def echo_round(s, n, seed):
    data = os.urandom(n) if seed is None else bytes((seed * 131 + i * 7) & 255 for i in range(n))
    s.sendall(data)
    got = bytearray()
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise RuntimeError(f"connection closed after {len(got)} of {n} echoed bytes")
        got += chunk
    if bytes(got) != data:
        raise RuntimeError("echoed bytes differ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--bytes", type=int, default=65536)
    ap.add_argument("--step", action="append", default=[], help="shell command run between rounds")
    ap.add_argument("--step-timeout", type=float, default=60.0)
    a = ap.parse_args()

    s = socket.create_connection((a.addr, a.port), timeout=10)
    s.settimeout(10)
    local = s.getsockname()
    try:
        echo_round(s, a.bytes, 1)
        print(f"connected from {local[0]}:{local[1]}, first echo ok")
        for i, cmd in enumerate(a.step, 1):
            r = subprocess.run(["bash", "-c", cmd], timeout=a.step_timeout)
            if r.returncode != 0:
                print(f"FAIL: step {i} exited {r.returncode}: {cmd}")
                return 1
            echo_round(s, a.bytes, i + 1)
            print(f"step {i}: echo ok on the same connection")
    except (OSError, RuntimeError) as e:
        print(f"FAIL: {e}")
        return 1
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
