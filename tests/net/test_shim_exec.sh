#!/usr/bin/env bash
# Stack sockets across exec and SCM_RIGHTS (libstackshim.so; preload/README.md
# "exec and SCM_RIGHTS"): a shimmed program execs itself (inherited
# LD_PRELOAD) with a connected socket's fd number in argv; the new image
# uses it (getpeername, TCP_INFO, poll, 1 MB echoed byte-exact) while a
# SOCK_CLOEXEC socket is gone (the Linux peer sees its FIN while the new
# image lives: it was the last holder); the same through posix_spawn; a
# listener inherited across exec accepts a Linux client; a socket passed
# from a parent to its forked child with SCM_RIGHTS works there; one passed
# to a process of another attachment is refused (a known difference).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
PROG="$SHIM_DIR/shim_test_exec_scenarios"

start_client_stackd
peer python3 "$(dirname "$0")/tcp_echo_server.py" 5000 &
wait_peer_port 5000
# The FIN watcher: accepts, reads to EOF, says "fin N" for the N-th connection.
peer python3 -u - 5001 >"$WORK/fin.log" 2>&1 <<'PY' &
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
n = 0
def watch(c, k):
    while c.recv(4096):
        pass
    print("fin", k, flush=True)
while True:
    c, _ = s.accept()
    n += 1
    threading.Thread(target=watch, args=(c, n), daemon=True).start()
PY
wait_peer_port 5001

# exec_case LABEL N [spawn]: the exec-client scenario; N: the watcher's connection number.
exec_case() {
  local label=$1 n=$2 go="$WORK/go$2"
  log "$label: connected socket inherited, a SOCK_CLOEXEC one closed"
  timeout 60 "${SHIMMED[@]}" "$PROG" exec-client "$PEER_ADDR" 5000 5001 "$go" ${3:-} >"$WORK/$label.out" 2>&1 &
  local pid=$!
  wait_file_line "$WORK/fin.log" "fin $n" 100
  # The FIN came while the new image still holds the other socket.
  wait_file_line "$WORK/$label.out" "child ok" 200
  touch "$go"
  wait "$pid" || fail "$label: $(cat "$WORK/$label.out")"
}
exec_case execv 1
exec_case posix_spawn 2 spawn
wait_gauge IpcSockets 0 25

log "20 execs in a row, each image using the socket: every old image's channel is freed"
timeout 60 "${SHIMMED[@]}" "$PROG" exec-chain "$PEER_ADDR" 5000 20 >"$WORK/chain.out" 2>&1 || fail "exec chain: $(cat "$WORK/chain.out")"
log "$(grep claimed "$WORK/chain.out")"

log "a listener inherited across exec accepts a Linux client"
timeout 60 "${SHIMMED[@]}" "$PROG" exec-listener 6000 >"$WORK/listener.out" 2>&1 &
srv=$!
wait_file_line "$WORK/listener.out" listening
head -c 300000 /dev/urandom >"$WORK/data"
timeout 30 ip netns exec "$NS_PEER" python3 - "$SD_ADDR" 6000 "$WORK/data" "$WORK/back" <<'PY' || fail "Linux client of the exec'ed listener"
import socket, sys, threading
host, port, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = open(src, "rb").read()
s = socket.create_connection((host, port), timeout=20)
threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR))).start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b: break
    got += b
open(dst, "wb").write(got)
PY
same_file "$WORK/data" "$WORK/back"
wait "$srv" || fail "exec'ed listener: $(cat "$WORK/listener.out")"

log "SCM_RIGHTS: a socket made after fork passed from the parent to its child"
timeout 60 "${SHIMMED[@]}" "$PROG" scm-rights "$PEER_ADDR" 5000 >"$WORK/scm.out" 2>&1 || fail "scm-rights: $(cat "$WORK/scm.out")"
refused=$(gauge IpcClaimsRefused)
log "SCM_RIGHTS to a process of another attachment: refused (ENOENT), the fd stays bare there, the owner's socket works"
timeout 60 "${SHIMMED[@]}" "$PROG" scm-foreign "$PEER_ADDR" 5000 >"$WORK/foreign.out" 2>&1 || fail "scm-foreign: $(cat "$WORK/foreign.out")"
(( $(gauge IpcClaimsRefused) > refused )) || fail "the foreign claim was not refused by stackd"
wait_gauge IpcSockets 0 25
claimed=$(gauge IpcClaimed)
(( claimed >= 24 )) || fail "IpcClaimed = $claimed, expected at least 24"
log "PASS ($claimed claims)"
