#!/usr/bin/env python3
"""UDP echo server for the Linux peer: every datagram goes back to exactly
the address it came from, from one process.

  udp_echo_server.py PORT [SECONDS]     (default 600 s, then exits)

Used instead of `socat UDP-RECVFROM:PORT,fork PIPE`, whose per-datagram
children stay alive and may read later datagrams from the shared socket and
answer them to their own (earlier) peer, so a client sees echoes go missing.
"""
import socket
import sys
import time

port = int(sys.argv[1])
deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 600.0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("0.0.0.0", port))
s.settimeout(0.5)
while time.monotonic() < deadline:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        continue
    try:
        s.sendto(data, peer)
    except OSError:
        pass  # e.g. EMSGSIZE: the client sees a missing echo
