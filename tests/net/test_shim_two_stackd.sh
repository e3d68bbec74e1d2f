#!/usr/bin/env bash
# Two stackd instances, each in its own namespace on one end of a veth pair
# (AF_XDP on both ends, no kernel address on either), each with its own
# attach and control sockets; programs under the shim on each one talk to
# the other side, byte-exact both ways:
#   nc (shim, A) -> socat TCP-LISTEN (shim, B)          file A -> B
#   socat TCP-LISTEN (shim, A) sends -> socat (shim, B)  file A -> B by the server
#   socat (shim, B) -> socat TCP-LISTEN (shim, A)        file B -> A
#   python3 echo server (shim, B) <- python3 client (shim, A), both directions at once
#   UDP echo (python3, shim, B) <- UDP client (python3, shim, A), 1..65507 bytes (fragments)
#   IPv6: stk_echo_server -6 (native, B) <- stk_echo_client (native, A)
#
#   [ns sd-$id: stackd A on sdv$id, $SD_ADDR] <--veth--> [ns pe-$id: stackd B on pev$id, $PEER_ADDR]
# Each stackrun finds its stackd through STACKD_SOCKET.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v nc >/dev/null && command -v socat >/dev/null || fail "nc/socat missing (deploy/install-deps.sh)"
here=$(dirname "$0")
mb=${STACKD_SHIM_MB:-20}

A_SOCK="$WORK/a.sock"
B_SOCK="$WORK/b.sock"
B_MAC="02:5e:00:00:$(printf '%02x:%02x' $(( (id >> 8) & 255 )) $(( id & 255 )))"
B_LOG="$WORK/stackd-b.log"
B_PID=""

# The veth pair of the af_xdp topology; the Linux peer's address goes:
# stackd B owns that end (and $PEER_ADDR) instead.
setup_backend af_xdp
peer ip addr flush dev "pev$id"
ip netns exec "$NS_SD" ethtool -K "$SD_IF" tx off >/dev/null

# stackd_toml IF MAC ADDR ATTACH CONTROL ADDR6: one instance's config.
stackd_toml() {
  cat <<TOML
[daemon]
log_level = "info"

[[interface]]
name = "$1"
backend = "af_xdp"
mac = "$2"
mtu = 1500
addresses = ["$3/24", "$6/64"]

[[service]]
kind = "echo"
proto = "udp"
port = 7

[attach]
socket = "$4"
mode = "0666"
max_sockets = 64
ring_kib = 64

[control]
socket = "$5"
TOML
}
NET6="fd$(printf '%02x' $(( (id + 13) % 256 ))):$(printf '%x' "$id")"
A_ADDR6="$NET6::2"
B_ADDR6="$NET6::1"
stackd_toml "$SD_IF" "$SD_MAC" "$SD_ADDR" "$A_SOCK" "$WORK/a-control.sock" "$A_ADDR6" >"$WORK/a.toml"
stackd_toml "pev$id" "$B_MAC" "$PEER_ADDR" "$B_SOCK" "$WORK/b-control.sock" "$B_ADDR6" >"$WORK/b.toml"
# The kernels' own IPv6 on the two ends would run DAD for the link-locals
# the stackds derive from the same MACs.
ip netns exec "$NS_SD" sysctl -qw "net.ipv6.conf.$SD_IF.disable_ipv6=1"
peer sysctl -qw "net.ipv6.conf.pev$id.disable_ipv6=1"

# A failure shows both logs.
dump_stackd_log() {
  local f
  for f in "$STACKD_LOG" "$B_LOG"; do
    [[ -f $f ]] || continue
    echo "---- $(basename "$f") (last 40 lines) ----"
    tail -n 40 "$f" || true
  done
}

# B stops with the test, also on failure (A is lib.sh's STACKD_PID).
stop_b() {
  [[ -n $B_PID ]] || return 0
  local STACKD_PID=$B_PID STACKD_LOG=$B_LOG rc=0
  stop_stackd || rc=1
  B_PID=""
  return $rc
}
two_cleanup() {
  local rc=$?
  stop_b || true
  (exit $rc)
  client_cleanup
}
trap two_cleanup EXIT

ip netns exec "$NS_SD" "$STACKD" --config "$WORK/a.toml" >"$STACKD_LOG" 2>&1 &
STACKD_PID=$!
ip netns exec "$NS_PEER" "$STACKD" --config "$WORK/b.toml" >"$B_LOG" 2>&1 &
B_PID=$!
for i in $(seq 1 50); do [[ -S $A_SOCK && -S $B_SOCK ]] && break; sleep 0.1; done
[[ -S $A_SOCK && -S $B_SOCK ]] || { tail -5 "$B_LOG"; fail "attach sockets did not appear"; }

ON_A=("${SHIM_ENV[@]}" STACKD_SOCKET="$A_SOCK" STACKD_QUIET=1 "$STACKRUN" --fallback fail --)
ON_B=("${SHIM_ENV[@]}" STACKD_SOCKET="$B_SOCK" STACKD_QUIET=1 "$STACKRUN" --fallback fail --)

