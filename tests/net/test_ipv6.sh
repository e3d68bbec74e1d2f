#!/usr/bin/env bash
# IPv6 against the Linux kernel, on each back-end: the kernel pings stackd's
# link-local (EUI-64 from its MAC) and global addresses, also with 60,000
# bytes (fragmented both ways), UDP echo over IPv6 (python3 client, up to
# 65,527 bytes), and duplicate address detection: an address the peer
# already has is logged by stackd as a duplicate and never answered for;
# with accept_ra, a router advertisement from the peer (tests/net/ra_send.py)
# installs the default route: a peer address off every on-link prefix is
# unreachable before it and answered after it; MLD (RFC 3810) reports of
# stackd's solicited-node groups, decoded by tshark.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
count=${STACKD_UDP6_COUNT:-300}

NET6="fd$(printf '%02x' $(( id % 256 ))):$(printf '%x' "$id")"
SD_ADDR6="$NET6::2"
PEER_ADDR6="$NET6::1"
DUP_ADDR6="$NET6::3"
FAR_ADDR6="fd$(printf '%02x' $(( (id + 1) % 256 ))):$(printf '%x' "$id"):77::5"  # off-link for stackd
# RFC 4291 Appendix A: modified EUI-64 of SD_MAC (u/l bit flipped, ff:fe inserted).
SD_LL=$(python3 -c "
m=[int(x,16) for x in '$SD_MAC'.split(':')]; m[0]^=2
print('fe80::%x:%x:%x:%x' % (m[0]<<8|m[1], m[2]<<8|0xff, 0xfe<<8|m[3], m[4]<<8|m[5]))")

peer_if() { [[ $BACKEND == af_xdp ]] && echo "pev$id" || echo "$SD_IF"; }

# Wait (bounded) until the peer reaches `addr` over IPv6.
wait_ping6() {
  local addr=$1 i
  for i in $(seq 1 50); do
    peer ping -6 -c1 -W1 -q "$addr" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

wait_ping6_from() {
  local src=$1 addr=$2 i
  for i in $(seq 1 25); do
    peer ping -6 -c1 -W1 -q -I "$src" "$addr" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

for b in $(backends); do
  log "== back-end $b"
  setup_backend "$b"
  if [[ $b == af_xdp ]]; then
    # The kernel under stackd would derive the same link-local address
    # from the same MAC: keep IPv6 off on its side of the veth.
    ip netns exec "$NS_SD" sysctl -qw "net.ipv6.conf.$SD_IF.disable_ipv6=1"
  fi
  # The peer's own DAD is skipped (nodad): the test controls the link.
  peer ip -6 addr add "$PEER_ADDR6/64" dev "$(peer_if)" nodad
  peer ip -6 addr add "$DUP_ADDR6/64" dev "$(peer_if)" nodad
  peer ip -6 addr add "$FAR_ADDR6/128" dev "$(peer_if)" nodad
  write_config
  sed -i "s|^addresses = .*|addresses = [\"$SD_ADDR/24\", \"$SD_ADDR6/64\", \"$DUP_ADDR6/64\"]|" \
    "$WORK/stackd.toml"
  sed -i "s|^addresses = \(.*\)|addresses = \1\naccept_ra = true|" "$WORK/stackd.toml"
  # MLD (RFC 3810): capture what stackd sends from its start, so its
  # reports of the groups it joins are read by an independent decoder.
  cap="$WORK/mld-$b.pcap"
  ip netns exec "$NS_PEER" timeout 60 tcpdump -i "$(peer_if)" -U -s 256 -w "$cap" ip6 2>"$WORK/tcpdump-$b.log" &
  tcpdump_pid=$!
  for i in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump-$b.log" && break; sleep 0.1; done
  start_stackd
  wait_ping6 "$SD_ADDR6" || fail "no IPv6 ping answer from $SD_ADDR6 within 10 s (DAD ~1 s)"
  wait_ping6 "$SD_LL%$(peer_if)" || fail "no ping answer from link-local $SD_LL"
  peer ping -6 -c3 -i0.2 -W2 -q "$SD_ADDR6" >/dev/null || fail "ping -6 global"
  peer ping -6 -c3 -i0.2 -W2 -q "$SD_LL%$(peer_if)" >/dev/null || fail "ping -6 link-local"
  peer ping -6 -c2 -i0.5 -W3 -q -s 60000 "$SD_ADDR6" >/dev/null || fail "ping -6 -s 60000"
  n=$(stackd_counter Ip6ReasmOKs)
  [[ $n -ge 2 ]] || fail "Ip6ReasmOKs=$n after two 60000-byte pings"
  n=$(stackd_counter Ip6FragCreates)
  [[ $n -ge 80 ]] || fail "Ip6FragCreates=$n after two 60000-byte echo replies"
  timeout 300 ip netns exec "$NS_PEER" python3 "$here/udp_echo_client.py" "$SD_ADDR6" \
    --count "$count" --max 65527 --seed "$id" || fail "udp echo over IPv6"
  n=$(stackd_counter Udp6InDatagrams)
  [[ $n -ge $count ]] || fail "Udp6InDatagrams=$n"
  # MLD: the State Change Report and its repetition (within 1 s), each with
  # CHANGE_TO_EXCLUDE records of our solicited-node groups, hop limit 1,
  # checksum good as tshark computes it.
  kill "$tcpdump_pid" 2>/dev/null; wait "$tcpdump_pid" 2>/dev/null
  mld=$(tshark -r "$cap" -o icmpv6.checksum:TRUE -V -Y "eth.src == $SD_MAC && icmpv6.type == 143" 2>&1) \
    || mld=$(tshark -r "$cap" -V -Y "eth.src == $SD_MAC && icmpv6.type == 143" 2>&1)
  n=$(grep -c "Multicast Listener Report Message v2" <<<"$mld" || true)
  [[ $n -ge 2 ]] || fail "MLD: $n MLDv2 reports from stackd (want >= 2): $(head -40 <<<"$mld"); capture: $(tshark -r "$cap" 2>&1 | head -20)"
  grep -q "Changed to exclude" <<<"$mld" || fail "MLD: no CHANGE_TO_EXCLUDE record: $(head -60 <<<"$mld")"
  grep -q "Multicast Address: ff02::1:ff00:2" <<<"$mld" || fail "MLD: no record of ff02::1:ff00:2: $(head -60 <<<"$mld")"
  grep -q "Hop Limit: 1" <<<"$mld" || fail "MLD: hop limit not 1"
  grep -q "Router Alert" <<<"$mld" || fail "MLD: no Router Alert option"
  if grep -qi "checksum.*incorrect\|Checksum Status: Bad" <<<"$mld"; then fail "MLD: bad checksum"; fi
  log "back-end $b: MLD: $n reports, $(grep -c 'Multicast Address: ff02' <<<"$mld") group records"
  # DAD: the peer owns $DUP_ADDR6 (it answered our probe): stackd says so
  # and never uses it (never reported ready; the packet tests check that
  # it answers neither solicitations nor pings for it).
  grep -q "duplicate address $DUP_ADDR6 detected" "$STACKD_LOG" \
    || fail "no duplicate address log line for $DUP_ADDR6"
  n=$(stackd_counter ndp_dad_conflict)
  [[ $n -ge 1 ]] || fail "ndp_dad_conflict=$n"
  if grep -q "IPv6 address $DUP_ADDR6 ready" "$STACKD_LOG"; then fail "duplicate $DUP_ADDR6 used"; fi
  # Router advertisement: no route to $FAR_ADDR6 before, the default route after.
  if peer ping -6 -c1 -W1 -q -I "$FAR_ADDR6" "$SD_ADDR6" >/dev/null 2>&1; then
    fail "reply to an off-link source without a default route"
  fi
  peer python3 "$here/ra_send.py" "$(peer_if)" --lifetime 1800 || fail "ra_send.py"
  wait_ping6_from "$FAR_ADDR6" "$SD_ADDR6" || fail "no default route from the router advertisement"
  stop_stackd || fail "stackd did not shut down cleanly"
  log "back-end $b: ok"
done
