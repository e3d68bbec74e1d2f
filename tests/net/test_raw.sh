#!/usr/bin/env bash
# Raw IPv4 sockets (raw(7)) through the client library and the shim, against
# a Linux peer: ICMP echo over a SOCK_RAW socket (replies received with their
# IP header), a raw packet analyser seeing the peer's UDP while stackd still
# serves it, an IP_HDRINCL datagram as tcpdump on the Linux side sees it
# (length, id, source, checksum filled in by stackd), EPERM for a client
# without the raw privilege (and its admission through [attach] raw_uids),
# and an unmodified iputils ping under stackrun.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"

chmod 755 "$WORK"  # the unprivileged client must reach the socket file
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

start_client_stackd "allow_uids = [65534]"

log "raw ICMP echo (libclient example) -> Linux peer"
timeout 30 "$STK_BIN/stk_raw_tool" ping "$PEER_ADDR" 3 >"$WORK/ping.out" 2>&1 || fail "raw ping: $(cat "$WORK/ping.out")"
cat "$WORK/ping.out"
[[ $(grep -c "bytes from $PEER_ADDR: icmp_seq=" "$WORK/ping.out") -eq 3 ]] || fail "not 3 replies"

log "raw capture of UDP (protocol 17): two datagrams in, stackd's echo service answers them"
"$STK_BIN/stk_raw_tool" capture 17 2 >"$WORK/capture.out" 2>&1 &
cap=$!
wait_file_line "$WORK/capture.out" "capturing protocol 17"
sleep 0.2
reply=$(timeout 10 ip netns exec "$NS_PEER" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for _ in range(2):
    s.sendto(b'raw-copy', ('$SD_ADDR', 7))
    got = s.recvfrom(100)[0].decode()
print(got)") || fail "UDP echo did not answer"
[[ $reply == raw-copy ]] || fail "echo: $reply"
timeout 10 tail --pid=$cap -f /dev/null || fail "capture did not see 2 datagrams"
wait $cap || fail "capture tool failed"
cat "$WORK/capture.out"
grep -q "$PEER_ADDR > $SD_ADDR proto 17 ttl 64 .* hdr 20" "$WORK/capture.out" || fail "no copy of the peer's datagram"
grep -q "$SD_ADDR > $PEER_ADDR proto 17" "$WORK/capture.out" && fail "a raw socket saw stackd's own output"

log "IP_HDRINCL (IPPROTO_RAW): tcpdump on the Linux side"
peer timeout 20 tcpdump -i "$SD_IF" -n -v -c 1 -l 'ip proto 253' >"$WORK/tcpdump.out" 2>"$WORK/tcpdump.err" &
td=$!
wait_file_line "$WORK/tcpdump.err" "listening on"
"$STK_BIN/stk_raw_tool" hdrincl "$PEER_ADDR" 253 stackd-hdrincl-marker || fail "hdrincl send"
wait $td || fail "tcpdump saw nothing: $(cat "$WORK/tcpdump.err")"
cat "$WORK/tcpdump.out"
# 20 + 21 bytes; an id; our source; tcpdump -v flags a bad checksum.
grep -q "length 41" "$WORK/tcpdump.out" || fail "total length not filled in"
grep -q "id 0," "$WORK/tcpdump.out" && fail "id left 0"
grep -q "$SD_ADDR > $PEER_ADDR" "$WORK/tcpdump.out" || fail "source not filled in"
grep -qi "bad cksum" "$WORK/tcpdump.out" && fail "header checksum not filled in"

log "unprivileged client (uid 65534, admitted, not in raw_uids): EPERM"
if as_nobody "$STK_BIN/stk_raw_tool" ping "$PEER_ADDR" 1 >"$WORK/nobody.out" 2>&1; then
  fail "uid 65534 got a raw socket"
fi
grep -q "Operation not permitted" "$WORK/nobody.out" || fail "not EPERM: $(cat "$WORK/nobody.out")"

log "iputils ping under stackrun"
timeout 30 "${SHIMMED[@]}" ping -c 3 -i 0.3 -W 2 "$PEER_ADDR" >"$WORK/sping.out" 2>&1 || fail "stackrun ping: $(cat "$WORK/sping.out")"
cat "$WORK/sping.out"
[[ $(grep -c "bytes from $PEER_ADDR: icmp_seq=" "$WORK/sping.out") -eq 3 ]] || fail "ping: not 3 replies"
grep -q "3 packets transmitted, 3 received" "$WORK/sping.out" || fail "ping summary"
stop_stackd

log "raw_uids = [65534]: the same client gets raw sockets"
client_config "allow_uids = [65534]
raw_uids = [65534]"
start_stackd
as_nobody timeout 30 "$STK_BIN/stk_raw_tool" ping "$PEER_ADDR" 1 || fail "raw_uids client refused"

wait_gauge IpcSockets 0
wait_gauge IpcClients 0
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
