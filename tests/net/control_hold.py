#!/usr/bin/env python3
"""Hold one TCP connection to the echo service and echo a message through
it every 0.2 s; prints "ok N" after each good round trip, "fail" and exits 1
on a timeout or reset.  usage: control_hold.py ADDR PORT SECONDS"""
import socket
import sys
import time

addr, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((addr, port), timeout=3)
end = time.monotonic() + secs
n = 0
while time.monotonic() < end:
    try:
        s.sendall(b"x" * 100)
        got = b""
        while len(got) < 100:
            chunk = s.recv(100 - len(got))
            if not chunk:
                raise OSError("closed")
            got += chunk
    except OSError as e:
        print("fail", e, flush=True)
        sys.exit(1)
    n += 1
    print("ok", n, flush=True)
    time.sleep(0.2)
