#!/usr/bin/env python3
"""Linux-side load for the TCP benchmarks (tcp_throughput.sh, tcp_crr.sh,
tcp_idle_mem.sh). Unlike tests/net/tcp_bulk.py it neither generates nor
hashes a seeded stream, so the tool is not what limits the rate.

  recv HOST PORT                 connect, read until EOF; print the rate
  send HOST PORT --bytes N       connect, send N bytes, half-close, wait for
                                 EOF; print the rate
  server --bind A --port P --mode source|discard|echo [--bytes N]
                                 a Linux server (one thread per connection)
  crr HOST PORT --seconds T [--size 64]
                                 connect, send SIZE bytes, read the echo,
                                 close, again; print connections per second
  idle HOST PORT --count N --sources A,B,.. [--deadline S]
                                 open N connections (non-blocking connects
                                 from several source addresses), print
                                 "ready N" and hold them until stdin closes

Rates: one line "tcp_bench MODE bytes=N seconds=T mbit_s=R" (or
"conn_s=R"). Exit 2 on a deadline, 1 on an error.
"""
import argparse
import os
import resource
import selectors
import socket
import sys
import threading
import time

BUF = bytes(range(256)) * 4096  # 1 MiB


def report(mode, n, secs, unit="mbit_s"):
    rate = (n * 8 / secs / 1e6) if unit == "mbit_s" else (n / secs)
    print(f"tcp_bench {mode} bytes={n} seconds={secs:.3f} {unit}={rate:.1f}", flush=True)


def connect(host, port, deadline):
    s = socket.create_connection((host, port), timeout=deadline)
    s.settimeout(deadline)
    return s


def drain(s):
    buf = bytearray(1 << 20)
    n = 0
    while True:
        got = s.recv_into(buf)
        if got == 0:
            return n
        n += got


def send_n(s, n):
    view = memoryview(BUF)
    left = n
    while left > 0:
        k = min(left, len(BUF))
        s.sendall(view[:k])
        left -= k


def do_recv(a):
    s = connect(a.host, a.port, a.deadline)
    t0 = time.monotonic()
    n = drain(s)
    report("recv", n, time.monotonic() - t0)


def do_send(a):
    s = connect(a.host, a.port, a.deadline)
    t0 = time.monotonic()
    send_n(s, a.bytes)
    s.shutdown(socket.SHUT_WR)
    drain(s)  # the server closes once it has read everything
    report("send", a.bytes, time.monotonic() - t0)


def serve(conn, a):
    with conn:
        if a.mode == "source":
            send_n(conn, a.bytes)
            conn.shutdown(socket.SHUT_WR)
            drain(conn)
        elif a.mode == "discard":
            drain(conn)
        else:  # echo
            buf = bytearray(1 << 16)
            while True:
                got = conn.recv_into(buf)
                if got == 0:
                    break
                conn.sendall(memoryview(buf)[:got])


def echo_loop(ls):
    """Echo without a thread per connection (for the CRR comparison): one
    epoll loop, as a C echo server would run; small messages only."""
    sel = selectors.DefaultSelector()
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is ls:
                try:
                    conn, _ = ls.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionError:
                b = b""
            if b:
                s.sendall(b)  # a 64-byte echo fits the socket buffer
            else:
                sel.unregister(s)
                s.close()


def do_server(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(4096)
    print(f"tcp_bench server {a.mode} on {a.bind}:{a.port}", flush=True)
    if a.mode == "echo":
        echo_loop(ls)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, a), daemon=True).start()


def do_crr(a):
    msg = BUF[: a.size]
    end = time.monotonic() + a.seconds
    n = 0
    t0 = time.monotonic()
    while time.monotonic() < end:
        s = socket.create_connection((a.host, a.port), timeout=a.deadline)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(msg)
        got = 0
        while got < a.size:
            b = s.recv(a.size - got)
            if not b:
                sys.exit("crr: connection closed before the echo")
            got += len(b)
        s.close()
        n += 1
    report("crr", n, time.monotonic() - t0, unit="conn_s")


def do_idle(a):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.count + 64:  # the hard limit bounds one process: run several
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sources = a.sources.split(",")
    sel = selectors.DefaultSelector()
    socks = []
    pending = 0
    end = time.monotonic() + a.deadline
    opened = 0
    # At most `window` connects in flight: a SYN flood would only meet the
    # listener's backlog (and SYN cookies) and stretch the run.
    while opened < a.count or pending:
        while opened < a.count and pending < a.window:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((sources[opened % len(sources)], 0))
            try:
                s.connect((a.host, a.port))
            except BlockingIOError:
                pass
            sel.register(s, selectors.EVENT_WRITE)
            socks.append(s)
            pending += 1
            opened += 1
        if time.monotonic() > end:
            print(f"idle: deadline with {len(socks) - pending} connected", file=sys.stderr)
            sys.exit(2)
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                sys.exit(f"idle: connect failed: {os.strerror(err)}")
    print(f"ready {len(socks)}", flush=True)
    sys.stdin.read()  # hold until the caller closes our stdin
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("recv", "send", "crr", "idle"):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.add_argument("--deadline", type=float, default=60.0)
    sub.choices["send"].add_argument("--bytes", type=int, required=True)
    sub.choices["crr"].add_argument("--seconds", type=float, default=5.0)
    sub.choices["crr"].add_argument("--size", type=int, default=64)
    sub.choices["idle"].add_argument("--count", type=int, required=True)
    sub.choices["idle"].add_argument("--sources", required=True)
    sub.choices["idle"].add_argument("--window", type=int, default=256)
    sv = sub.add_parser("server")
    sv.add_argument("--bind", default="0.0.0.0")
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--mode", choices=("source", "discard", "echo"), required=True)
    sv.add_argument("--bytes", type=int, default=0)
    a = p.parse_args()
    try:
        {"recv": do_recv, "send": do_send, "server": do_server, "crr": do_crr, "idle": do_idle}[a.cmd](a)
    except socket.timeout:
        print(f"{a.cmd}: deadline", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print(f"{a.cmd}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
