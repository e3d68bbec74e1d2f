#!/usr/bin/env bash
# SYN flood against stackd's TCP echo service, both back-ends: for 10 s the
# peer namespace sends SYNs from a raw socket (Linux-like options: MSS,
# SACK-permitted, timestamps, window scale) with random source ports and
# source addresses in the peer's /24 that nobody owns ($NET.200-.231).
# stackd has static neighbour entries for them with a MAC nobody has, so
# its SYN,ACKs leave at once and vanish (with ARP instead, every SYN,ACK
# would wait in a neighbour's pending queue holding a frame): the flood's
# children sit in SYN-RECEIVED and fill the SYN queue (backlog 128).
# Meanwhile a legitimate Linux client connects and echoes 1 MiB, compared
# byte for byte (SHA-256, tcp_bulk.py). It gets in through a SYN cookie
# (listen.cc): afterwards TcpExtSyncookiesSent > 0 and
# TcpExtSyncookiesRecv >= 1. Bounded: < 30 s per back-end.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap cleanup EXIT
HERE=$(dirname "${BASH_SOURCE[0]}")
FLOOD_S=${TCP_SYNFLOOD_SECONDS:-10}
FLOOD_PPS=${TCP_SYNFLOOD_PPS:-20000}

# $WORK/syn_flood.py DST PORT NET SECONDS PPS : raw SYNs from NET.200-.231,
# bounded in time.
write_syn_flood() {
  cat >"$WORK/syn_flood.py" <<'PY'
import random, socket, struct, sys, time
dst, port, net, seconds, pps = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

rnd = random.Random(42)
daddr = socket.inet_aton(dst)
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL
sent = 0
start = time.monotonic()
end = start + seconds
while time.monotonic() < end:
    for _ in range(100):
        src = "%s.%d" % (net, rnd.randint(200, 231))
        saddr = socket.inet_aton(src)
        sport = rnd.randint(1024, 65535)
        seq = rnd.getrandbits(32)
        # MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (as Linux sends).
        opts = struct.pack("!BBH", 2, 4, 1460) + struct.pack("!BBBBII", 4, 2, 8, 10,
                rnd.getrandbits(32), 0) + struct.pack("!BBBB", 1, 3, 3, 7)
        tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, (20 + len(opts)) // 4 << 4,
                          0x02, 64240, 0, 0) + opts
        pseudo = saddr + daddr + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), rnd.getrandbits(16), 0x4000,
                         64, 6, 0, saddr, daddr)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        sock.sendto(ip + tcp, (dst, 0))
        sent += 1
    # Pace to PPS so the flood does not starve the two shared cores.
    ahead = sent / pps - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
print("syn_flood sent=%d seconds=%.1f" % (sent, time.monotonic() - start))
PY
}

for be in $(backends); do
  setup_backend "$be"
  neigh=""
  for h in $(seq 200 231); do
    neigh+="
[[neighbour]]
address = \"$NET.$h\"
mac = \"02:de:ad:00:00:$(printf '%02x' "$h")\"
dev = \"$SD_IF\"
"
  done
  write_config "
[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7
$neigh"
  start_stackd

  log "$be: SYN flood ${FLOOD_S} s at <= ${FLOOD_PPS}/s from $NET.200-.231"
  write_syn_flood
  peer python3 "$WORK/syn_flood.py" "$SD_ADDR" 7 "$NET" "$FLOOD_S" "$FLOOD_PPS" >"$WORK/flood.log" 2>&1 &
  flood_pid=$!
  sleep 1  # the SYN queue is full well before this
  sent=$(stackd_counter TcpExtSyncookiesSent)
  [[ $sent -gt 0 ]] || fail "$be: no SYN cookies sent 1 s into the flood"

  log "$be: legitimate client echoes 1 MiB during the flood"
  peer python3 "$HERE/tcp_bulk.py" send "$SD_ADDR" 7 --bytes $((1 << 20)) --seed 11 --echo \
    --deadline 20 || fail "$be: legitimate echo transfer during the flood"
  kill -0 "$flood_pid" 2>/dev/null || fail "$be: the flood ended before the transfer did"
  wait "$flood_pid" || fail "$be: flood generator failed: $(cat "$WORK/flood.log")"
  log "$be: $(cat "$WORK/flood.log")"

  kill -0 "$STACKD_PID" 2>/dev/null || fail "$be: stackd died under the flood"
  sent=$(stackd_counter TcpExtSyncookiesSent)
  recv=$(stackd_counter TcpExtSyncookiesRecv)
  failed=$(stackd_counter TcpExtSyncookiesFailed)
  log "$be: TcpExtSyncookiesSent=$sent TcpExtSyncookiesRecv=$recv TcpExtSyncookiesFailed=$failed" \
      "TcpPassiveOpens=$(stackd_counter TcpPassiveOpens)"
  [[ $sent -gt 1000 ]] || fail "$be: only $sent SYN cookies sent during the flood"
  [[ $recv -ge 1 ]] || fail "$be: the legitimate connection did not come in through a cookie"
  [[ $failed -eq 0 ]] || fail "$be: $failed cookie ACKs failed (none were forged)"
  stop_stackd || fail "$be: stackd did not stop cleanly"
done
log "PASS"
