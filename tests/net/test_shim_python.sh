#!/usr/bin/env bash
# Unmodified python3 under the shim: a selectors (epoll) echo server with
# 4 Linux clients at once, a select/poll client against a Linux echo server,
# and http.server (threaded) serving a file to Linux curl. Byte-exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
here=$(dirname "$0")
bytes=${STACKD_SHIM_BYTES:-1000000}

start_client_stackd
peer python3 "$here/tcp_echo_server.py" 5000 &
wait_peer_port 5000

log "python client (select, settimeout) under the shim -> Linux echo server"
timeout 60 "${SHIMMED[@]}" python3 "$here/shim_py_echo.py" client "$PEER_ADDR" 5000 "$bytes" || fail "python client"

log "loopback stays on the kernel: the shimmed client reaches a kernel server on 127.0.0.1"
peer python3 -c '
import socket, threading
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 5001)); l.listen(8)
def serve(c):
    while True:
        b = c.recv(65536)
        if not b: break
        c.sendall(b)
    c.close()
while True:
    c, _ = l.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()' &
for i in $(seq 1 50); do peer ss -ltn "sport = :5001" | grep -q 127.0.0.1 && break; sleep 0.1; done
timeout 60 ip netns exec "$NS_PEER" "${SHIMMED[@]}" python3 "$here/shim_py_echo.py" client 127.0.0.1 5001 100000 \
  || fail "shimmed client to a kernel server on loopback"

log "python selectors server under the shim <- 4 Linux clients"
timeout 90 "${SHIMMED[@]}" python3 "$here/shim_py_echo.py" server 6000 4 >"$WORK/srv.out" 2>&1 &
srv=$!
wait_file_line "$WORK/srv.out" listening
pids=()
for i in 1 2 3 4; do
  timeout 60 ip netns exec "$NS_PEER" python3 "$here/shim_py_echo.py" client "$SD_ADDR" 6000 $((bytes / 4 + i)) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "Linux client of the python server"; done
wait $srv || fail "python server: $(cat "$WORK/srv.out")"
grep -q "served 4" "$WORK/srv.out" || fail "server: $(cat "$WORK/srv.out")"

log "python http.server (threaded) under the shim <- Linux curl"
mkdir -p "$WORK/www"
head -c 2000000 /dev/urandom >"$WORK/www/f"
timeout 60 "${SHIMMED[@]}" python3 -m http.server --bind 0.0.0.0 --directory "$WORK/www" 8080 >"$WORK/http.out" 2>&1 &
hs=$!
ok=0
for i in $(seq 1 50); do
  if timeout 20 ip netns exec "$NS_PEER" curl -sS --max-time 15 -o "$WORK/got" "http://$SD_ADDR:8080/f" 2>/dev/null; then ok=1; break; fi
  sleep 0.2
done
[[ $ok == 1 ]] || fail "curl from the Linux peer: $(cat "$WORK/http.out")"
same_file "$WORK/www/f" "$WORK/got"
for i in 1 2 3; do
  timeout 20 ip netns exec "$NS_PEER" curl -sS --max-time 15 -o "$WORK/got$i" "http://$SD_ADDR:8080/f" || fail "curl $i"
  same_file "$WORK/www/f" "$WORK/got$i"
done
kill $hs
log "PASS"
