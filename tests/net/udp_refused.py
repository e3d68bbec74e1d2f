#!/usr/bin/env python3
"""A datagram to a closed port must come back as ICMP port unreachable, which
the kernel's connected UDP socket reports as ECONNREFUSED."""
import errno
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((addr, port))
s.settimeout(2.0)
for _ in range(3):
    s.send(b"anyone there?")
    try:
        s.recv(100)
        print("unexpected answer from a closed port", file=sys.stderr)
        sys.exit(1)
    except ConnectionRefusedError:
        print("udp closed port: ECONNREFUSED")
        sys.exit(0)
    except socket.timeout:
        continue
print("no ICMP port unreachable within 3 tries", file=sys.stderr)
sys.exit(1)
