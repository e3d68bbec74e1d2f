#!/usr/bin/env bash
# Control plane, IPv6 (tap back-end): an IPv6 address added with stackctl
# runs duplicate address detection (listed "tentative" until it passes),
# gets its connected route and answers the peer; deleting it stops that.
# `stackctl -6 route add` changes where IPv6 replies go and `del` stops
# them; `route` alone lists IPv4 only. `stackctl -6 neigh` shows ND states
# (REACHABLE/STALE/DELAY/PROBE for the peer, INCOMPLETE for a gateway
# nobody answers for), static IPv6 neighbours are PERMANENT; Ip6*/Icmp6*
# counters move; firewall rules match IPv6 (ip6 saddr, icmpv6 type, meta
# nfproto ipv6) at the IPv6 hooks, reject answering ICMPv6 unreachable.
source "$(dirname "$0")/control_lib.sh"

control_stackd tap
NET6="fd$(printf '%02x' $(( id % 256 ))):$(printf '%x' "$id")"
SD_ADDR6="$NET6::2"
PEER_ADDR6="$NET6::1"
GHOST6="$NET6::99"                                              # on-link, nobody has it
REMOTE_NET6="fd$(printf '%02x' $(( (id + 7) % 256 ))):$(printf '%x' "$id"):5"
REMOTE6="$REMOTE_NET6::1"                                       # off-link for stackd
peer ip -6 addr add "$PEER_ADDR6/64" dev "$SD_IF" nodad
peer ip -6 addr add "$REMOTE6/128" dev "$SD_IF" nodad

