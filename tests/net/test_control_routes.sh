#!/usr/bin/env bash
# Control plane, routes and neighbours (tap back-end): a route added with
# stackctl changes where stackd's replies go and deleting it stops them; a
# static neighbour is used without ARP; link/addr/route listings and their
# JSON come from the same messages; `monitor` reports route, neighbour and
# link changes; a
# Python grpcio client (no stackctl) drives the same API.
source "$(dirname "$0")/control_lib.sh"
here=$(dirname "$0")

control_stackd tap
REMOTE="192.168.$(( id % 250 )).1"   # a network stackd has no route to
peer ip addr add "$REMOTE/32" dev "$SD_IF"

ping_from() { peer ping -c1 -W1 -q -I "$1" "$SD_ADDR" >/dev/null 2>&1; }

# --- listings
ctl link | gq "$SD_IF: <UP" || fail "link list"
[[ $(ctl -j link | json_eval "d['links'][0]['name']") == "$SD_IF" ]] || fail "link -j"
ctl addr | gq "inet $SD_ADDR/24" || fail "addr list"
ctl r | gq "$NET.0/24 dev $SD_IF proto kernel" || fail "route list (prefix 'r')"

# --- a route changes where traffic goes
ping_from "$REMOTE" && fail "stackd answered $REMOTE before it had a route"
noroutes=$(ctl_counter IpOutNoRoutes)
[[ $noroutes -ge 1 ]] || fail "IpOutNoRoutes=$noroutes after the unroutable ping"
"$STACKCTL" -s "$CTL_SOCK" monitor route neigh link >"$WORK/monitor.txt" &  # not the ctl function: $! must be stackctl
mon=$!
sleep 0.5
ctl route add "192.168.$(( id % 250 )).0/24" via "$PEER_ADDR" metric 5 || fail "route add"
ctl route add "192.168.$(( id % 250 )).0/24" via "$PEER_ADDR" metric 5 2>"$WORK/err" && fail "duplicate route accepted"
grep -q "exists" "$WORK/err" || fail "duplicate route: $(cat "$WORK/err")"
ctl route | gq "192.168.$(( id % 250 )).0/24 via $PEER_ADDR dev $SD_IF metric 5" || fail "route not listed"
ping_from "$REMOTE" || fail "no reply via the added route"
ctl route del "192.168.$(( id % 250 )).0/24" || fail "route del"
ping_from "$REMOTE" && fail "reply after the route was deleted"

# --- a static neighbour is used without ARP: its lladdr is not the peer's
# real MAC, so only the static entry can put it on stackd's reply (ARP or
# learning from the peer's own ARP would give the real one).
PEER2="$NET.3"
peer ip addr add "$PEER2/24" dev "$SD_IF"
fake_mac="02:00:5e:00:$(printf '%02x:%02x' $(( (id >> 8) & 255 )) $(( id & 255 )))"
peer_mac=$fake_mac
ctl neigh add "$PEER2" lladdr "$fake_mac" dev "$SD_IF" || fail "neigh add"
ctl neigh | gq "$PEER2 dev $SD_IF lladdr $fake_mac PERMANENT" || fail "static neighbour not listed"
ip netns exec "$NS_PEER" tcpdump -i "$SD_IF" -U -w "$WORK/n.pcap" "ether src $SD_MAC and (arp or icmp)" 2>/dev/null &
ncap=$!
sleep 0.5
ping_from "$PEER2" || true  # the reply goes to the fake MAC: the peer's kernel does not take it
sleep 0.3
kill "$ncap"; wait "$ncap" 2>/dev/null || true
tshark -r "$WORK/n.pcap" -T fields -e eth.dst -e ip.dst -e icmp.type -e arp.dst.proto_ipv4 2>/dev/null >"$WORK/n.txt"
grep -qP "^$fake_mac\t$PEER2\t0" "$WORK/n.txt" || fail "no echo reply to $PEER2 via the static lladdr: $(cat "$WORK/n.txt")"
grep -qP "\t$PEER2$" "$WORK/n.txt" && fail "stackd sent ARP for $PEER2 despite the static entry"
ctl neigh del "$PEER2" dev "$SD_IF" || fail "neigh del"
ctl neigh | gq "^$PEER2 " && fail "neighbour still there after del"
ctl neigh flush || fail "neigh flush"

# --- link set: down drops, up again answers
ctl link set dev "$SD_IF" down || fail "link set down"
ping_from "$PEER_ADDR" && fail "answered while down"
ctl link set dev "$SD_IF" up mtu 1400 || fail "link set up"
[[ $(ctl -j link | json_eval "d['links'][0]['mtu']") == 1400 ]] || fail "mtu not set"
ping_from "$PEER_ADDR" || fail "no answer after link up"
sleep 0.5
kill "$mon"; wait "$mon" 2>/dev/null || true
grep -q "^\[ROUTE\] 192.168.$(( id % 250 )).0/24 via $PEER_ADDR" "$WORK/monitor.txt" || fail "monitor: no add event: $(cat "$WORK/monitor.txt")"
grep -q "^\[ROUTE\] Deleted 192.168.$(( id % 250 )).0/24" "$WORK/monitor.txt" || fail "monitor: no delete event"
grep -q "^\[NEIGH\] $PEER2 dev $SD_IF lladdr $peer_mac PERMANENT" "$WORK/monitor.txt" || fail "monitor: no neigh event"
grep -q "^\[NEIGH\] Deleted $PEER2 dev $SD_IF" "$WORK/monitor.txt" || fail "monitor: no neigh delete event"
grep -q "^\[LINK\] 1: $SD_IF: <DOWN>" "$WORK/monitor.txt" || fail "monitor: no link down event"
grep -q "^\[LINK\] 1: $SD_IF: <UP> mtu 1400" "$WORK/monitor.txt" || fail "monitor: no link up event"

