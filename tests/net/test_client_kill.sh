#!/usr/bin/env bash
# A client killed with SIGKILL in the middle of a transfer: stackd closes its
# connections as Linux closes a dying process's sockets (RST when data was
# left unread, FIN after the queued data otherwise), the Linux peer sees
# that, and stackd's client, socket, segment and TCB gauges return to where
# they were. Also: two clients at once, one killed, the other unaffected.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
here=$(dirname "$0")

start_client_stackd
base_tcbs=$(gauge TcpTcbsInUse)
log "baseline: TcpTcbsInUse=$base_tcbs"

log "echo transfer with unread data, killed: the peer sees a reset"
peer python3 "$here/tcp_end_watch.py" 5010 echo >"$WORK/peer1.out" &
w1=$!
wait_peer_port 5010
# The client sends and never reads: the echoed bytes wait unread in its rx
# ring when it dies. (A reading client like stk_echo_client may have read
# everything at the moment of the kill: stackd then sends FIN, as Linux
# does; Linux would answer the peer's next data with a reset, stackd's TCP
# does not yet.)
"$STK_BIN/stk_test_api" hold "$PEER_ADDR" 5010 >"$WORK/hold1.out" 2>&1 &
c1=$!
sleep 1
grep -q connected "$WORK/hold1.out" || fail "client did not connect"
v=$(gauge IpcSockets); [[ $v -ge 1 ]] || fail "IpcSockets=$v during the transfer"
kill -KILL $c1
wait $c1 2>/dev/null || true
timeout 10 tail --pid=$w1 -f /dev/null || fail "peer did not see the connection end"
grep -q "end=reset" "$WORK/peer1.out" || fail "peer saw $(cat "$WORK/peer1.out"), expected a reset"
wait_gauge IpcClients 0
wait_gauge IpcSockets 0
wait_gauge IpcSegmentBytes 0
wait_gauge TcpTcbsInUse "$base_tcbs"

log "sending client killed with nothing unread: the peer sees its bytes, then FIN"
peer python3 "$here/tcp_end_watch.py" 5011 sink >"$WORK/peer2.out" &
w2=$!
wait_peer_port 5011
"$STK_BIN/stk_test_api" hold "$PEER_ADDR" 5011 >"$WORK/hold.out" 2>&1 &
c2=$!
# A second client transfers at the same time and must not notice.
peer python3 "$here/tcp_echo_server.py" 5000 &
wait_peer_port 5000
"$STK_BIN/stk_echo_client" "$PEER_ADDR" 5000 20000000 >"$WORK/other.out" 2>&1 &
c3=$!
sleep 1
grep -q connected "$WORK/hold.out" || fail "holding client did not connect"
kill -KILL $c2
wait $c2 2>/dev/null || true
timeout 10 tail --pid=$w2 -f /dev/null || fail "peer did not see the connection end"
grep -q "end=eof" "$WORK/peer2.out" || fail "peer saw $(cat "$WORK/peer2.out"), expected FIN"
wait $c3 || fail "the other client's transfer failed: $(cat "$WORK/other.out")"
wait_gauge IpcClients 0
wait_gauge IpcSockets 0
wait_gauge IpcOrphans 0
wait_gauge IpcSegmentBytes 0
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
