#!/usr/bin/env python3
"""Linux-side peer for the client-death tests: accept one connection,
echo (or sink) what arrives, and report how the connection ended:
   tcp_end_watch.py PORT echo|sink  ->  prints "end=reset bytes=N" or "end=eof bytes=N"."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
n = 0
end = "eof"
try:
    while True:
        b = c.recv(262144)
        if not b:
            break
        n += len(b)
        if sys.argv[2] == "echo":
            c.sendall(b)
except (ConnectionResetError, BrokenPipeError):
    end = "reset"
print(f"end={end} bytes={n}", flush=True)