# Ready when A's UDP reaches B's echo service and back (ARP both ways), 10 s.
ready=0
for i in $(seq 1 20); do
  if STACKD_SOCKET="$A_SOCK" timeout 2 "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 7 1 100 >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.3
done
[[ $ready == 1 ]] || { tail -20 "$B_LOG"; fail "stackd A cannot reach stackd B's UDP echo"; }
log "stackd A ($SD_ADDR, pid $STACKD_PID) and stackd B ($PEER_ADDR, pid $B_PID) up"
head -c $((mb * 1000000)) /dev/urandom >"$WORK/data"

# run_pair NAME SERVER_SIDE(A|B) SERVER... -- CLIENT_SIDE(A|B) CLIENT...: the
# server in the background, the client retried until it listens (bounded).
run_pair() {
  local name=$1 srv_on=$2 srv=() cli=() cli_on
  shift 2
  while [[ $1 != -- ]]; do srv+=("$1"); shift; done
  shift
  cli_on=$1
  shift
  cli=("$@")
  local -n sp="ON_$srv_on" cp="ON_$cli_on"
  timeout 90 "${sp[@]}" "${srv[@]}" </dev/null &
  local s=$! i ok=0
  for i in $(seq 1 50); do
    if timeout 60 "${cp[@]}" "${cli[@]}"; then ok=1; break; fi
    kill -0 $s 2>/dev/null || break
    sleep 0.2
  done
  [[ $ok == 1 ]] || fail "$name: client"
  wait $s || fail "$name: server"
}

log "nc (shim, A) -> socat TCP-LISTEN (shim, B), $mb MB"
t0=$(date +%s.%N)
run_pair "nc A -> socat B" B socat -u TCP-LISTEN:7001,reuseaddr OPEN:"$WORK/r1",creat,trunc \
  -- A nc -N "$PEER_ADDR" 7001 <"$WORK/data"
t1=$(date +%s.%N)
same_file "$WORK/data" "$WORK/r1"
log "  $(python3 -c "print(f'{$mb * 8 / ($t1 - $t0):.0f} Mbit/s including start-up ({$t1 - $t0:.2f} s)')")"

log "socat TCP-LISTEN (shim, A) sends -> socat (shim, B)"
run_pair "socat A sends" A socat -u OPEN:"$WORK/data" TCP-LISTEN:7002,reuseaddr \
  -- B socat -u TCP:"$SD_ADDR":7002 OPEN:"$WORK/r2",creat,trunc
same_file "$WORK/data" "$WORK/r2"

log "socat (shim, B) -> socat TCP-LISTEN (shim, A)"
run_pair "socat B -> socat A" A socat -u TCP-LISTEN:7003,reuseaddr OPEN:"$WORK/r3",creat,trunc \
  -- B socat -u OPEN:"$WORK/data" TCP:"$SD_ADDR":7003
same_file "$WORK/data" "$WORK/r3"

log "python3 echo server (shim, B) <- python3 client (shim, A): both directions at once"
timeout 90 "${ON_B[@]}" python3 "$here/shim_py_echo.py" server 7004 1 >"$WORK/py.out" 2>&1 &
s=$!
wait_file_line "$WORK/py.out" listening
timeout 60 "${ON_A[@]}" python3 "$here/shim_py_echo.py" client "$PEER_ADDR" 7004 4000000 || fail "python client"
wait $s || fail "python server: $(cat "$WORK/py.out")"

log "UDP: python3 echo (shim, B) <- python3 client (shim, A), 200 datagrams of 1..65507 bytes"
timeout 90 "${ON_B[@]}" python3 "$here/udp_echo_server.py" 7005 60 &
u=$!
sleep 0.5
timeout 60 "${ON_A[@]}" python3 "$here/udp_echo_client.py" "$PEER_ADDR" --port 7005 --count 200 \
  --deadline 50 || fail "UDP echo between the two stackds"
kill $u 2>/dev/null || true

# IPv6 between the two with the native library (neighbour discovery between
# two stackds, DAD first); the shim over IPv6 is test_shim_ipv6.sh's.
log "IPv6: stk_echo_server -6 (B) <- stk_echo_client (A) to [$B_ADDR6]"
STACKD_SOCKET="$B_SOCK" "$STK_BIN/stk_echo_server" 7006 0 -6 >"$WORK/srv6.log" 2>&1 &
e=$!
ok=0
for i in $(seq 1 20); do
  if STACKD_SOCKET="$A_SOCK" timeout 30 "$STK_BIN/stk_echo_client" "$B_ADDR6" 7006 4000000; then ok=1; break; fi
  sleep 0.3
done
[[ $ok == 1 ]] || fail "IPv6 echo from A to B"
grep -q "connection from $A_ADDR6" "$WORK/srv6.log" || fail "B's server log: $(cat "$WORK/srv6.log")"
kill $e 2>/dev/null || true

names="TcpActiveOpens TcpPassiveOpens TcpRetransSegs IpFragCreates IpReasmOKs"
log "A: $(stackd_counters $names)"
log "B: $(STACKD_PID=$B_PID STACKD_LOG=$B_LOG stackd_counters $names)"
stop_b || fail "stackd B did not shut down cleanly"
stop_stackd || fail "stackd A did not shut down cleanly"
log "PASS"
