#!/usr/bin/env bash
# The impairment relay (tests/relay) between Linux and Linux: each
# impairment does what it says, seen from the kernels at both ends, and a
# clean relay is not the bottleneck of a bulk transfer. Bounded: < 3 min.
# A fixed seed: with static ARP and no IPv6 the frame sequence is fixed, so
# every run makes the very same loss decisions (override to explore).
: "${RELAY_SEED:=20261124}"
source "$(dirname "$0")/relay_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
bulk="$here/tcp_bulk.py"
port=5001
MiB=$((1 << 20))

# nstat_sum NAME... : the sum of the right kernel's absolute counters.
nstat_sum() { right nstat -asz "$@" 2>/dev/null | awk 'NR > 1 && $1 != "#kernel" { s += $2 } END { print s + 0 }'; }

# transfer BYTES DEADLINE : left sends BYTES of the seeded stream to a sink
# on right, which checks them; prints the sender's line; fails on mismatch.
transfer() {
  local bytes=$1 deadline=$2 seed=$RANDOM
  right python3 "$bulk" server --port "$port" --mode sink --expect-bytes "$bytes" --seed "$seed" \
    --deadline "$deadline" >"$WORK/sink.log" 2>&1 &
  local sink=$!
  local i
  for i in $(seq 1 50); do
    grep -q listening "$WORK/sink.log" && break
    sleep 0.1
  done
  left python3 "$bulk" send "$PEER_ADDR" "$port" --bytes "$bytes" --seed "$seed" --deadline "$deadline" \
    >"$WORK/send.log" 2>&1 || { cat "$WORK/send.log" "$WORK/sink.log"; fail "sender failed"; }
  wait "$sink" || { cat "$WORK/sink.log"; fail "sink: transfer not byte-exact or late"; }
  grep "^tcp_bulk sink" "$WORK/sink.log"
  SECONDS_TAKEN=$(awk '/^tcp_bulk sink/ { for (i = 1; i <= NF; i++) if ($i ~ /^seconds=/) { sub("seconds=", "", $i); print $i } }' "$WORK/sink.log")
}

