#!/usr/bin/env python3
"""Linux-side TCP bulk tool for the network tests.

  send HOST PORT --bytes N [--seed S] [--echo]   connect, send N bytes of the
        seeded stream, half-close; with --echo read the echo back and compare.
  recv HOST PORT [--expect-bytes N --seed S | --expect-sha256 H]
        connect, read until EOF (e.g. from a chargen source), report.
  server --port P --mode sink|echo|discard|source [--count C] [--expect-bytes N --seed S]
        [--bytes N]
        a Linux server for the Linux-to-Linux comparison; sink reports what
        each connection delivered; source sends N bytes of the seeded stream
        and closes (the Linux stand-in for stackd's chargen source).

Every mode prints one line per transfer:
  tcp_bulk MODE bytes=N sha256=H seconds=T mbit_s=R
and exits 1 on a mismatch, 2 when --deadline (seconds) passes first.

The seeded stream is 1 MiB chunks, chunk i = random.Random(seed*1000003+i)
.randbytes(1 MiB), cut at N bytes: the same on every machine and Python >= 3.9.
"""
import argparse
import hashlib
import random
import socket
import sys
import threading
import time

CHUNK = 1 << 20


class Deadline(Exception):
    pass


def stream(seed, n):
    i = 0
    while n > 0:
        block = random.Random(seed * 1000003 + i).randbytes(CHUNK)
        yield block[:n] if n < CHUNK else block
        n -= min(n, CHUNK)
        i += 1


def stream_sha256(seed, n):
    h = hashlib.sha256()
    for block in stream(seed, n):
        h.update(block)
    return h.hexdigest()


class Clock:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def arm(self, sock):
        left = self.end - time.monotonic()
        if left <= 0:
            raise Deadline()
        sock.settimeout(left)


def report(mode, n, digest, seconds):
    rate = n * 8 / seconds / 1e6 if seconds > 0 else 0.0
    print(f"tcp_bulk {mode} bytes={n} sha256={digest} seconds={seconds:.3f} mbit_s={rate:.1f}", flush=True)


def read_all(sock, clock, sink=None):
    """Reads until EOF; returns (bytes, sha256 hex)."""
    h = hashlib.sha256()
    n = 0
    buf = bytearray(256 * 1024)
    view = memoryview(buf)
    while True:
        clock.arm(sock)
        try:
            got = sock.recv_into(buf)
        except socket.timeout as e:
            raise Deadline() from e
        if got == 0:
            return n, h.hexdigest()
        h.update(view[:got])
        n += got
        if sink is not None:
            sink(view[:got])


def send_all(sock, seed, n, clock):
    h = hashlib.sha256()
    for block in stream(seed, n):
        h.update(block)
        clock.arm(sock)
        try:
            sock.sendall(block)
        except socket.timeout as e:
            raise Deadline() from e
    sock.shutdown(socket.SHUT_WR)
    return h.hexdigest()


def check(args, n, digest):
    ok = True
    if args.expect_bytes is not None and n != args.expect_bytes:
        print(f"tcp_bulk: got {n} bytes, expected {args.expect_bytes}", file=sys.stderr)
        ok = False
    want = args.expect_sha256
    if want is None and args.expect_bytes is not None and args.seed is not None:
        want = stream_sha256(args.seed, args.expect_bytes)
    if want is not None and digest != want:
        print(f"tcp_bulk: sha256 {digest} != expected {want}", file=sys.stderr)
        ok = False
    return ok


def connect(args, clock):
    s = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    clock.arm(s)
    try:
        s.connect((args.host, args.port))
    except socket.timeout as e:
        raise Deadline() from e
    return s


def do_send(args, clock):
    seed = 1 if args.seed is None else args.seed
    s = connect(args, clock)
    t0 = time.monotonic()
    if not args.echo:
        digest = send_all(s, seed, args.bytes, clock)
        # Wait for the peer's close, so the time covers delivery.
        read_all(s, clock)
        report("send", args.bytes, digest, time.monotonic() - t0)
        return True
    result = {}

    def sender():
        try:
            result["sent"] = send_all(s, seed, args.bytes, clock)
        except BaseException as e:  # reported by the main thread
            result["error"] = e

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    n, digest = read_all(s, clock)
    t.join(max(0.0, clock.end - time.monotonic()))
    if "error" in result:
        raise result["error"]
    if t.is_alive():
        raise Deadline()
    report("echo", n, digest, time.monotonic() - t0)
    ok = n == args.bytes and digest == result["sent"]
    if not ok:
        print(f"tcp_bulk: echo returned {n} bytes sha256={digest}, sent {args.bytes} sha256={result['sent']}",
              file=sys.stderr)
    return ok


def do_recv(args, clock):
    s = connect(args, clock)
    t0 = time.monotonic()
    n, digest = read_all(s, clock)
    report("recv", n, digest, time.monotonic() - t0)
    return check(args, n, digest)


def serve_one(conn, args, clock):
    t0 = time.monotonic()
    if args.mode == "source":
        digest = send_all(conn, 1 if args.seed is None else args.seed, args.bytes, clock)
        read_all(conn, clock)  # until the client closes: all delivered
        conn.close()
        report("source", args.bytes, digest, time.monotonic() - t0)
        return True
    if args.mode == "echo":
        n, digest = read_all(conn, clock, sink=lambda b: conn.sendall(b))
        conn.shutdown(socket.SHUT_WR)
    else:
        n, digest = read_all(conn, clock)
    conn.close()
    report(args.mode, n, digest, time.monotonic() - t0)
    return args.mode != "sink" or check(args, n, digest)


def do_server(args, clock):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(128)
    print(f"tcp_bulk server listening on {args.bind}:{args.port}", flush=True)
    ok = True
    for _ in range(args.count):
        clock.arm(ls)
        try:
            conn, _ = ls.accept()
        except socket.timeout as e:
            raise Deadline() from e
        ok = serve_one(conn, args, clock) and ok
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("send", "recv"):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
    sub.choices["send"].add_argument("--bytes", type=int, required=True)
    sub.choices["send"].add_argument("--echo", action="store_true")
    sv = sub.add_parser("server")
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--bind", default="0.0.0.0")
    sv.add_argument("--mode", choices=("sink", "echo", "discard", "source"), default="sink")
    sv.add_argument("--count", type=int, default=1)
    sv.add_argument("--bytes", type=int, default=0, help="source: bytes to send")
    for sp in sub.choices.values():
        sp.add_argument("--seed", type=int)
        sp.add_argument("--deadline", type=float, default=60.0)
        sp.add_argument("--expect-bytes", type=int)
        sp.add_argument("--expect-sha256")
    args = p.parse_args()
    clock = Clock(args.deadline)
    try:
        ok = {"send": do_send, "recv": do_recv, "server": do_server}[args.cmd](args, clock)
    except Deadline:
        print(f"tcp_bulk {args.cmd}: deadline of {args.deadline} s passed", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"tcp_bulk {args.cmd}: {e}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