# --- addresses: an added address answers (ARP and ping), a deleted one does not
ctl addr add "$NET.7/24" dev "$SD_IF" || fail "addr add"
ctl addr | gq "inet $NET.7/24" || fail "added address not listed"
peer ping -c1 -W1 -q "$NET.7" >/dev/null 2>&1 || fail "no answer on the added address"
ctl addr del "$NET.7/24" dev "$SD_IF" || fail "addr del"
peer ip neigh flush dev "$SD_IF" 2>/dev/null || true
peer ping -c1 -W1 -q "$NET.7" >/dev/null 2>&1 && fail "answer on a deleted address"
ctl r | gq "$NET.0/24 dev $SD_IF proto kernel" || fail "deleting the second address took the connected route"

# --- errors: one line, non-zero, JSON under -j
ctl route add 10.1.0.0/16 via 10.250.250.250 2>"$WORK/err" && fail "route via an unreachable gateway accepted"
[[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "error is not one line: $(cat "$WORK/err")"
ctl -j route del 10.77.0.0/16 2>"$WORK/err" && fail "deleting a missing route succeeded"
[[ $(json_eval "d['code']" <"$WORK/err") == NOT_FOUND ]] || fail "JSON error: $(cat "$WORK/err")"

# --- daemon reload through the API (Config.Reload runs the SIGHUP reload on
# the worker): a valid file adds its route; an invalid one fails with
# file:line and changes nothing
cp "$WORK/stackd.toml" "$WORK/stackd.toml.orig"
printf '\n[[route]]\nto = "10.55.0.0/16"\nvia = "%s"\n' "$PEER_ADDR" >>"$WORK/stackd.toml"
ctl daemon reload >"$WORK/reload.out" 2>&1 || fail "daemon reload: $(cat "$WORK/reload.out")"
ctl route | gq "10.55.0.0/16 via $PEER_ADDR" || fail "route of the reloaded file not installed"
ctl -j config show | json_eval "d['file_text']" | gq "10.55.0.0/16" || fail "config show: file_text is not the reloaded file"
printf '\n[[route]]\nto = "10.56.0.0/33"\nvia = "%s"\n' "$PEER_ADDR" >>"$WORK/stackd.toml"
ctl daemon reload 2>"$WORK/reload.err" && fail "reload of an invalid file succeeded"
gq "stackd.toml:[0-9]" "$WORK/reload.err" || fail "reload error without file:line: $(cat "$WORK/reload.err")"
ctl route | gq "10.55.0.0/16 via $PEER_ADDR" || fail "a failed reload changed the routes"
cp "$WORK/stackd.toml.orig" "$WORK/stackd.toml"
ctl daemon reload >/dev/null 2>&1 || fail "reload back to the first file"
ctl route | gq "10.55.0.0/16" && fail "route of the reverted file still installed"

# --- config show: the running state (after the reloads and these API
# edits) as a config file that loads, not the file as loaded at start
ctl route add 10.77.0.0/16 via "$PEER_ADDR" metric 3 || fail "route add (show)"
ctl neigh add "$NET.9" lladdr 02:00:00:00:00:09 dev "$SD_IF" || fail "neigh add (show)"
ctl addr add "$NET.8/24" dev "$SD_IF" || fail "addr add (show)"
ctl fw add input tcp dport 2222 drop >/dev/null || fail "fw add (show)"
ctl config show >"$WORK/shown.toml" || fail "config show"
python3 -c "
import sys, tomllib
d = tomllib.load(open('$WORK/shown.toml', 'rb'))
routes = [(r['to'], r.get('via'), r.get('dev'), r.get('metric', 0)) for r in d.get('route', [])]
want = ('10.77.0.0/16', '$PEER_ADDR', '$SD_IF', 3)
assert want in routes, routes
assert not [r for r in routes if r[0] == '10.55.0.0/16'], 'a route reverted by reload is shown: %s' % routes
assert [n for n in d['neighbour'] if n['address'] == '$NET.9' and n['mac'] == '02:00:00:00:00:09'], d['neighbour']
assert '$NET.8/24' in d['interface'][0]['addresses'], d['interface'][0]
assert d['control']['admin_group'] == 'adm', d['control']
" || fail "config show is not the running state: $(cat "$WORK/shown.toml")"
grep -q "^#   stackctl fw add input tcp dport 2222 drop$" "$WORK/shown.toml" || fail "config show lacks the rule set"
ctl config check "$WORK/shown.toml" | gq "config OK" || fail "the shown config does not load"
ctl route del 10.77.0.0/16 || fail "route del (show)"
ctl config show | gq "10.77.0.0" && fail "config show kept a deleted route"

# --- a gRPC client that is not stackctl
PYTHONPATH="$STACKD_BUILD_DIR/proto/python" timeout 20 ip netns exec "$NS_SD" /usr/bin/python3 "$here/control_client.py" "$CTL_SOCK" \
  "10.66.0.0/16" "$PEER_ADDR" "$CTL_TCP_PORT" || fail "python grpc client"
ctl route | gq "10.66.0.0/16 via $PEER_ADDR" || fail "route added from python not listed"

stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
