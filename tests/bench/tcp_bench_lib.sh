# Shared by the TCP benchmarks (sourced after tests/net/lib.sh).
# stackd runs echo (7), discard (9) and chargen (19, CHARGEN_BYTES then FIN);
# the Linux comparison servers run in stackd's namespace on a second address
# of the kernel ($KERNEL_ADDR = $NET.3) on stackd's own veth (af_xdp: the
# XDP program passes it to the kernel), so both go over the very same veth.
TOOL="$(dirname "${BASH_SOURCE[0]}")/tcp_bench.py"
KERNEL_ADDR="$NET.3"
KERNEL_PIDS=()

# stats : median min max of the numbers on stdin.
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# field NAME : the value of NAME= in tcp_bench's report line on stdin.
field() { sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p" | tail -1; }

# bench_setup BACKEND [chargen bytes] : topology, stackd with TCP services,
# the kernel's second address and its servers (source 5019, discard 5009,
# echo 5007).
bench_setup() {
  setup_backend "$1"
  [[ $1 == af_xdp ]] || fail "the Linux comparison needs the af_xdp topology (a second kernel address on stackd's veth)"
  write_config "
[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7

[[service]]
kind = \"discard\"
proto = \"tcp\"
port = 9

[[service]]
kind = \"chargen\"
proto = \"tcp\"
port = 19
bytes = ${2:-0}"
  start_stackd
  ip netns exec "$NS_SD" ip addr add "$KERNEL_ADDR/24" dev "$SD_IF"
  local m
  for m in "source 5019" "discard 5009" "echo 5007"; do
    set -- $m
    ip netns exec "$NS_SD" python3 "$TOOL" server --bind "$KERNEL_ADDR" --port "$2" --mode "$1" \
      --bytes "${CHARGEN_BYTES:-0}" >"$WORK/kernel-$1.log" 2>&1 &
    KERNEL_PIDS+=($!)
  done
  peer ping -c 3 -i 0.2 -W 2 -q "$KERNEL_ADDR" >/dev/null || fail "kernel address $KERNEL_ADDR unreachable"
  sleep 0.5  # the servers' listen()
}

bench_teardown() {
  local p
  for p in "${KERNEL_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  KERNEL_PIDS=()
  stop_stackd || fail "stackd did not shut down cleanly"
}

# offloads on|off : GSO/TSO/GRO on both ends of the veth. (lib.sh turns the
# peer's tx checksum offload off for XDP's sake, which also disables TSO on
# the peer side; "on" is the kernel's default otherwise.)
offloads() {
  ip netns exec "$NS_SD" ethtool -K "$SD_IF" gso "$1" tso "$1" gro "$1" >/dev/null 2>&1 || true
  peer ethtool -K "pev$id" gso "$1" tso "$1" gro "$1" >/dev/null 2>&1 || true
}
