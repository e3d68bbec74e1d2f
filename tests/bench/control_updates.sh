#!/usr/bin/env bash
# Route and firewall-rule updates per second through the gRPC API while
# traffic flows (tap back-end): the Linux peer keeps a UDP echo stream and
# a ping flood going against stackd; control_bench.py times add+delete
# pairs over one channel with 0, 100 and 1,000 rules installed. The echo
# stream must see no loss beyond what it sees without updates (a route or
# rule change never drops unrelated traffic).
#   sudo tests/bench/control_updates.sh [SECONDS]
source "$(dirname "$0")/../net/control_lib.sh"
here=$(dirname "$0")
secs=${1:-5}

control_stackd tap
for base in 0 100 1000; do
  ctl fw flush
  peer ping -f -q -w $((secs * 2 + 5)) "$SD_ADDR" >"$WORK/ping.txt" 2>&1 &
  pinger=$!
  res=$(PYTHONPATH="$STACKD_BUILD_DIR/proto/python" /usr/bin/python3 "$here/control_bench.py" \
    "$CTL_SOCK" "$PEER_ADDR" "$secs" "$base") || fail "bench with $base rules"
  wait "$pinger" || true
  loss=$(grep -o '[0-9.]*% packet loss' "$WORK/ping.txt")
  log "base_rules=$base $res ping -f during updates: $loss"
done
stop_stackd || fail "stackd did not shut down cleanly"
