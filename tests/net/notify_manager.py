#!/usr/bin/env python3
"""Play systemd's part of Type=notify for one stackd (sd_notify(3)).

Binds a unix datagram socket, starts stackd with NOTIFY_SOCKET pointing at
it and WATCHDOG_USEC set, and checks, in this order:
  1. READY=1 (with STATUS=) arrives, and the peer can ping stackd at once
     (ready means the interfaces are up);
  2. WATCHDOG=1 at about half the interval, and a periodic STATUS= summary;
  3. SIGHUP: RELOADING=1 (with MONOTONIC_USEC=) and then READY=1;
  4. SIGUSR2 with STACKD_TEST_STALL_ON_SIGUSR2: no WATCHDOG=1 while the
     worker is stalled, and pings again after it;
  5. SIGTERM: STOPPING=1, exit status 0.
Every wait is bounded. Exit status 0 = all good."""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stackd", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--ns", required=True, help="namespace stackd runs in")
    ap.add_argument("--peer-ns", required=True)
    ap.add_argument("--addr", required=True, help="stackd's address (pinged from the peer)")
    ap.add_argument("--log", required=True)
    ap.add_argument("--sock", required=True)
    ap.add_argument("--watchdog-usec", type=int, default=1_000_000)
    ap.add_argument("--stall", type=int, default=3)
    a = ap.parse_args()

    wd = a.watchdog_usec / 1e6
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(a.sock)
    env = dict(os.environ, NOTIFY_SOCKET=a.sock, WATCHDOG_USEC=str(a.watchdog_usec),
               STACKD_TEST_STALL_ON_SIGUSR2=str(a.stall))
    env.pop("WATCHDOG_PID", None)
    logf = open(a.log, "w")
    # `ip netns exec` execs stackd: the child's pid is stackd's.
    proc = subprocess.Popen(["ip", "netns", "exec", a.ns, a.stackd, "--config", a.config],
                            env=env, stdout=logf, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    msgs = []  # (time since start, {key: value})

    def recv(timeout):
        s.settimeout(max(timeout, 0.001))
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            return None
        kv = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        msgs.append((time.monotonic() - t0, kv))
        return kv

    def wait_for(key, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                fail(f"stackd exited ({proc.returncode}) while waiting for {what}")
            kv = recv(end - time.monotonic())
            if kv is not None and key in kv:
                return kv
        fail(f"no {what} within {timeout} s")

    def collect(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            recv(end - time.monotonic())

    def fail(why):
        print(f"FAIL: {why}")
        for t, kv in msgs[-40:]:
            print(f"  {t:7.3f} {kv}")
        sys.exit(1)

    def watchdog_times(since, until=1e9):
        return [t for t, kv in msgs if "WATCHDOG" in kv and since <= t <= until]

    try:
        # 1. READY first, and it means up.
        kv = wait_for("READY", 15, "READY=1")
        if any("WATCHDOG" in m for _, m in msgs[:-1]):
            fail("WATCHDOG=1 before READY=1")
        if "interfaces up" not in kv.get("STATUS", ""):
            fail(f"READY=1 without a STATUS summary: {kv}")
        ping = subprocess.run(["ip", "netns", "exec", a.peer_ns, "ping", "-c1", "-W1", "-q", a.addr],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if ping.returncode != 0:
            fail("READY=1 sent but stackd does not answer ping yet")
        print(f"READY: {kv['STATUS']}")

        # 2. Watchdog at half the interval; a periodic STATUS within ~5 s.
        start = time.monotonic() - t0
        collect(6.0)
        wds = watchdog_times(start)
        if len(wds) < 6.0 / (wd / 2) * 0.6:
            fail(f"{len(wds)} WATCHDOG=1 in 6 s with WATCHDOG_USEC={a.watchdog_usec}")
        gaps = [b - c for c, b in zip(wds, wds[1:])]
        if max(gaps) > wd * 0.9:
            fail(f"watchdog gap {max(gaps):.2f} s while healthy (interval {wd} s)")
        st = [kv["STATUS"] for t, kv in msgs if "STATUS" in kv and t > start and "READY" not in kv]
        if not st or "pps" not in st[-1]:
            fail(f"no periodic STATUS with rates: {st}")
        print(f"WATCHDOG: {len(wds)} pings in 6 s, largest gap {max(gaps):.2f} s; STATUS: {st[-1]}")

        # 3. Reload: RELOADING=1 then READY=1.
        proc.send_signal(signal.SIGHUP)
        kv = wait_for("RELOADING", 5, "RELOADING=1")
        if "MONOTONIC_USEC" not in kv:
            fail("RELOADING=1 without MONOTONIC_USEC")
        kv = wait_for("READY", 5, "READY=1 after RELOADING=1")
        print(f"RELOAD: RELOADING=1 then READY=1 ({kv.get('STATUS')})")

        # 4. A stalled worker: no watchdog for the stall's length.
        collect(1.0)
        t_sig = time.monotonic() - t0
        proc.send_signal(signal.SIGUSR2)
        collect(a.stall + 2.0)
        wds = watchdog_times(t_sig - 1.0)
        gaps = [(b - c, c) for c, b in zip(wds, wds[1:])]
        big = max(gaps)
        if big[0] < a.stall - wd / 2:
            fail(f"largest watchdog gap around the stall {big[0]:.2f} s < {a.stall - wd / 2} s")
        if not watchdog_times(big[1] + big[0], 1e9):
            fail("watchdog did not resume after the stall")
        print(f"STALL: no WATCHDOG for {big[0]:.2f} s (stall {a.stall} s), then pings resumed")

        # 5. Stop.
        proc.send_signal(signal.SIGTERM)
        wait_for("STOPPING", 5, "STOPPING=1")
        rc = proc.wait(timeout=10)
        if rc != 0:
            fail(f"stackd exit status {rc}")
        print("STOPPING=1, exit 0")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.unlink(a.sock)


if __name__ == "__main__":
    main()
