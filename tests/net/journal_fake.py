#!/usr/bin/env python3
"""A stand-in journald for test_journal.sh (run inside a private mount
namespace whose /run/systemd is a fresh tmpfs): binds
/run/systemd/journal/socket, starts stackd with stderr to a file and
JOURNAL_STREAM set (to that file's dev:ino, or to another one with
--mismatch), and parses the native protocol datagrams sd_journal_send
writes ("KEY=value\\n", or "KEY\\n<le64 size><bytes>\\n" for values with
newlines).

  match:    an entry "interface IF: ..." with PRIORITY=6,
            SYSLOG_IDENTIFIER=stackd and STACKD_INTERFACE=IF; after SIGHUP
            with an invalid file, PRIORITY=3 entries with
            STACKD_CONFIG_FILE and STACKD_CONFIG_LINE; and none of these
            lines as plain text on stderr
  mismatch: no datagram at all; the plain lines are on stderr"""
import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import time


def parse(data):
    kv = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            kv[k.decode()] = v.decode()
            i = nl + 1
        else:
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            kv[line.decode()] = data[nl + 9:nl + 9 + n].decode()
            i = nl + 9 + n + 1
    return kv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stackd", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--bad-config", required=True, help="copied over --config before SIGHUP")
    ap.add_argument("--ns", required=True)
    ap.add_argument("--ifname", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--mismatch", action="store_true")
    a = ap.parse_args()

    os.makedirs("/run/systemd/journal", exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/run/systemd/journal/socket")
    err = open(a.stderr, "w")
    st = os.fstat(err.fileno())
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino + (1 if a.mismatch else 0)}")
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen(["ip", "netns", "exec", a.ns, a.stackd, "--config", a.config],
                            env=env, stdout=err, stderr=err)
    entries = []

    def collect(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.settimeout(max(end - time.monotonic(), 0.001))
            try:
                entries.append(parse(s.recv(65536)))
            except socket.timeout:
                return

    def fail(why):
        print(f"FAIL: {why}")
        for e in entries[-20:]:
            print(f"  {e}")
        print("stderr:", open(a.stderr).read()[-2000:])
        sys.exit(1)

    try:
        collect(3.0)
        if proc.poll() is not None:
            fail(f"stackd exited ({proc.returncode})")
        with open(a.bad_config) as src, open(a.config, "w") as dst:
            dst.write(src.read())
        proc.send_signal(signal.SIGHUP)
        collect(2.0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        collect(0.5)
        text = open(a.stderr).read()
        if a.mismatch:
            if entries:
                fail(f"{len(entries)} journal entries although stderr is not the journal stream")
            if f"interface {a.ifname}:" not in text or "reload failed" not in text:
                fail("plain lines missing from stderr")
            print(f"mismatched JOURNAL_STREAM: no journal entries, {len(text.splitlines())} plain lines")
            return
        iface = [e for e in entries if e.get("MESSAGE", "").startswith(f"interface {a.ifname}:")]
        if not iface:
            fail("no 'interface' entry")
        e = iface[0]
        if e.get("PRIORITY") != "6" or e.get("SYSLOG_IDENTIFIER") != "stackd" or e.get("STACKD_INTERFACE") != a.ifname:
            fail(f"interface entry fields: {e}")
        errs = [e for e in entries if "STACKD_CONFIG_LINE" in e]
        if not errs or any(e.get("PRIORITY") != "3" or e.get("STACKD_CONFIG_FILE") != a.config for e in errs):
            fail(f"reload error entries: {errs}")
        if f"interface {a.ifname}:" in text or "reload failed" in text:
            fail("journal lines also written as plain text to stderr")
        print(f"journal: {len(entries)} entries; {e['MESSAGE']!r} with STACKD_INTERFACE={e['STACKD_INTERFACE']};"
              f" reload error at line {errs[0]['STACKD_CONFIG_LINE']} PRIORITY=3")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
