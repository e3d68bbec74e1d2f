#!/usr/bin/env python3
"""AF_INET6 programs run under the shim by test_shim_ipv6.sh (unmodified
python3; every wait bounded).
   shim_py_ipv6.py dual PORT CLIENTS  [::] listener (IPV6_V6ONLY 0) echoing CLIENTS connections, one at a
                                      time; PORT+1: an IPV6_V6ONLY 1 listener (IPv4 clients refused);
                                      prints each peer and the sizes of the names
   shim_py_ipv6.py udp HOST PORT N    AF_INET6 UDP client: N datagrams echoed by HOST, each checked
   shim_py_ipv6.py loopback           ::1 and ::ffff:127.0.0.1 are handed over to kernel sockets of the
                                      same family, with the options set before; also an unbound UDP
                                      socket's first sendto to ::1 / 127.0.0.1
   shim_py_ipv6.py socket             creates an AF_INET6 TCP socket (fails under --fallback fail without stackd)"""
import os
import socket
import sys


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def dual(port, clients):
    l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    check(l.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0, "V6ONLY 0 not read back")
    l.bind(("::", port))
    l.listen(8)
    only = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    only.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    check(only.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1, "V6ONLY 1 not read back")
    only.bind(("::", port + 1))
    only.listen(8)
    name = l.getsockname()
    check(len(name) == 4 and name[0] == "::" and name[1] == port, f"listener name {name}")
    print("listening", flush=True)
    l.settimeout(30)
    for _ in range(clients):
        c, peer = l.accept()
        with c:
            c.settimeout(30)
            # The raw sockaddr lengths: sockaddr_in6 (28 bytes) both ways.
            raw_peer = c.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
            check(raw_peer == socket.AF_INET6, f"accepted socket's SO_DOMAIN {raw_peer}")
            check(c.getpeername() == peer, f"getpeername {c.getpeername()} != accept's {peer}")
            print(f"peer {peer[0]} local {c.getsockname()[0]}", flush=True)
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
    only.close()
    l.close()


def udp(host, port, n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(2)
    got = 0
    for i in range(n * 5):
        if got == n:
            break
        msg = os.urandom(32 + i % 1200)
        s.sendto(msg, (host, port))
        try:
            data, frm = s.recvfrom(65536)
        except socket.timeout:
            continue  # a lost datagram: send the next one
        check(frm[0] == host and frm[1] == port, f"echo from {frm}")
        if data == msg:
            got += 1
    check(got == n, f"{got} of {n} UDP echoes")
    name = s.getsockname()
    check(len(name) == 4 and name[1] != 0, f"UDP socket name {name}")
    print(f"udp {got} echoes from {host}, local {name[0]} port {name[1]}", flush=True)


def in_proc_net(port, state):
    """The listener is a kernel socket: /proc/self/net/tcp6 lists it."""
    for line in open("/proc/self/net/tcp6"):
        f = line.split()
        if len(f) > 3 and f[1].endswith(":%04X" % port) and f[3] == state:
            return True
    return False


def loopback():
    l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    l.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    l.bind(("::1", 0))  # the hand-over: a kernel AF_INET6 socket from here on
    check(l.family == socket.AF_INET6, "family")
    check(l.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET6, "kernel socket not AF_INET6")
    for lvl, opt, nm in ((socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, "IPV6_V6ONLY"),
                         (socket.SOL_SOCKET, socket.SO_REUSEADDR, "SO_REUSEADDR"),
                         (socket.IPPROTO_TCP, socket.TCP_NODELAY, "TCP_NODELAY"),
                         (socket.SOL_SOCKET, socket.SO_KEEPALIVE, "SO_KEEPALIVE")):
        check(l.getsockopt(lvl, opt) != 0, f"{nm} lost in the hand-over")
    l.listen(4)
    port = l.getsockname()[1]
    check(in_proc_net(port, "0A"), f"no kernel listener on [::1]:{port}")
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # a bind to ::1 sets it anyway, a connect does not
    c.settimeout(10)
    c.connect(("::1", port))
    check(c.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1, "IPV6_V6ONLY lost in the connect hand-over")
    a, peer = l.accept()
    check(peer[0] == "::1", f"peer {peer}")
    c.sendall(b"over ::1")
    check(a.recv(100) == b"over ::1", "bytes over ::1")
    # A v4-mapped loopback connect from an AF_INET6 socket reaches an IPv4
    # kernel listener on 127.0.0.1 (the hand-over keeps V6ONLY off).
    l4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l4.bind(("127.0.0.1", 0))
    l4.listen(4)
    p4 = l4.getsockname()[1]
    m = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    m.settimeout(10)
    m.connect(("::ffff:127.0.0.1", p4))
    a4, peer4 = l4.accept()
    check(peer4[0] == "127.0.0.1", f"v4 peer {peer4}")
    check(m.getsockname()[0] == "::ffff:127.0.0.1", f"mapped name {m.getsockname()}")
    m.sendall(b"mapped")
    check(a4.recv(100) == b"mapped", "bytes over ::ffff:127.0.0.1")
    # A UDP socket too.
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.bind(("::1", 0))
    v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v.settimeout(10)
    v.connect(u.getsockname()[:2])
    v.send(b"udp ::1")
    check(u.recvfrom(100)[0] == b"udp ::1", "UDP over ::1")
    # An unbound UDP socket's first sendto to a loopback address (no bind,
    # no connect): handed over too, and the answer comes back to it.
    for fam, host in ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1")):
        r = socket.socket(fam, socket.SOCK_DGRAM)
        r.settimeout(10)
        r.bind((host, 0))
        w = socket.socket(fam, socket.SOCK_DGRAM)
        w.settimeout(10)
        w.sendto(b"first " + host.encode(), r.getsockname()[:2])
        data, frm = r.recvfrom(100)
        check(data == b"first " + host.encode(), f"first sendto to {host}: {data}")
        r.sendto(b"back", frm)
        check(w.recvfrom(100)[0] == b"back", f"answer to the sendto socket over {host}")
    print("loopback ok", flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == "dual":
        dual(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "udp":
        udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "loopback":
        loopback()
    elif cmd == "socket":
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
        print("socket ok", flush=True)
    else:
        sys.exit(__doc__)


main()
