#!/usr/bin/env bash
# AF_INET6 sockets under the shim (issue 5): unmodified programs over IPv6
# against the Linux peer, and the IPv6 loopback hand-over.
#   - socat (shim) TCP6 client -> Linux socat on [PEER6], a file byte-exact;
#   - nc -6 -l (shim) <- Linux socat TCP6 client, a file byte-exact;
#   - python3 (shim) dual-stack [::] listener <- a Linux IPv4 client (peer
#     shown ::ffff:a.b.c.d) and a Linux IPv6 client, echo byte-exact; an
#     IPV6_V6ONLY listener next to it refuses the IPv4 client;
#   - python3 (shim) AF_INET6 UDP client <- a Linux UDP6 echo;
#   - ::1 and ::ffff:127.0.0.1 become kernel sockets of the same family
#     with the options set before (IPV6_V6ONLY, SO_REUSEADDR, TCP_NODELAY);
#   - --fallback fail applies to AF_INET6 (stackd unreachable: ENETDOWN).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
source "$(dirname "$0")/ipv6_lib.sh"
HERE=$(dirname "$0")
command -v nc >/dev/null && command -v socat >/dev/null || fail "nc/socat missing (deploy/install-deps.sh)"
mb=${STACKD_SHIM_MB:-4}

start_client_stackd6
head -c $((mb * 1000000)) /dev/urandom >"$WORK/data"
passive0=$(stackd_counter TcpPassiveOpens)
active0=$(stackd_counter TcpActiveOpens)

log "socat TCP6 (shim) -> socat (Linux) on [$PEER_ADDR6], $mb MB"
peer socat -u "TCP6-LISTEN:7000,bind=[$PEER_ADDR6],reuseaddr" OPEN:"$WORK/r1",creat,trunc &
s1=$!
wait_peer_port 7000
timeout 60 "${SHIMMED[@]}" socat -u OPEN:"$WORK/data" "TCP6:[$PEER_ADDR6]:7000" || fail "socat client"
timeout 30 tail --pid=$s1 -f /dev/null || fail "socat server did not finish"
same_file "$WORK/data" "$WORK/r1"

log "nc -6 -l (shim) <- socat TCP6 (Linux), $mb MB"
timeout 60 "${SHIMMED[@]}" nc -6 -l 7001 >"$WORK/r2" &
s2=$!
timeout 60 ip netns exec "$NS_PEER" socat -u OPEN:"$WORK/data" "TCP6:[$SD_ADDR6]:7001,retry=20,interval=0.2" \
  || fail "socat client"
wait $s2 || fail "nc server"
same_file "$WORK/data" "$WORK/r2"

log "python3 [::] dual-stack listener (shim) <- Linux IPv4 and IPv6 clients"
timeout 60 "${SHIMMED[@]}" python3 "$HERE/shim_py_ipv6.py" dual 7002 2 >"$WORK/dual.log" 2>&1 &
s3=$!
wait_file_line "$WORK/dual.log" listening
for addr in "$SD_ADDR" "$SD_ADDR6"; do
  timeout 60 ip netns exec "$NS_PEER" python3 "$HERE/tcp_bulk.py" send "$addr" 7002 \
    --bytes 1000000 --seed 5 --echo --deadline 50 || fail "Linux client to [::]:7002 via $addr"
done
# The V6ONLY listener on 7003 is IPv6 only: an IPv4 SYN is answered by RST.
timeout 10 ip netns exec "$NS_PEER" socat -u /dev/null "TCP4:$SD_ADDR:7003" 2>"$WORK/refused" \
  && fail "IPv4 client reached an IPV6_V6ONLY listener"
grep -q "Connection refused" "$WORK/refused" || fail "IPv4 to the V6ONLY listener: $(cat "$WORK/refused")"
wait $s3 || fail "dual-stack server: $(cat "$WORK/dual.log")"
grep -q "^peer ::ffff:$PEER_ADDR local ::ffff:$SD_ADDR$" "$WORK/dual.log" \
  || fail "no v4-mapped peer: $(cat "$WORK/dual.log")"
grep -q "^peer $PEER_ADDR6 local $SD_ADDR6$" "$WORK/dual.log" || fail "no IPv6 peer: $(cat "$WORK/dual.log")"

log "python3 AF_INET6 UDP (shim) -> Linux UDP6 echo"
peer python3 - 7004 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
s.settimeout(1)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        b, a = s.recvfrom(65536)
    except socket.timeout:
        continue
    s.sendto(b, a)
PY
wait_peer_port 7004 udp
timeout 60 "${SHIMMED[@]}" python3 "$HERE/shim_py_ipv6.py" udp "$PEER_ADDR6" 7004 50 >"$WORK/udp.log" 2>&1 \
  || fail "UDP6 client: $(cat "$WORK/udp.log")"
grep -q "local :: port [1-9]" "$WORK/udp.log" || fail "UDP6 local name: $(cat "$WORK/udp.log")"

# Every TCP connection above went through stackd (none fell to the kernel).
n=$(stackd_counter TcpPassiveOpens)
[[ $((n - passive0)) -eq 3 ]] || fail "TcpPassiveOpens grew by $((n - passive0)), expected 3"
n=$(stackd_counter TcpActiveOpens)
[[ $((n - active0)) -eq 1 ]] || fail "TcpActiveOpens grew by $((n - active0)), expected 1"

log "::1 and ::ffff:127.0.0.1 (shim) are handed over to kernel AF_INET6 sockets"
timeout 30 "${SHIMMED[@]}" python3 "$HERE/shim_py_ipv6.py" loopback >"$WORK/lo.log" 2>&1 \
  || fail "loopback: $(cat "$WORK/lo.log")"
n=$(stackd_counter TcpActiveOpens)
[[ $((n - active0)) -eq 1 ]] || fail "a loopback connection went through stackd"

log "--fallback fail takes AF_INET6 sockets too"
STACKD_SOCKET="$WORK/no-such.sock" timeout 30 "${SHIMMED[@]}" python3 "$HERE/shim_py_ipv6.py" socket \
  >"$WORK/fb.log" 2>&1 && fail "AF_INET6 socket went to the kernel: $(cat "$WORK/fb.log")"
grep -q "Network is down" "$WORK/fb.log" || fail "no ENETDOWN: $(cat "$WORK/fb.log")"
stop_stackd || fail "stackd did not shut down cleanly"
log "PASS"
