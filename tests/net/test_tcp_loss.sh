#!/usr/bin/env bash
# SACK-based loss recovery (RFC 6675) against Linux through the impairment
# relay: 5% loss and 25% reordering in both directions. A Linux client
# sends STACKD_TCP_LOSS_MB (default 64) MiB to stackd's echo service and
# reads it back (tcp_bulk.py compares SHA-256: byte-exact both ways), then
# the same to the discard service. stackd must not storm: the segments it
# retransmits (TcpRetransSegs) stay within 2x the frames the relay dropped
# on stackd's side (a2b) plus a small allowance for tail losses that only
# the RTO can repair. Also prints stackd's recovery counters.
#
# Back-ends: STACKD_LOSS_BACKENDS (default af_xdp; "af_xdp tap" for both).
# Each transfer has a deadline (STACKD_TCP_LOSS_DEADLINE, 75 s; ~60 s today): bounded.
: "${RELAY_SEED:=6675}"
: "${RELAY_DURATION:=120}"
source "$(dirname "$0")/relay_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
bulk="$here/tcp_bulk.py"
mb=${STACKD_TCP_LOSS_MB:-64}
bytes=$((mb << 20))
deadline=${STACKD_TCP_LOSS_DEADLINE:-75}
impair=(--loss 0.05 --reorder 0.25)

# stackd_counter NAME : the value stackd prints for NAME on SIGUSR1 (as lib.sh).
stackd_counter() {
  local before i
  before=$(wc -l <"$STACKD_LOG")
  kill -USR1 "$STACKD_PID"
  for i in $(seq 1 30); do
    sleep 0.1
    tail -n +"$((before + 1))" "$STACKD_LOG" | grep -q "end of counters" && break
  done
  tail -n +"$((before + 1))" "$STACKD_LOG" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

run_backend() { # backend
  local be=$1 r0 r1 dropped sent ratio_ok port mode
  relay_setup "$be"
  relay_write_config "
[[neighbour]]
address = \"$PEER_ADDR\"
mac = \"$PEER_MAC\"
dev = \"$SD_IF\"

[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7

[[service]]
kind = \"discard\"
proto = \"tcp\"
port = 9"
  right ip neigh replace "$SD_ADDR" lladdr "$SD_MAC" dev "$R_IF" nud permanent
  relay_start
  start_stackd
  relay_stop >/dev/null
  for mode in echo discard; do
    port=7
    [[ $mode == discard ]] && port=9
    r0=$(stackd_counter TcpRetransSegs)
    relay_start "${impair[@]}"
    local args=(send "$SD_ADDR" "$port" --bytes "$bytes" --seed 7 --deadline "$deadline")
    [[ $mode == echo ]] && args+=(--echo)
    right python3 "$bulk" "${args[@]}" >"$WORK/cli.log" 2>&1 \
      || { cat "$WORK/cli.log"; fail "$be $mode ${mb} MiB: not byte-exact or not within ${deadline} s"; }
    relay_stop >/dev/null
    r1=$(stackd_counter TcpRetransSegs)
    dropped=$(relay_stat a2b dropped)
    sent=$((r1 - r0))
    log "$be $mode ${mb} MiB: $(grep '^tcp_bulk' "$WORK/cli.log" | tail -n 1)"
    log "$be $mode: stackd TcpRetransSegs +$sent, relay dropped a2b=$dropped b2a=$(relay_stat b2a dropped)"
    # 2x the drops (a lost retransmission is resent again) + 64 for RTO tails.
    ratio_ok=$((2 * dropped + 64))
    ((sent <= ratio_ok)) || fail "$be $mode: retransmission storm: $sent retransmitted for $dropped dropped"
  done
  local c
  for c in TcpExtTCPSACKRecovery TcpExtTCPRenoRecovery TcpExtTCPFastRetrans TcpExtTCPTimeouts \
    TcpExtTCPDSACKRecv TcpExtTCPDSACKOldSent TcpExtTCPDSACKOfoSent TcpExtTCPOFOQueue TcpExtTCPLostRetransmit; do
    printf '%s=%s ' "$c" "$(stackd_counter "$c")"
  done
  echo
  stop_stackd || fail "$be: stackd did not shut down cleanly"
}

[[ -x $RELAY ]] || fail "stackd-relay not built at $RELAY (tests/relay/relay.cmake)"
for be in ${STACKD_LOSS_BACKENDS:-af_xdp}; do
  run_backend "$be"
done
log "PASS"