ping6_from() { peer ping -6 -c1 -W1 -q -I "$1" "$SD_ADDR6" >/dev/null 2>&1; }
# until CMD succeeds (bounded: N tries 0.2 s apart)
retry() {
  local n=$1 i
  shift
  for i in $(seq 1 "$n"); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# --- the link-local address is listed; the v4 listing has no IPv6
# (DAD of the link-local address may still run: tentative for about a second)
ctl -6 addr | gq "^$SD_IF: inet6 fe80::[0-9a-f:]*/64\( tentative\)\?$" || fail "-6 addr lacks the link-local address: $(ctl -6 addr)"
retry 25 eval 'ctl -6 addr | gq "^$SD_IF: inet6 fe80::[0-9a-f:]*/64\$"' || fail "link-local still tentative: $(ctl -6 addr)"
ctl -4 addr | gq "inet6" && fail "-4 addr listed IPv6"
ctl link | gq "inet6 fe80::" || fail "link lacks inet6: $(ctl link)"

# --- an address through the API: DAD, connected route, answered
ctl addr add "$SD_ADDR6/64" dev "$SD_IF" || fail "addr add v6"
ctl addr add "$SD_ADDR6/64" dev "$SD_IF" 2>/dev/null && fail "duplicate v6 address accepted"
ctl -6 addr >"$WORK/addr6.txt"
grep -q "inet6 $SD_ADDR6/64" "$WORK/addr6.txt" || fail "-6 addr: $(cat "$WORK/addr6.txt")"
retry 25 eval 'ctl -6 addr | gq "inet6 $SD_ADDR6/64\$"' || fail "still tentative: $(ctl -6 addr)"
ctl -6 route | gq "^$NET6::/64 dev $SD_IF proto kernel" || fail "-6 route lacks the connected route: $(ctl -6 route)"
ctl route | gq ":" && fail "route (IPv4) listed IPv6 routes: $(ctl route)"
[[ $(ctl -j -6 addr | json_eval "[a['prefix'] for a in d['addresses'] if not a['prefix'].startswith('fe80')]") == "['$SD_ADDR6/64']" ]] ||
  fail "-j -6 addr: $(ctl -j -6 addr)"
in6=$(ctl_counter Ip6InReceives)
echo6=$(ctl_counter Icmp6InEchos)
retry 25 ping6_from "$PEER_ADDR6" || fail "no answer from the added IPv6 address"
[[ $(ctl_counter Ip6InReceives) -gt $in6 ]] || fail "Ip6InReceives did not move"
[[ $(ctl_counter Icmp6InEchos) -gt $echo6 ]] || fail "Icmp6InEchos did not move"

# --- ND states: the peer is known (a state of RFC 4861 §7.3.2), -4 hides it
ctl -6 neigh | gq "^$PEER_ADDR6 dev $SD_IF lladdr [0-9a-f:]* \(REACHABLE\|STALE\|DELAY\|PROBE\)$" ||
  fail "-6 neigh: $(ctl -6 neigh)"
ctl -4 neigh | gq "$PEER_ADDR6" && fail "-4 neigh listed an IPv6 neighbour"

# --- a route changes where IPv6 replies go
ping6_from "$REMOTE6" && fail "stackd answered $REMOTE6 before it had a route"
ctl -6 route add "$REMOTE_NET6::/64" via "$PEER_ADDR6" metric 5 || fail "-6 route add"
ctl -6 route | gq "^$REMOTE_NET6::/64 via $PEER_ADDR6 dev $SD_IF metric 5$" || fail "-6 route: $(ctl -6 route)"
ctl route add "$REMOTE_NET6::/64" via "10.0.0.1" 2>"$WORK/err" && fail "a v6 route via a v4 gateway was accepted"
grep -q "not an IPv6 address" "$WORK/err" || fail "mixed family: $(cat "$WORK/err")"
retry 10 ping6_from "$REMOTE6" || fail "no reply via the added IPv6 route"
ctl -6 route del "$REMOTE_NET6::/64" || fail "-6 route del"
ping6_from "$REMOTE6" && fail "reply after the IPv6 route was deleted"

# --- INCOMPLETE: replies through a gateway nobody answers for
ctl -6 route add "$REMOTE_NET6::/64" via "$GHOST6" || fail "route via the ghost"
ping6_from "$REMOTE6" && fail "a reply through a gateway that does not exist"
retry 10 eval 'ctl -6 neigh | gq "^$GHOST6 dev $SD_IF \(INCOMPLETE\|FAILED\)$"' || fail "no INCOMPLETE entry: $(ctl -6 neigh)"
ctl -6 route del "$REMOTE_NET6::/64" || fail "route del (ghost)"

# --- a static IPv6 neighbour
ctl neigh add "$NET6::77" lladdr 02:00:00:00:00:77 dev "$SD_IF" || fail "neigh add v6"
ctl -6 neigh | gq "^$NET6::77 dev $SD_IF lladdr 02:00:00:00:00:77 PERMANENT$" || fail "static v6 neigh: $(ctl -6 neigh)"
ctl neigh del "$NET6::77" dev "$SD_IF" || fail "neigh del v6"

# --- the firewall at the IPv6 hooks: an ip6 rule drops the peer's echo
# requests (counted) and leaves IPv4 alone; a reject of UDP over IPv6
# answers ICMPv6 port unreachable, so the peer's socket fails at once
fw_packets() { ctl -j fw list | json_eval "next(r['packets'] for r in d['rules'] if r['handle']==$1)"; }
h=$(ctl fw add input ip6 saddr "$PEER_ADDR6/128" icmpv6 type echo-request drop | awk '/^handle/ {print $2}')
[[ -n $h ]] || fail "fw add (ip6) printed no handle"
ping6_from "$PEER_ADDR6" && fail "an echo request passed the ip6 drop rule"
[[ $(fw_packets "$h") -ge 1 ]] || fail "the ip6 rule did not count: $(ctl fw list -a)"
ctl fw list -a | gq "ip6 saddr $PEER_ADDR6/128 icmpv6 type echo-request counter packets [1-9][0-9]* bytes [0-9]* drop # handle $h" ||
  fail "fw list: $(ctl fw list -a)"
peer ping -c1 -W1 -q "$SD_ADDR" >/dev/null || fail "an ip6 rule blocked IPv4"
ctl fw delete handle "$h" || fail "fw delete (ip6)"
retry 10 ping6_from "$PEER_ADDR6" || fail "no answer after the ip6 rule was deleted"
udp6() {  # one datagram to the UDP echo service on port 7: "echoed" or "refused"
  peer timeout 10 python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(('$SD_ADDR6', 7)); s.send(b'ping'); s.settimeout(3)
try:
    print('echoed' if s.recv(100) == b'ping' else 'other')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')"
}
[[ $(udp6) == echoed ]] || fail "UDP echo over IPv6 before the rule"
h=$(ctl fw add input meta nfproto ipv6 udp dport 7 reject | awk '/^handle/ {print $2}')
[[ $(udp6) == refused ]] || fail "reject of UDP over IPv6 did not refuse"
[[ $(fw_packets "$h") -ge 1 ]] || fail "the reject rule did not count"
ctl fw flush || fail "fw flush"
[[ $(udp6) == echoed ]] || fail "UDP echo over IPv6 after the flush"

# --- deleting the address
ctl addr del "$SD_ADDR6/64" dev "$SD_IF" || fail "addr del v6"
ctl -6 addr | gq "$SD_ADDR6" && fail "deleted address still listed"
ctl -6 route | gq "^$NET6::/64 " && fail "connected route outlived its address: $(ctl -6 route)"
ping6_from "$PEER_ADDR6" && fail "the deleted address still answers"

stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
