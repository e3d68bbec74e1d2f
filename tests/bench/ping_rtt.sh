#!/usr/bin/env bash
# ICMP echo round-trip time: kernel -> stackd vs kernel -> kernel, in one
# run, alternating targets round by round, on each back-end. Prints each
# round's avg RTT, the medians, the ratio stackd/kernel (median of the
# per-round ratios, with min/max over rounds) and the CPU time stackd used
# while pinged and while idle (utime+stime from /proc/PID/stat).
#
#   af_xdp: the kernel target is a second address ($NET.3) of the kernel
#           on stackd's own veth (the XDP program passes it to the kernel),
#           so both targets are reached over the very same veth pair.
#   tap:    the kernel target is a namespace behind a veth from the peer
#           namespace (a tap has no kernel on its far side but stackd).
#
# A benchmark, not a CI test: slow numbers do not fail it; failed pings do.
#   sudo STACKD_BUILD_DIR=build/bench tests/bench/ping_rtt.sh
#   ROUNDS=5 COUNT=1000 INTERVAL=0.002 STACKD_NET_BACKENDS="af_xdp tap"
source "$(dirname "$0")/../net/lib.sh"

ROUNDS=${ROUNDS:-5}
COUNT=${COUNT:-1000}
INTERVAL=${INTERVAL:-0.002}
NS_REF="kr-$id"
REF_NET="192.168.77"

rtt_cleanup() {
  local rc=$?
  ip netns del "$NS_REF" 2>/dev/null || true
  set +e     # (exit 1) would otherwise end the trap before lib.sh's cleanup
  (exit $rc)  # cleanup reads the status from $?
  cleanup
}
trap rtt_cleanup EXIT

# ping_avg TARGET : the avg RTT in µs of one round (ping prints ms with
# three decimals: 1 µs resolution); exits non-zero on loss.
ping_avg() {
  local out
  # Runs in a command substitution: report on stderr and return non-zero;
  # the caller fails (lib.sh's fail would only exit the subshell).
  local deadline
  deadline=$(awk -v c="$COUNT" -v i="$INTERVAL" 'BEGIN { printf "%d", c * i * 3 + 5 }')
  out=$(timeout $((deadline + 10)) ip netns exec "$NS_PEER" \
        ping -c "$COUNT" -i "$INTERVAL" -W 2 -w "$deadline" -q "$1") || { echo "$out" >&2; return 1; }
  echo "$out" | grep -q " 0% packet loss" || { echo "$out" >&2; return 1; }
  echo "$out" | awk -F'[/ =]+' '/^rtt/ { print $7 * 1000 }'
}

# cpu_ticks PID : utime + stime in clock ticks (fields 14 and 15 of stat;
# the command name in field 2 has no spaces for stackd).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# stats : median min max of the numbers on stdin.
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}

hz=$(getconf CLK_TCK)
summary=()
for b in $(backends); do
  log "== back-end $b"
  setup_backend "$b"
  if [[ $b == af_xdp ]]; then
    KERNEL_ADDR="$NET.3"
    ip netns exec "$NS_SD" ip addr add "$KERNEL_ADDR/24" dev "$SD_IF"
  else
    KERNEL_ADDR="$REF_NET.2"
    ip netns del "$NS_REF" 2>/dev/null || true
    ip netns add "$NS_REF"
    ip link add "kr$id" netns "$NS_REF" type veth peer name "kp$id" netns "$NS_PEER"
    ip netns exec "$NS_REF" ip link set lo up
    ip netns exec "$NS_REF" ip addr add "$KERNEL_ADDR/24" dev "kr$id"
    ip netns exec "$NS_REF" ip link set "kr$id" up
    peer ip addr add "$REF_NET.1/24" dev "kp$id"
    peer ip link set "kp$id" up
  fi
  start_stackd
  peer ping -c 3 -i 0.2 -W 2 -q "$KERNEL_ADDR" >/dev/null || fail "kernel target $KERNEL_ADDR unreachable"

  t0=$(date +%s.%N); c0=$(cpu_ticks "$STACKD_PID")
  sd=(); kn=(); ratio=()
  for r in $(seq 1 "$ROUNDS"); do
    # Alternate which target goes first so drift hits both alike.
    if (( r % 2 )); then
      a=$(ping_avg "$SD_ADDR") || fail "ping $SD_ADDR (stackd) failed or lost replies"
      k=$(ping_avg "$KERNEL_ADDR") || fail "ping $KERNEL_ADDR (kernel) failed or lost replies"
    else
      k=$(ping_avg "$KERNEL_ADDR") || fail "ping $KERNEL_ADDR (kernel) failed or lost replies"
      a=$(ping_avg "$SD_ADDR") || fail "ping $SD_ADDR (stackd) failed or lost replies"
    fi
    sd+=("$a"); kn+=("$k")
    ratio+=("$(awk -v a="$a" -v k="$k" 'BEGIN { printf "%.3f", a / k }')")
    log "round $r: stackd avg ${a} µs, kernel avg ${k} µs, ratio ${ratio[-1]}"
  done
  t1=$(date +%s.%N); c1=$(cpu_ticks "$STACKD_PID")
  sleep 3
  c2=$(cpu_ticks "$STACKD_PID")

  read -r sd_med sd_min sd_max < <(printf '%s\n' "${sd[@]}" | stats)
  read -r kn_med kn_min kn_max < <(printf '%s\n' "${kn[@]}" | stats)
  read -r ra_med ra_min ra_max < <(printf '%s\n' "${ratio[@]}" | stats)
  busy=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
         'BEGIN { printf "%.2f s CPU in %.1f s wall (%.0f%%)", c / hz, t1 - t0, 100 * c / hz / (t1 - t0) }')
  idle=$(awk -v c=$((c2 - c1)) -v hz="$hz" 'BEGIN { printf "%.2f s CPU in 3 s idle", c / hz }')
  line=$(printf '%-6s stackd %s µs [%s..%s]  kernel %s µs [%s..%s]  ratio %s [%s..%s]' \
         "$b" "$sd_med" "$sd_min" "$sd_max" "$kn_med" "$kn_min" "$kn_max" \
         "$ra_med" "$ra_min" "$ra_max")
  summary+=("$line" "       stackd CPU: $busy while pinged ($((ROUNDS * COUNT)) echos); $idle")
  stop_stackd || fail "stackd did not shut down cleanly"
done

echo
echo "ICMP echo RTT, median avg-RTT over $ROUNDS rounds of ping -c $COUNT -i $INTERVAL [min..max]:"
printf '%s\n' "${summary[@]}"
