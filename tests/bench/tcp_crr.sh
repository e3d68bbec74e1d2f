#!/usr/bin/env bash
# TCP connect/request/response/close rate (netperf TCP_CRR-like): one
# Linux client loop (tcp_bench.py crr: connect, send 64 bytes, read the
# echo, close) against stackd's echo service and against a Linux echo
# server on the same veth (tcp_bench_lib.sh), alternating round by round.
# The client closes first, so TIME-WAIT is on the Linux side: the peer
# namespace gets tcp_tw_reuse=1 and the full port range.
#
# A benchmark, not a CI test: slow numbers do not fail it; errors do.
#   sudo STACKD_BUILD_DIR=$PWD/build/bench tests/bench/tcp_crr.sh
#   ROUNDS=5 SECONDS_PER_ROUND=5
source "$(dirname "$0")/../net/lib.sh"
ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_ROUND:-5}
source "$(dirname "$0")/tcp_bench_lib.sh"

crr() {
  local out
  out=$(peer python3 "$TOOL" crr "$1" "$2" --seconds "$SECS" --deadline 10) || return 1
  field conn_s <<<"$out"
}

bench_setup af_xdp
peer sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
sd=(); kn=(); ratio=()
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 )); then
    a=$(crr "$SD_ADDR" 7) || fail "crr against stackd"
    k=$(crr "$KERNEL_ADDR" 5007) || fail "crr against the kernel"
  else
    k=$(crr "$KERNEL_ADDR" 5007) || fail "crr against the kernel"
    a=$(crr "$SD_ADDR" 7) || fail "crr against stackd"
  fi
  sd+=("$a"); kn+=("$k")
  ratio+=("$(awk -v a="$a" -v k="$k" 'BEGIN { printf "%.3f", a / k }')")
  log "round $r: stackd $a conn/s, kernel $k conn/s"
done
bench_teardown
read -r sm s0 s1 < <(printf '%s\n' "${sd[@]}" | stats)
read -r km k0 k1 < <(printf '%s\n' "${kn[@]}" | stats)
read -r rm r0 r1 < <(printf '%s\n' "${ratio[@]}" | sort -g | awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }')
echo
echo "TCP CRR (64-byte echo), connections/s, median of $ROUNDS rounds of ${SECS} s [min..max], af_xdp:"
echo "stackd $sm [$s0..$s1]  kernel $km [$k0..$k1]  ratio $rm [$r0..$r1]"
