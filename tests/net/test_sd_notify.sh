#!/usr/bin/env bash
# stackd under a service manager (Type=notify): notify_manager.py binds its
# own NOTIFY_SOCKET, sets WATCHDOG_USEC=1 s, starts stackd and checks
# READY (once stackd answers ping), WATCHDOG every ~0.5 s, STATUS,
# RELOADING then READY on SIGHUP, no WATCHDOG while the worker is stalled
# (STACKD_TEST_STALL_ON_SIGUSR2), STOPPING on SIGTERM. One back-end (the
# notify path does not depend on it): the first of $(backends).
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

b=$(backends | awk '{print $1}')
log "== back-end $b"
setup_backend "$b"
timeout 90 python3 "$here/notify_manager.py" --stackd "$STACKD" --config "$WORK/stackd.toml" \
  --ns "$NS_SD" --peer-ns "$NS_PEER" --addr "$SD_ADDR" --log "$STACKD_LOG" \
  --sock "$WORK/notify.sock" --watchdog-usec 1000000 --stall 3 || fail "sd_notify"
log "sd_notify: ok"
