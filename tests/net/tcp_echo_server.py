#!/usr/bin/env python3
"""Linux-side TCP echo server for the client-library tests: one thread per
connection, echoes until the peer's FIN, then closes. Runs until killed.
   tcp_echo_server.py PORT"""
import socket
import sys
import threading


def serve(c):
    with c:
        try:
            while True:
                b = c.recv(262144)
                if not b:
                    break
                c.sendall(b)
        except (ConnectionResetError, BrokenPipeError):
            pass  # a client that was killed or reset: nothing to report


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
