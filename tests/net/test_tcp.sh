#!/usr/bin/env bash
# TCP against the Linux kernel, both back-ends: Linux client -> stackd echo
# (64 MiB, SHA-256 compared by tcp_bulk.py), -> stackd discard (256 MiB),
# stackd chargen -> Linux sink (256 MiB, the RFC 864 pattern checked by
# hash), and 2,000 concurrent echo connections held open together, then
# closed: stackd's gauges (SIGUSR1 report) must show all 2,000 at once and
# afterwards the baseline again: no TCB, flow, ring buffer or timer left
# behind. Each step is bounded in time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup EXIT
HERE=$(dirname "${BASH_SOURCE[0]}")
ECHO_MB=${TCP_ECHO_MB:-64}
BULK_MB=${TCP_BULK_MB:-256}
MANY=${TCP_MANY:-2000}
GAUGES="TcpTcbsInUse TcpFlows TcpListeners TcpRingsInUse TcpRingBytesInUse TcpTimersArmed"

gauges() { stackd_counters $GAUGES; }

# SHA-256 of the first N bytes of the RFC 864 stream (tcp_services.cc chargen_byte).
chargen_sha() {
  python3 - "$1" <<'PY'
import hashlib, sys
n = int(sys.argv[1])
line = bytes(range(32, 127))
period = b"".join((line * 2)[k % 95:k % 95 + 72] + b"\r\n" for k in range(95))
h = hashlib.sha256()
full, rest = divmod(n, len(period))
block = period * 1000
for _ in range(full // 1000):
    h.update(block)
h.update(period * (full % 1000))
h.update(period[:rest])
print(h.hexdigest())
PY
}

for be in $(backends); do
  setup_backend "$be"
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
bytes = $((BULK_MB << 20))"
  start_stackd
  # The three services' listeners and nothing else.
  baseline=$(gauges)
  log "$be: baseline: $baseline"
  [[ "$baseline" == "TcpTcbsInUse=3 TcpFlows=0 TcpListeners=3 TcpRingsInUse=0 TcpRingBytesInUse=0 TcpTimersArmed=0" ]] ||
    fail "$be: unexpected baseline"

  log "$be: echo ${ECHO_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" send "$SD_ADDR" 7 --bytes $((ECHO_MB << 20)) --seed 7 --echo \
    --deadline 30 || fail "$be: echo transfer"
  log "$be: discard ${BULK_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" send "$SD_ADDR" 9 --bytes $((BULK_MB << 20)) --seed 9 \
    --deadline 30 || fail "$be: discard transfer"
  log "$be: $MANY concurrent connections"
  out="$WORK/many.out"
  peer python3 "$HERE/tcp_many.py" "$SD_ADDR" 7 --count "$MANY" --hold 2 --deadline 60 >"$out" 2>&1 &
  many=$!
  for i in $(seq 1 600); do
    grep -q "all open" "$out" && break
    kill -0 $many 2>/dev/null || break
    sleep 0.1
  done
  if grep -q "all open" "$out"; then
    tcbs=$(stackd_counter TcpTcbsInUse)
    log "$be: all $MANY open: TcpTcbsInUse=$tcbs TcpCurrEstab=$(stackd_counter TcpCurrEstab)"
    [[ $tcbs -eq $((MANY + 3)) ]] || fail "$be: TcpTcbsInUse=$tcbs with $MANY connections open"
  fi
  wait $many || { cat "$out"; fail "$be: concurrent connections"; }
  # Back to the baseline once every connection has closed (stackd's side
  # ends in LAST-ACK -> CLOSED: the client closes first), within 10 s. This
  # runs before chargen, whose connection stackd closes first: it then
  # rightly holds a TCB and its timer in TIME-WAIT for 60 s.
  for i in $(seq 1 50); do
    now=$(gauges)
    [[ "$now" == "$baseline" ]] && break
    sleep 0.2
  done
  log "$be: after: $now"
  [[ "$now" == "$baseline" ]] || fail "$be: gauges not back to baseline ($baseline)"
  est=$(stackd_counter TcpCurrEstab)
  [[ $est -eq 0 ]] || fail "$be: TcpCurrEstab=$est after every connection closed"
  log "$be: chargen ${BULK_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" recv "$SD_ADDR" 19 --expect-sha256 "$(chargen_sha $((BULK_MB << 20)))" \
    --deadline 30 || fail "$be: chargen transfer"
  log "$be: TcpPassiveOpens=$(stackd_counter TcpPassiveOpens), TcpRetransSegs=$(stackd_counter TcpRetransSegs)"
  stop_stackd || fail "$be: stackd did not stop cleanly"
done
log "PASS"
