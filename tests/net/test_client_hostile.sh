#!/usr/bin/env bash
# A hostile client scribbles random bytes over its whole shared segment for
# a bounded time (STACKD_HOSTILE_SECONDS, default 10) while an honest client
# transfers data: stackd keeps running (under ASan/UBSan too: run with
# STACKD_BUILD_DIR=build/asan), the honest transfer is byte-exact, and
# everything the hostile client held is reclaimed when it exits.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
here=$(dirname "$0")
secs=${STACKD_HOSTILE_SECONDS:-10}

start_client_stackd
peer python3 "$here/tcp_echo_server.py" 5000 &
peer python3 "$(dirname "$0")/udp_echo_server.py" 5001 &
wait_peer_port 5000
wait_peer_port 5001 udp

"$STK_BIN/stk_test_hostile" "$PEER_ADDR" 5000 "$secs" "$id" >"$WORK/hostile.out" 2>&1 &
h=$!
ok=0
end=$((SECONDS + secs))
rounds=0
while (( SECONDS < end )); do
  timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR" 5000 8000000 >"$WORK/honest.out" 2>&1 \
    || fail "honest transfer failed during the scribbling: $(cat "$WORK/honest.out")"
  rounds=$((rounds + 1))
done
wait $h || fail "hostile client: $(cat "$WORK/hostile.out")"
cat "$WORK/hostile.out"
log "$rounds honest transfers of 8 MB byte-exact while the hostile client scribbled"
kill -0 "$STACKD_PID" || fail "stackd died"
wait_gauge IpcClients 0
wait_gauge IpcSockets 0
timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR" 5000 1000000 >/dev/null || fail "transfer after the hostile client"
# UDP is checked after the scribbling, not during it: during it, the honest
# UDP client (50 echoes, 2 s receive timeout each) stalled in about one run
# in six for longer than 15 s (a known bug, see libclient/README.md "Known
# problems"); TCP above is byte-exact throughout.
timeout 60 "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 50 1000 >"$WORK/honest_udp.out" 2>&1 \
  || fail "honest UDP after the hostile client: $(cat "$WORK/honest_udp.out")"
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
