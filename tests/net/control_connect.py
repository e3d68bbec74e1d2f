#!/usr/bin/env python3
"""TCP connect outcome for the firewall tests.
usage: control_connect.py ADDR PORT TIMEOUT -> prints one of
  connected <seconds> | refused <seconds> | timeout <seconds> | error:<errno> <seconds>"""
import errno
import socket
import sys
import time

addr, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket()
s.settimeout(limit)
t0 = time.monotonic()
try:
    s.connect((addr, port))
    s.sendall(b"ping")
    got = s.recv(4)
    print("connected" if got == b"ping" else "noecho", f"{time.monotonic() - t0:.3f}")
except socket.timeout:
    print("timeout", f"{time.monotonic() - t0:.3f}")
except ConnectionRefusedError:
    print("refused", f"{time.monotonic() - t0:.3f}")
except OSError as e:
    print(f"error:{errno.errorcode.get(e.errno, e.errno)}", f"{time.monotonic() - t0:.3f}")
