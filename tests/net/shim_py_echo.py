#!/usr/bin/env python3
"""Python programs run under the shim by test_shim_python.sh (unmodified
interpreter; the waits are epoll, poll and select on the socket's own fd).
   shim_py_echo.py server PORT CLIENTS   selectors (epoll) echo server, non-blocking, edge and level mixed
   shim_py_echo.py client HOST PORT BYTES  settimeout (poll) + select.select client, verifies the echo"""
import select
import selectors
import socket
import sys


def server(port, clients):
    sel = selectors.DefaultSelector()  # epoll on Linux
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port))
    l.listen(16)
    l.setblocking(False)
    sel.register(l, selectors.EVENT_READ)
    print("listening", flush=True)
    pending = {}
    done = 0
    while done < clients:
        events = sel.select(timeout=30)
        if not events:
            sys.exit("server: no event for 30 s")
        for key, mask in events:
            s = key.fileobj
            if s is l:
                c, _ = l.accept()
                c.setblocking(False)
                pending[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            if mask & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                if not b:
                    if pending[s]:
                        # flush what is left, blocking, then close
                        s.setblocking(True)
                        s.sendall(pending[s])
                    sel.unregister(s)
                    s.close()
                    del pending[s]
                    done += 1
                    continue
                pending[s] += b
            if pending.get(s):
                try:
                    n = s.send(pending[s])
                    pending[s] = pending[s][n:]
                except BlockingIOError:
                    pass
                sel.modify(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if pending[s] else 0))
    print("served", done, flush=True)


def pattern(n):
    return bytes((i * 7 + (i >> 10)) & 0xFF for i in range(n))


def client(host, port, n):
    data = pattern(n)
    s = socket.create_connection((host, port), timeout=10)  # non-blocking + poll inside
    s.setblocking(False)
    sent, got = 0, bytearray()
    while len(got) < n:
        w = [s] if sent < n else []
        r, wr, _ = select.select([s], w, [], 10)
        if not r and not wr:
            sys.exit(f"client: select idle 10 s (sent {sent}, got {len(got)})")
        if wr:
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
            if sent == n:
                s.shutdown(socket.SHUT_WR)
        if r:
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            if not b:
                break
            got += b
    s.settimeout(10)
    assert s.recv(1) == b"", "no EOF after the echo"
    s.close()
    if bytes(got) != data:
        sys.exit(f"client: echo differs ({len(got)} of {n} bytes)")
    print("client ok", n, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
