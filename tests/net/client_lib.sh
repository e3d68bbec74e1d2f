# Helpers for the client-library network tests (sourced after lib.sh):
# stackd with an [attach] section whose socket lives in $WORK, the example
# and test programs of libclient/, and stackd's Ipc* gauges.
STK_BIN="$STACKD_BUILD_DIR/libclient"
ATTACH_SOCK="$WORK/stackd.sock"
export STACKD_SOCKET="$ATTACH_SOCK"

# client_config [extra toml]: the topology's config plus [attach].
client_config() {
  write_config "
[attach]
socket = \"$ATTACH_SOCK\"
mode = \"0666\"
max_sockets = ${CLIENT_MAX_SOCKETS:-64}
ring_kib = ${CLIENT_RING_KIB:-64}
${1:-}"
}

# Start stackd on the tap back-end (the client path does not depend on the
# NIC back-end) and wait for its attach socket.
start_client_stackd() {
  setup_backend tap
  client_config "${1:-}"
  start_stackd
  wait_attach_sock
}

# After start_stackd: until its attach socket exists (5 s).
wait_attach_sock() {
  local i
  for i in $(seq 1 50); do
    [[ -S $ATTACH_SOCK ]] && return 0
    sleep 0.1
  done
  fail "attach socket $ATTACH_SOCK did not appear"
}

# gauge NAME: stackd's value of an Ipc*/Tcp* gauge or counter.
gauge() { stackd_counter "$1"; }

# wait_gauge NAME VALUE [tries]: until the gauge reads VALUE (0.2 s steps).
wait_gauge() {
  local n=$1 want=$2 tries=${3:-50} v i
  for i in $(seq 1 "$tries"); do
    v=$(gauge "$n")
    [[ $v == "$want" ]] && return 0
    sleep 0.2
  done
  fail "$n = $v, expected $want"
}

# Background peers (socat, servers) die with the test, also on failure.
client_cleanup() {
  local rc=$?
  set +e  # lib.sh runs with -e: the failing status passed on below must not stop the clean-up
  local p
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  ip netns pids "$NS_PEER" 2>/dev/null | xargs -r kill 2>/dev/null || true
  (exit $rc)
  cleanup
}
trap client_cleanup EXIT

# wait_peer_port PORT [tcp|udp]: until the Linux peer listens there (5 s).
wait_peer_port() {
  local opt=-ltn i
  [[ ${2:-tcp} == udp ]] && opt=-lun
  for i in $(seq 1 50); do
    peer ss $opt "sport = :$1" | grep -q ":$1" && return 0
    sleep 0.1
  done
  fail "Linux peer not listening on $1"
}
