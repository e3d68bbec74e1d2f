#!/usr/bin/env bash
# TCP over IPv6 against the Linux kernel, both directions:
#   - each back-end: a Linux client -> stackd's echo service over IPv6
#     (TCP6_ECHO_MB MiB, SHA-256 compared by tcp_bulk.py), stackd's chargen
#     -> a Linux reader over IPv6 (the RFC 864 stream checked by hash), and
#     the same bulk transfers over IPv4 on the same path, their rates
#     printed side by side (Linux -> stackd discard, stackd chargen -> Linux;
#     TCP6_ROUNDS rounds in alternating order, medians);
#   - tap: the client library over IPv6: stk_echo_client -> a Linux echo
#     server on [::] (byte-exact), and stk_echo_server on an AF_INET6
#     dual-stack socket accepting a Linux IPv4 client (peer shown v4-mapped,
#     ::ffff:a.b.c.d) and a Linux IPv6 client.
# Every step is bounded in time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/client_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ipv6_lib.sh"
HERE=$(dirname "${BASH_SOURCE[0]}")
ECHO_MB=${TCP6_ECHO_MB:-8}
BULK_MB=${TCP6_BULK_MB:-128}
CLIENT_BYTES=${TCP6_CLIENT_BYTES:-4000000}
ROUNDS=${TCP6_ROUNDS:-1}  # bulk rounds per back-end (the comparison: TCP6_ROUNDS=5 TCP6_BULK_MB=256)

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

SERVICES="
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

rate() { sed -n 's/.*mbit_s=\([0-9.]*\).*/\1/p' "$1"; }

for be in $(backends); do
  setup_backend "$be"
  write_config "$SERVICES"
  ipv6_up
  start_stackd
  wait_v6
  log "$be: Linux -> stackd echo over IPv6, $ECHO_MB MiB"
  timeout 120 ip netns exec "$NS_PEER" python3 "$HERE/tcp_bulk.py" send "$SD_ADDR6" 7 \
    --bytes $((ECHO_MB << 20)) --seed "$id" --echo --deadline 100 || fail "$be: echo over IPv6"
  want=$(chargen_sha $((BULK_MB << 20)))
  # ROUNDS rounds, the families' order alternating (the first transfer of
  # a run is the slowest); each line one round, then the medians.
  : >"$WORK/rates"
  for round in $(seq 1 "$ROUNDS"); do
    order="6 4"; (( round % 2 == 0 )) && order="4 6"
    for fam in $order; do
      addr=$SD_ADDR; [[ $fam == 6 ]] && addr=$SD_ADDR6
      timeout 120 ip netns exec "$NS_PEER" python3 "$HERE/tcp_bulk.py" send "$addr" 9 \
        --bytes $((BULK_MB << 20)) --seed 3 --deadline 100 >"$WORK/in$fam.out" || fail "$be: discard IPv$fam"
      timeout 120 ip netns exec "$NS_PEER" python3 "$HERE/tcp_bulk.py" recv "$addr" 19 \
        --expect-sha256 "$want" --deadline 100 >"$WORK/out$fam.out" || fail "$be: chargen IPv$fam"
    done
    echo "$(rate "$WORK/in6.out") $(rate "$WORK/in4.out") $(rate "$WORK/out6.out") $(rate "$WORK/out4.out")" >>"$WORK/rates"
    log "$be: round $round, $BULK_MB MiB, Mbit/s: Linux -> stackd discard IPv6 $(rate "$WORK/in6.out") IPv4 $(rate "$WORK/in4.out"); stackd chargen -> Linux IPv6 $(rate "$WORK/out6.out") IPv4 $(rate "$WORK/out4.out")"
  done
  log "$be: medians of $ROUNDS, Mbit/s: $(python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
m = [statistics.median(c) for c in zip(*rows)]
print(f"discard IPv6 {m[0]:.0f} IPv4 {m[1]:.0f} (v6/v4 {m[0]/m[1]:.2f}); chargen IPv6 {m[2]:.0f} IPv4 {m[3]:.0f} (v6/v4 {m[2]/m[3]:.2f})")
' "$WORK/rates")"
  # TCP counters are shared by both families (as Linux's Tcp: MIB); the
  # IPv6 ones show the connections went over IPv6.
  n=$(stackd_counter Ip6InReceives)
  [[ $n -gt $(( (ECHO_MB + BULK_MB) << 20 >> 11 )) ]] || fail "$be: Ip6InReceives=$n"
  n=$(stackd_counter TcpPassiveOpens)
  [[ $n -eq $((1 + 4 * ROUNDS)) ]] || fail "$be: TcpPassiveOpens=$n, expected $((1 + 4 * ROUNDS))"
  stop_stackd || fail "$be: stackd did not shut down cleanly"
  log "$be: ok"
done

# The client library over IPv6 (tap: the client path does not depend on the back-end).
setup_backend tap
client_config
ipv6_up
start_stackd
wait_attach_sock
wait_v6
peer python3 - 5000 <<'PY' &
import socket, sys, threading
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("::", int(sys.argv[1])))
l.listen(8)
l.settimeout(60)
def serve(c):
    with c:
        while True:
            b = c.recv(65536)
            if not b:
                return
            c.sendall(b)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
wait_peer_port 5000
log "stk_echo_client -> Linux echo server over IPv6, $CLIENT_BYTES bytes"
timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR6" 5000 "$CLIENT_BYTES" || fail "echo client over IPv6"
timeout 60 "$STK_BIN/stk_echo_client" "$PEER_ADDR6" 5000 "$CLIENT_BYTES" --zerocopy \
  || fail "echo client (zero-copy) over IPv6"

log "stk_echo_server on [::] (dual-stack) <- a Linux IPv4 and a Linux IPv6 client"
"$STK_BIN/stk_echo_server" 6000 2 -6 >"$WORK/server6.log" 2>&1 &
srv=$!
for i in $(seq 1 50); do grep -q "listening on" "$WORK/server6.log" && break; sleep 0.1; done
for addr in "$SD_ADDR" "$SD_ADDR6"; do
  timeout 60 ip netns exec "$NS_PEER" python3 "$HERE/tcp_bulk.py" send "$addr" 6000 \
    --bytes $((CLIENT_BYTES)) --seed 5 --echo --deadline 50 || fail "Linux client to [::]:6000 via $addr"
done
timeout 30 tail --pid="$srv" -f /dev/null || fail "echo server did not finish"
wait "$srv" || fail "echo server exited with an error: $(cat "$WORK/server6.log")"
grep -q "connection from ::ffff:$PEER_ADDR port" "$WORK/server6.log" \
  || fail "no v4-mapped peer in the server's log: $(cat "$WORK/server6.log")"
grep -q "connection from $PEER_ADDR6 port" "$WORK/server6.log" \
  || fail "no IPv6 peer in the server's log: $(cat "$WORK/server6.log")"
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
