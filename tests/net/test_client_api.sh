#!/usr/bin/env bash
# Every socket call and option of libstackclient against a Linux peer, with
# the return values and errno Linux gives (libclient/tests/api_test.cc):
# TCP and UDP, blocking and non-blocking, SO_RCVTIMEO, refused connects,
# EADDRINUSE, ENOTCONN, EPIPE...; then 8 threads on 8 sockets and on one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"

start_client_stackd
peer python3 "$(dirname "$0")/tcp_echo_server.py" 5000 &
peer python3 "$(dirname "$0")/udp_echo_server.py" 5001 &
# A peer that accepts and never reads (for SO_SNDTIMEO).
peer python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 5003)); s.listen(8)
keep = []
while True:
    c, _ = s.accept(); keep.append(c)
" &
wait_peer_port 5000
wait_peer_port 5001 udp
wait_peer_port 5003

log "errno scenarios"
timeout 120 "$STK_BIN/stk_test_api" errno "$PEER_ADDR" || fail "errno scenarios"
log "threads"
timeout 120 "$STK_BIN/stk_test_api" threads "$PEER_ADDR" || fail "threads"
wait_gauge IpcSockets 0
wait_gauge IpcClients 0
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