# ping_stats COUNT INTERVAL : ping right from left; sets RECEIVED, RTT_MIN, RTT_MAX, PING_OUT.
ping_stats() {
  PING_OUT=$(left timeout 30 ping -n -c "$1" -i "$2" -W 1 "$PEER_ADDR" 2>&1 || true)
  RECEIVED=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$PING_OUT")
  read -r RTT_MIN _ RTT_MAX _ < <(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) ms|\1 \2 \3 \4|p' <<<"$PING_OUT") || true
  : "${RECEIVED:=0}"
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

[[ -x $RELAY ]] || fail "stackd-relay not built at $RELAY (tests/relay/relay.cmake)"
relay_setup linux
relay_static_neigh

log "== clean relay: 200 MiB byte-exact, relay keeps up"
relay_start
left nstat -asz TcpRetransSegs >/dev/null
transfer $((200 * MiB)) 60
relay_stop
fps=$(awk -v n="$(relay_stat a2b forwarded)" -v t="$SECONDS_TAKEN" 'BEGIN { printf "%.0f", n / t }')
log "relay forwarded $(relay_stat a2b forwarded) frames a2b in ${SECONDS_TAKEN} s: ~$fps frames/s"
[[ $(relay_stat a2b rx_drops) -eq 0 && $(relay_stat b2a rx_drops) -eq 0 ]] || fail "relay fell behind at zero impairment"
[[ $(relay_stat a2b oversize) -eq 0 && $(relay_stat a2b tx_errors) -eq 0 ]] || fail "oversize frames or send errors (offloads?)"
[[ $(relay_stat a2b received) -eq $(relay_stat a2b forwarded) ]] || fail "clean relay did not forward every frame"

log "== clean relay: 100k frames/s of 1514 bytes each way at once, none lost"
relay_start
blast=$STACKD_BUILD_DIR/tests/relay/stackd-frame-blast
[[ -x $blast ]] || fail "stackd-frame-blast not built at $blast"
right "$blast" rx --if "$R_IF" --timeout 30 >"$WORK/rx_right.log" &
rx_r=$!
left "$blast" rx --if "$L_IF" --timeout 30 >"$WORK/rx_left.log" &
rx_l=$!
for i in $(seq 1 50); do
  grep -q ready "$WORK/rx_right.log" && grep -q ready "$WORK/rx_left.log" && break
  sleep 0.1
done
left "$blast" tx --if "$L_IF" --count 200000 --size 1514 --pps 100000 >"$WORK/tx_left.log" &
tx_l=$!
right "$blast" tx --if "$R_IF" --count 200000 --size 1514 --pps 100000 >"$WORK/tx_right.log" || fail "blast b2a"
wait "$tx_l" || fail "blast a2b"
wait "$rx_r" && wait "$rx_l" || fail "blast receivers"
relay_stop
cat "$WORK"/tx_*.log "$WORK"/rx_*.log
for f in rx_left rx_right; do
  grep -q "received=200000 out_of_order=0 " "$WORK/$f.log" || fail "$f: frames lost or reordered at 100k frames/s"
done

# With a long hold limit the count decides: a held frame leaves right after
# the 3rd later one (only the last few may leave on the timer).
log "== --a2b-reorder 0.1: every held frame arrives behind later ones, none lost"
relay_start --a2b-reorder 0.1 --reorder-frames 3 --reorder-us 100000
right "$blast" rx --if "$R_IF" --timeout 30 >"$WORK/rx_right.log" &
rx_r=$!
for i in $(seq 1 50); do grep -q ready "$WORK/rx_right.log" && break; sleep 0.1; done
left "$blast" tx --if "$L_IF" --count 20000 --size 200 --pps 50000 >/dev/null || fail "blast"
wait "$rx_r" || fail "blast receiver"
relay_stop
cat "$WORK/rx_right.log"
held=$(relay_stat a2b reordered)
ooo=$(sed -n 's/.*out_of_order=\([0-9]*\).*/\1/p' "$WORK/rx_right.log")
grep -q "received=20000 " "$WORK/rx_right.log" || fail "frames lost by reordering"
[[ $held -gt 1500 && $held -lt 2500 && $ooo -le $held && $ooo -ge $((held - 3)) ]] \
  || fail "held $held frames, receiver saw $ooo out of order"

log "== --a2b-loss 0.5: about half the pings are lost, the other way nothing"
relay_start --a2b-loss 0.5
ping_stats 200 0.01
relay_stop
log "ping received $RECEIVED of 200"
# Binomial(200, 0.5): sigma ~7.1; 70..130 is beyond 4 sigma.
[[ $RECEIVED -ge 70 && $RECEIVED -le 130 ]] || fail "loss 0.5 gave $RECEIVED/200 replies"
[[ $(relay_stat a2b dropped) -eq $((200 - RECEIVED)) ]] || fail "relay a2b dropped $(relay_stat a2b dropped), ping lost $((200 - RECEIVED))"
[[ $(relay_stat b2a dropped) -eq 0 ]] || fail "b2a dropped without --b2a-loss"

log "== --dup 1.0: ping sees duplicates"
relay_start --dup 1.0
ping_stats 5 0.2
relay_stop
grep -q 'DUP!' <<<"$PING_OUT" || { echo "$PING_OUT"; fail "no DUP! with --dup 1.0"; }
[[ $(relay_stat a2b duplicated) -ge 5 ]] || fail "relay duplicated $(relay_stat a2b duplicated) frames"

log "== --delay 10: RTT >= 20 ms"
relay_start --delay 10
ping_stats 5 0.2
relay_stop
log "rtt min $RTT_MIN max $RTT_MAX ms"
[[ $RECEIVED -eq 5 ]] && ge "$RTT_MIN" 20 && ge 60 "$RTT_MAX" || { echo "$PING_OUT"; fail "delay 10 ms: rtt $RTT_MIN..$RTT_MAX"; }

log "== --delay 10 --jitter 5: RTT within 10..30 ms and spread"
relay_start --delay 10 --jitter 5
ping_stats 20 0.05
relay_stop
log "rtt min $RTT_MIN max $RTT_MAX ms"
[[ $RECEIVED -eq 20 ]] && ge "$RTT_MIN" 10 && ge 50 "$RTT_MAX" && ge "$RTT_MAX" "$(awk -v m="$RTT_MIN" 'BEGIN { print m + 2 }')" \
  || { echo "$PING_OUT"; fail "jitter: rtt $RTT_MIN..$RTT_MAX"; }

log "== --a2b-corrupt 1.0: the right kernel counts checksum errors"
relay_start --a2b-corrupt 1.0
errs_before=$(nstat_sum UdpInCsumErrors IpExtInCsumErrors IpInHdrErrors)
noports_before=$(nstat_sum UdpNoPorts)
left python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(bytes([i % 256]) * 1000, (sys.argv[1], 9999))
' "$PEER_ADDR"
sleep 0.3
relay_stop
errs=$(( $(nstat_sum UdpInCsumErrors IpExtInCsumErrors IpInHdrErrors) - errs_before ))
intact=$(( $(nstat_sum UdpNoPorts) - noports_before ))
log "relay corrupted $(relay_stat a2b corrupted); right kernel: $errs checksum/header errors, $intact intact datagrams"
[[ $(relay_stat a2b corrupted) -eq 200 ]] || fail "relay corrupted $(relay_stat a2b corrupted) of 200"
[[ $errs -ge 190 && $intact -le 10 ]] || fail "corruption not seen as checksum errors ($errs, intact $intact)"

log "== --rate 10: 4 MiB take at least size/rate"
relay_start --rate 10
transfer $((4 * MiB)) 30
relay_stop
# 4 MiB of payload alone is 3.36 s at 10 Mbit/s; headers only add to it.
ge "$SECONDS_TAKEN" 3.3 || fail "4 MiB at 10 Mbit/s took only $SECONDS_TAKEN s"
ge 15 "$SECONDS_TAKEN" || fail "4 MiB at 10 Mbit/s took $SECONDS_TAKEN s"

log "== --loss 0.01: 64 MiB byte-exact"
relay_start --loss 0.01
transfer $((64 * MiB)) 60
relay_stop
[[ $(relay_stat a2b dropped) -gt 0 ]] || fail "no loss at 1%"

log "== --loss 0.05 --reorder 0.25: 16 MiB byte-exact"
relay_start --loss 0.05 --reorder 0.25
transfer $((16 * MiB)) 30
relay_stop
[[ $(relay_stat a2b reordered) -gt 0 ]] || fail "nothing reordered"

log "== --dup 0.02 --delay 10: 16 MiB byte-exact"
relay_start --dup 0.02 --delay 10
transfer $((16 * MiB)) 30
relay_stop
[[ $(relay_stat a2b duplicated) -gt 0 ]] || fail "nothing duplicated"

# The stackd side of relay_lib.sh: stackd on the left end (each back-end)
# behind the very same relay, reached from the Linux peer on the right.
for b in $(echo "${STACKD_NET_BACKENDS:-af_xdp tap}"); do
  log "== stackd ($b) behind --delay 5: ping RTT >= 10 ms, UDP echo byte-exact"
  relay_setup "$b"
  relay_start --delay 5
  start_stackd
  out=$(right ping -n -c 3 -i 0.2 -W 1 "$SD_ADDR" 2>&1) || { echo "$out"; fail "ping stackd through relay"; }
  rtt_min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$out")
  ge "$rtt_min" 10 || fail "rtt $rtt_min ms to stackd through --delay 5"
  timeout 60 ip netns exec "$NS_R" python3 "$here/udp_echo_client.py" "$SD_ADDR" --count 50 --seed "$id" \
    || fail "udp echo through relay ($b)"
  stop_stackd || fail "stackd did not shut down cleanly"
  relay_stop
done

log "relay: ok"
