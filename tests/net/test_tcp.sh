#!/usr/bin/env bash
# TCP against the Linux kernel, both back-ends: Linux client -> stackd echo
# (64 MiB, SHA-256 compared by tcp_bulk.py), -> stackd discard (256 MiB),
# stackd chargen -> Linux sink (256 MiB, the RFC 864 pattern checked by
# hash), and 200 concurrent short echo connections; afterwards no TCB is
# left (TcpCurrEstab 0). Each step is bounded in time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup EXIT
HERE=$(dirname "${BASH_SOURCE[0]}")
ECHO_MB=${TCP_ECHO_MB:-64}
BULK_MB=${TCP_BULK_MB:-256}

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

  log "$be: echo ${ECHO_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" send "$SD_ADDR" 7 --bytes $((ECHO_MB << 20)) --seed 7 --echo \
    --deadline 30 || fail "$be: echo transfer"
  log "$be: discard ${BULK_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" send "$SD_ADDR" 9 --bytes $((BULK_MB << 20)) --seed 9 \
    --deadline 30 || fail "$be: discard transfer"
  log "$be: chargen ${BULK_MB} MiB"
  peer python3 "$HERE/tcp_bulk.py" recv "$SD_ADDR" 19 --expect-sha256 "$(chargen_sha $((BULK_MB << 20)))" \
    --deadline 30 || fail "$be: chargen transfer"
  log "$be: 200 concurrent connections"
  peer python3 "$HERE/tcp_many.py" "$SD_ADDR" 7 --count 200 --deadline 20 || fail "$be: concurrent connections"
  sleep 0.5
  est=$(stackd_counter TcpCurrEstab)
  [[ $est -eq 0 ]] || fail "$be: TcpCurrEstab=$est after every connection closed"
  log "$be: TcpPassiveOpens=$(stackd_counter TcpPassiveOpens), TcpRetransSegs=$(stackd_counter TcpRetransSegs)"
  stop_stackd || fail "$be: stackd did not stop cleanly"
done
log "PASS"
