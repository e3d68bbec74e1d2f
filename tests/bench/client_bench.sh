#!/usr/bin/env bash
# Client-library benchmarks (run by hand as root; numbers go in the closing
# note): 64-byte request/response RTT through the native API to a Linux echo
# peer vs the same program on kernel sockets (blocking and busy-poll), and
# one-connection throughput to a Linux sink with the copying API, the
# zero-copy API and kernel sockets. Median [min..max] of RUNS runs each.
#   STACKD_BUILD_DIR=build/release CLIENT_RING_KIB=1024 bash tests/bench/client_bench.sh [RUNS]
# stackd runs on the tap back-end with its peer in a namespace; the kernel
# client runs in its own namespace joined to the same peer by a veth pair.
here=$(cd "$(dirname "$0")/../net" && pwd)
source "$here/lib.sh"
source "$here/client_lib.sh"
runs=${1:-5}
B="$STK_BIN/stk_test_bench"
NS_K="kc-$id"
KNET="10.$(( 200 + id % 50 )).$(( id % 250 ))"

kcleanup() { ip netns del "$NS_K" 2>/dev/null || true; client_cleanup; }
trap kcleanup EXIT

start_client_stackd "
[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7"
ip netns add "$NS_K"
ip link add "kcv$id" netns "$NS_K" type veth peer name "kcp$id" netns "$NS_PEER"
ip netns exec "$NS_K" ip addr add "$KNET.2/24" dev "kcv$id"
ip netns exec "$NS_K" ip link set "kcv$id" up
ip netns exec "$NS_K" ip link set lo up
peer ip addr add "$KNET.1/24" dev "kcp$id"
peer ip link set "kcp$id" up
peer python3 "$here/tcp_echo_server.py" 5000 &
wait_peer_port 5000

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# "median [min..max]" of the values on stdin (the spread over the runs).
spread() { sort -n | awk '{a[NR]=$1} END {printf "%s [%s..%s]", a[int((NR+1)/2)], a[1], a[NR]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

rtt() {  # rtt NAME CMD...: median p50 and p99 over the runs
  local name=$1; shift
  local out p50s="" p99s=""
  for r in $(seq 1 "$runs"); do
    out=$("$@") || fail "$name"
    p50s+="$(echo "$out" | field p50_us)"$'\n'
    p99s+="$(echo "$out" | field p99_us)"$'\n'
  done
  printf '%-28s p50 %s us   p99 %s us\n' "$name" "$(echo -n "$p50s" | spread)" "$(echo -n "$p99s" | spread)"
}

# BENCH_ONLY=rtt or tput runs one half.
only=${BENCH_ONLY:-}
n=20000
if [[ $only != tput ]]; then
rtt "stackd native, blocking" "$B" rtt stk "$PEER_ADDR" 5000 $n
rtt "stackd native, busy-poll" env STACKD_BUSY_POLL_US=1000000 "$B" rtt stk "$PEER_ADDR" 5000 $n
rtt "kernel sockets" ip netns exec "$NS_K" "$B" rtt kernel "$KNET.1" 5000 $n
# The device path alone (no client library): a Linux client to stackd's
# built-in TCP echo service over the same tap.
rtt "Linux -> stackd echo service" ip netns exec "$NS_PEER" "$B" rtt kernel "$SD_ADDR" 7 $n
fi
[[ $only == rtt ]] && exit 0

bytes=${STACKD_BENCH_BYTES:-500000000}
tput() {  # tput NAME API ADDR [netns]: median MB/s
  local name=$1 api=$2 addr=$3 ns=${4:-} v="" port
  for r in $(seq 1 "$runs"); do
    port=$((5100 + r))
    peer python3 "$here/tcp_end_watch.py" $port sink >/dev/null &
    local sink=$!
    wait_peer_port $port
    if [[ -n $ns ]]; then out=$(ip netns exec "$ns" "$B" tput "$api" "$addr" $port "$bytes") || fail "$name"
    else out=$("$B" tput "$api" "$addr" $port "$bytes") || fail "$name"; fi
    v+="$(echo "$out" | field MB_s)"$'\n'
    wait $sink
  done
  printf '%-28s %s MB/s\n' "$name" "$(echo -n "$v" | spread)"
}
tput "stackd copying API" stk "$PEER_ADDR"
tput "stackd zero-copy API" zc "$PEER_ADDR"
tput "kernel sockets" kernel "$KNET.1" "$NS_K"
