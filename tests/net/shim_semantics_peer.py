#!/usr/bin/env python3
"""Linux peer of shim_test_socket_semantics (tests/net/test_shim_semantics.sh):
one behaviour per TCP port, on the address given, plus a UDP echo.
   shim_semantics_peer.py ADDR BASE_PORT      (ADDR IPv4 or IPv6: the sockets' family follows it)
BASE+1 echo until the peer's FIN, then close     BASE+2 send b"hello", close
BASE+3 RST after 0.2 s (SO_LINGER 0 close)           BASE+4 accept, never read (hold)
BASE+5 connect back: reads "PORT ACTION\\n" and connects to the caller's
       address at PORT: ACTION send (b"hi", close), rst, close
BASE+6 UDP echo                                  BASE+9 nothing listens
Runs until killed; one thread per connection."""
import socket
import struct
import sys
import threading
import time

addr, base = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
held = []


def echo(c):
    with c:
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
        except OSError:
            pass


def hello(c):
    with c:
        c.sendall(b"hello")


def rst(c, delay=0.2):
    time.sleep(delay)  # the client's connect() has returned by then
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def hold(c):
    held.append(c)  # never read, closed when the test ends


def connect_back(c):
    with c:
        line = b""
        while not line.endswith(b"\n"):
            b = c.recv(100)
            if not b:
                return
            line += b
        port, action = line.decode().split()
        host = c.getpeername()[0]
        d = socket.create_connection((host, int(port)), timeout=5)
        if action == "send":
            d.sendall(b"hi")
            d.close()
        elif action == "rst":
            rst(d)
        else:
            d.close()
        c.sendall(b"done")


def serve(port, handler):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


def udp_echo(port):
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.bind((addr, port))
    while True:
        b, a = u.recvfrom(65536)
        u.sendto(b, a)


for off, h in ((1, echo), (2, hello), (3, rst), (4, hold), (5, connect_back)):
    threading.Thread(target=serve, args=(base + off, h), daemon=True).start()
threading.Thread(target=udp_echo, args=(base + 6,), daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
