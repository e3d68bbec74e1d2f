#!/usr/bin/env bash
# A stack socket is a real fd (libstackshim.so, unmodified programs): a
# listener created before fork is accepted on in the child after the parent
# closed its copy (the socket closes at its fds' last close, not the first);
# a client dup2()s its connected socket, closes the original and a dup, and
# moves bytes through the copy with edge-triggered epoll and poll. Byte-exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
PROG="$SHIM_DIR/shim_test_fd_semantics"
bytes=${STACKD_SHIM_BYTES:-2000000}

start_client_stackd
peer python3 "$(dirname "$0")/tcp_echo_server.py" 5000 &
wait_peer_port 5000

log "dup2 client (non-blocking connect, EPOLLET) -> Linux echo server, $bytes bytes"
SHIM_TEST_LINGER_S=3 timeout 60 "${SHIMMED[@]}" "$PROG" dup-client "$PEER_ADDR" 5000 "$bytes" >"$WORK/dup.out" 2>&1 &
cli=$!
wait_file_line "$WORK/dup.out" echoed 600
log "the last close(2) closes the socket in stackd while the process lives on"
wait_gauge IpcClients 1 5
wait_gauge IpcSockets 0 10
wait "$cli" || fail "dup2 client: $(cat "$WORK/dup.out")"

log "fork server: parent listens and closes its copy, the child accepts; a Linux client"
timeout 60 "${SHIMMED[@]}" "$PROG" fork-server 6000 "$bytes" >"$WORK/fork.out" 2>&1 &
srv=$!
wait_file_line "$WORK/fork.out" listening
sleep 0.3  # the parent has closed its copy of the listener by now
timeout 60 ip netns exec "$NS_PEER" python3 - "$SD_ADDR" 6000 "$bytes" <<'PY' || fail "Linux client of the forked server"
import socket, sys, threading
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes(((i * 131 + (i >> 8)) & 0xff) for i in range(n))
s = socket.create_connection((host, port), timeout=30)
threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR))).start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b: break
    got += b
sys.exit(0 if bytes(got) == data else 1)
PY
wait "$srv" || fail "fork server: $(cat "$WORK/fork.out")"
wait_gauge IpcSockets 0 50
log "PASS"
