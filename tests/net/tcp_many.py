#!/usr/bin/env python3
"""N concurrent short TCP connections to an echo service, from one thread
(non-blocking sockets and a selector): every connection connects, sends 100
bytes and reads them back; with --hold S, all N stay open together until
every one has been echoed ("all open" is printed then), S seconds more, and
only then are all of them closed. Exit 1 on any mismatch/failure, 2 on the
deadline.   tcp_many.py HOST PORT --count N [--hold S] [--deadline S]"""
import argparse
import errno
import resource
import selectors
import socket
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("host")
p.add_argument("port", type=int)
p.add_argument("--count", type=int, default=200)
p.add_argument("--hold", type=float, default=None)
p.add_argument("--deadline", type=float, default=30.0)
a = p.parse_args()
end = time.monotonic() + a.deadline

# One descriptor per connection: raise the soft limit to the hard one.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < a.count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < a.count + 64:
        print(f"tcp_many: open-files limit {hard} < {a.count + 64}", file=sys.stderr)
        sys.exit(1)

sel = selectors.DefaultSelector()
errors = []


class Conn:
    def __init__(self, i):
        self.i = i
        self.msg = bytes((i + k) & 0xFF for k in range(100))
        self.got = b""
        self.sent = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setblocking(False)
        rc = self.s.connect_ex((a.host, a.port))
        if rc not in (0, errno.EINPROGRESS):
            raise OSError(rc, f"conn {i}: connect: {errno.errorcode.get(rc, rc)}")
        sel.register(self.s, selectors.EVENT_WRITE, self)

    def event(self, mask):
        """Returns True once the echo is complete."""
        if self.sent < len(self.msg):
            err = self.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, f"conn {self.i}: connect: {errno.errorcode.get(err, err)}")
            self.sent += self.s.send(self.msg[self.sent:])
            if self.sent == len(self.msg):
                sel.modify(self.s, selectors.EVENT_READ, self)
            return False
        b = self.s.recv(4096)
        if not b:
            raise OSError(0, f"conn {self.i}: EOF after {len(self.got)} bytes")
        self.got += b
        if len(self.got) < len(self.msg):
            return False
        if self.got != self.msg:
            raise OSError(0, f"conn {self.i}: echo mismatch")
        sel.unregister(self.s)
        return True


conns = []
done = 0
try:
    for i in range(a.count):
        conns.append(Conn(i))
        # Keep the SYNs flowing while connections are still being created.
        for key, mask in sel.select(0):
            done += key.data.event(mask)
    while done < a.count:
        if time.monotonic() > end:
            print(f"tcp_many: deadline passed ({done}/{a.count} echoed)", file=sys.stderr)
            sys.exit(2)
        for key, mask in sel.select(0.2):
            done += key.data.event(mask)
except OSError as e:
    errors.append(str(e))

if errors:
    print("tcp_many: " + "; ".join(errors[:5]), file=sys.stderr)
    sys.exit(1)
if a.hold is not None:
    print(f"tcp_many: all open ({a.count})", flush=True)
    time.sleep(min(a.hold, max(0.0, end - time.monotonic())))
for c in conns:
    c.s.close()
print(f"tcp_many count={a.count} ok", flush=True)
