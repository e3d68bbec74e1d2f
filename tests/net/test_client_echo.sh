#!/usr/bin/env bash
# The client library's example programs against Linux peers: the echo client
# (copying and zero-copy API) against a Linux echo server, the threaded echo server
# against a Linux client, the UDP tool against a Linux UDP echo (udp_echo_server.py); byte-exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
bytes=${STACKD_CLIENT_BYTES:-4000000}

start_client_stackd
peer python3 "$(dirname "$0")/tcp_echo_server.py" 5000 &
peer python3 "$(dirname "$0")/udp_echo_server.py" 5001 &
wait_peer_port 5000
wait_peer_port 5001 udp

log "echo client (copying API) -> Linux echo server, $bytes bytes"
timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR" 5000 "$bytes" || fail "echo client"
log "echo client (zero-copy API) -> Linux echo server"
timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR" 5000 "$bytes" --zerocopy || fail "echo client zero-copy"

log "threaded echo server <- 4 Linux clients at once"
"$STK_BIN/stk_echo_server" 6000 4 >"$WORK/server.log" 2>&1 &
srv=$!
sleep 0.5
pids=()
for i in 1 2 3 4; do
  timeout 60 ip netns exec "$NS_PEER" python3 - "$SD_ADDR" 6000 $((bytes / 4)) "$i" <<'PY' &
import socket, sys, random, threading
host, port, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = random.Random(seed).randbytes(n)
s = socket.create_connection((host, port), timeout=30)
threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR))).start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b: break
    got += b
sys.exit(0 if bytes(got) == data else 1)
PY
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "Linux client of the echo server"; done
wait "$srv" || fail "echo server exited with an error"
grep -c "connection from $PEER_ADDR" "$WORK/server.log" | grep -qx 4 || fail "server did not log 4 connections"

log "UDP tool -> Linux UDP echo"
timeout 60 "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 200 1400 || fail "udp send/echo"
timeout 60 "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 20 9000 || fail "udp fragmented send/echo"

log "UDP broadcast: subnet and limited, with SO_BROADCAST; EACCES without"
timeout 30 "$STK_BIN/stk_udp_tool" send "$NET.255" 5001 5 100 --broadcast || fail "subnet broadcast"
timeout 30 "$STK_BIN/stk_udp_tool" send 255.255.255.255 5001 5 100 --broadcast || fail "limited broadcast"
if "$STK_BIN/stk_udp_tool" send 255.255.255.255 5001 1 100 >"$WORK/nobc.out" 2>&1; then
  fail "broadcast without SO_BROADCAST was sent"
fi
grep -q "Permission denied" "$WORK/nobc.out" || fail "no EACCES without SO_BROADCAST: $(cat "$WORK/nobc.out")"
log "UDP broadcast received: a Linux sender to the subnet broadcast, the UDP tool answers"
"$STK_BIN/stk_udp_tool" echo 6001 1 >"$WORK/bcecho.out" 2>&1 &
e=$!
for i in $(seq 1 50); do grep -q "udp echo on" "$WORK/bcecho.out" && break; sleep 0.1; done
reply=$(timeout 10 ip netns exec "$NS_PEER" python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.settimeout(5)
s.sendto(b'hello-broadcast', ('$NET.255', 6001))
print(s.recvfrom(100)[0].decode())") || fail "no answer to a broadcast"
[[ $reply == hello-broadcast ]] || fail "broadcast echo: $reply"
wait $e || fail "udp echo tool"

wait_gauge IpcSockets 0
wait_gauge IpcClients 0
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
