#!/usr/bin/env bash
# TCP bulk throughput, one connection at a time, MTU 1500, af_xdp back-end:
#   stackd -> Linux:  stackd chargen (BYTES then FIN) -> tcp_bench.py recv
#   Linux -> stackd:  tcp_bench.py send BYTES -> stackd discard
# against the same two transfers with the kernel of stackd's namespace at
# the other end (tcp_bench_lib.sh), rounds alternating which goes first,
# with the veth's GSO/TSO/GRO on and off. Prints per-round rates, then the
# median Mbit/s [min..max] of each and the median stackd/kernel ratio.
#
# A benchmark, not a CI test: slow numbers do not fail it; failed transfers do.
#   sudo STACKD_BUILD_DIR=$PWD/build/bench tests/bench/tcp_throughput.sh
#   ROUNDS=5 MB=256 OFFLOADS="on off"
source "$(dirname "$0")/../net/lib.sh"
ROUNDS=${ROUNDS:-5}
MB=${MB:-256}
OFFLOADS=${OFFLOADS:-"on off"}
CHARGEN_BYTES=$((MB << 20))
source "$(dirname "$0")/tcp_bench_lib.sh"

# rate KIND HOST PORT : Mbit/s of one transfer (fails the bench on error).
rate() {
  local out
  if [[ $1 == tx ]]; then
    out=$(peer python3 "$TOOL" recv "$2" "$3" --deadline 120) || return 1
    [[ $(field bytes <<<"$out") == "$CHARGEN_BYTES" ]] || { echo "short transfer: $out" >&2; return 1; }
  else
    out=$(peer python3 "$TOOL" send "$2" "$3" --bytes "$CHARGEN_BYTES" --deadline 120) || return 1
  fi
  field mbit_s <<<"$out"
}

summary=()
bench_setup af_xdp "$CHARGEN_BYTES"
for off in $OFFLOADS; do
  offloads "$off"
  for dir in tx rx; do
    if [[ $dir == tx ]]; then sp=19; kp=5019; else sp=9; kp=5009; fi
    sd=(); kn=(); ratio=()
    for r in $(seq 1 "$ROUNDS"); do
      if (( r % 2 )); then
        a=$(rate $dir "$SD_ADDR" $sp) || fail "stackd $dir transfer"
        k=$(rate $dir "$KERNEL_ADDR" $kp) || fail "kernel $dir transfer"
      else
        k=$(rate $dir "$KERNEL_ADDR" $kp) || fail "kernel $dir transfer"
        a=$(rate $dir "$SD_ADDR" $sp) || fail "stackd $dir transfer"
      fi
      sd+=("$a"); kn+=("$k")
      ratio+=("$(awk -v a="$a" -v k="$k" 'BEGIN { printf "%.3f", a / k }')")
      log "offloads $off $dir round $r: stackd $a Mbit/s, kernel $k Mbit/s"
    done
    read -r sm s0 s1 < <(printf '%s\n' "${sd[@]}" | stats)
    read -r km k0 k1 < <(printf '%s\n' "${kn[@]}" | stats)
    read -r rm r0 r1 < <(printf '%s\n' "${ratio[@]}" | sort -g | awk '{ v[NR] = $1 } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }')
    label=$([[ $dir == tx ]] && echo "stackd->Linux" || echo "Linux->stackd")
    summary+=("$(printf 'offloads %-3s %-14s stackd %s [%s..%s]  kernel %s [%s..%s]  ratio %s [%s..%s]' \
      "$off" "$label" "$sm" "$s0" "$s1" "$km" "$k0" "$k1" "$rm" "$r0" "$r1")")
  done
done
bench_teardown

echo
echo "TCP throughput, Mbit/s, median of $ROUNDS rounds of $MB MiB [min..max], af_xdp, MTU 1500:"
printf '%s\n' "${summary[@]}"
