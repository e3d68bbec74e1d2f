#!/usr/bin/env bash
# stackd dies (SIGKILL) under a client with a connected socket and is
# started again: calls on the old socket fail as on a reset connection
# (ECONNRESET on receive, EPIPE on send, readiness reporting the error),
# the blocked caller wakes up promptly, and new sockets work again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"

start_client_stackd
peer python3 "$(dirname "$0")/tcp_echo_server.py" 5000 &
wait_peer_port 5000
"$STK_BIN/stk_test_api" restart "$PEER_ADDR" 5000 >"$WORK/restart.out" 2>&1 &
c=$!
for i in $(seq 1 50); do grep -q "^connected" "$WORK/restart.out" && break; sleep 0.1; done
grep -q "^connected" "$WORK/restart.out" || fail "client did not connect: $(cat "$WORK/restart.out")"
sleep 0.3
log "killing stackd under the client"
kill -KILL "$STACKD_PID"
wait "$STACKD_PID" 2>/dev/null || true
STACKD_PID=""
sleep 1
log "starting stackd again"
start_stackd
wait $c || { cat "$WORK/restart.out"; fail "restart scenario"; }
cat "$WORK/restart.out"
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
