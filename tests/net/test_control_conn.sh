#!/usr/bin/env bash
# Control plane, observation (tap back-end): `stackctl conn -tni` and `-j`
# show a live connection's state, cwnd and rtt; `stackctl capture` pcap read
# by tshark holds exactly the packets the filter selects (compared with the
# kernel's own capture on the peer side of the same link); `stackctl stats`
# counters move as traffic flows (and --watch shows the deltas);
# `config check` reports file:line errors.
source "$(dirname "$0")/control_lib.sh"
here=$(dirname "$0")

ATTACH_SOCK="$WORK/attach.sock"
control_stackd tap "
[attach]
socket = \"$ATTACH_SOCK\"
mode = \"0666\"
"

# --- owners, as ss -p: a libstackclient program's connection shows its pid,
# comm and uid; the built-in services' sockets show stackd.
# The peer accepts and holds the connection without reading much: the
# client stays blocked on its echo. (ip netns exec, not the peer function:
# $! must be the server, not a subshell that would leave it running.)
ip netns exec "$NS_PEER" timeout 30 python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$PEER_ADDR', 7100)); s.listen(1); c, _ = s.accept(); time.sleep(30)" &
srv=$!
for _ in $(seq 1 50); do
  ip netns exec "$NS_PEER" ss -tln | gq ":7100 " && break
  sleep 0.1
done
STACKD_SOCKET="$ATTACH_SOCK" timeout 30 "$STACKD_BUILD_DIR/libclient/stk_echo_client" "$PEER_ADDR" 7100 200000 \
  >/dev/null 2>&1 &
tmo=$!
cpid=""
for _ in $(seq 1 50); do
  cpid=$(pgrep -P "$tmo" stk_echo_client || true)
  [[ -n $cpid ]] && ctl conn -tnp | gq "users:((\"stk_echo_client\",pid=$cpid))" && break
  sleep 0.1
done
ctl conn -tnp >"$WORK/conn_p.txt"
grep -q "^tcp .* $PEER_ADDR:7100 .*users:((\"stk_echo_client\",pid=$cpid))" "$WORK/conn_p.txt" ||
  fail "conn -p lacks the client's pid $cpid: $(cat "$WORK/conn_p.txt")"
[[ $(ctl -j conn -t dport = :7100 | json_eval "[(c['pid'], c['comm'], c['uid']) for c in d['connections']]") == \
   "[($cpid, 'stk_echo_client', $(id -u))]" ]] || fail "conn -j owner: $(ctl -j conn -t dport = :7100)"
ctl conn -tnep dport = :7100 | gq "uid:$(id -u) ino:[0-9]" || fail "conn -e: $(ctl conn -tnep)"
ctl conn -tnlp | gq "LISTEN .* \*:7 .*users:((\"stackd\",pid=$STACKD_PID))" || fail "built-in listener owner: $(ctl conn -tnlp)"
ctl conn -unlp | gq "UNCONN .* \*:9 .*users:((\"stackd\",pid=$STACKD_PID))" || fail "built-in UDP owner: $(ctl conn -unlp)"
ctl conn -tn | gq "users:" && fail "conn without -p printed owners"
kill "$tmo" "$srv" 2>/dev/null || true
wait "$tmo" "$srv" 2>/dev/null || true

# --- a live connection
peer timeout 30 python3 "$here/control_hold.py" "$SD_ADDR" 7 4 >"$WORK/hold.txt" &
hold=$!
sleep 1
ctl conn -tni >"$WORK/conn.txt" || fail "conn -tni"
grep -q "^tcp   ESTAB .* $SD_ADDR:7 *$PEER_ADDR:[0-9]" "$WORK/conn.txt" || fail "no ESTAB line: $(cat "$WORK/conn.txt")"
grep -q "cwnd:[0-9]" "$WORK/conn.txt" && grep -q "rtt:[0-9.]*/[0-9.]*" "$WORK/conn.txt" || fail "no TCP_INFO line: $(cat "$WORK/conn.txt")"
ctl conn -tni | gq LISTEN && fail "conn without -l/-a listed the listener"
ctl conn -tnl | gq "LISTEN .* \*:7 " || fail "conn -l: $(ctl conn -tnl)"
ctl conn -unl | gq "^udp   UNCONN .* \*:9 " || fail "conn -ul lacks the UDP discard service: $(ctl conn -unl)"
ctl conn -un | gq "^udp" && fail "conn -u without -l/-a listed unconnected sockets"
ctl -j conn -ti state established sport = :7 >"$WORK/conn.json" || fail "conn -j"
json_eval "[c for c in d['connections'] if c['state']=='ESTAB' and c['tcp_info']['snd_cwnd'] > 0 and c['tcp_info']['rtt_us'] > 0 and c['tcp_info']['segs_in'] > 0]" \
  <"$WORK/conn.json" | gq "ESTAB" || fail "conn -j lacks state/cwnd/rtt: $(cat "$WORK/conn.json")"
[[ $(ctl -j conn -t dport = :1 | json_eval "len(d['connections'])") == 0 ]] || fail "dport filter"
wait "$hold" || fail "echo connection broke"

# --- stats move
in0=$(ctl_counter TcpInSegs)
est0=$(ctl_counter TcpPassiveOpens)
peer timeout 20 python3 "$here/control_connect.py" "$SD_ADDR" 7 3 | gq connected || fail "echo"
[[ $(ctl_counter TcpInSegs) -gt $in0 ]] || fail "TcpInSegs did not move"
[[ $(ctl_counter TcpPassiveOpens) -eq $((est0 + 1)) ]] || fail "TcpPassiveOpens did not count the connection"
ctl stats | gq "^TcpPassiveOpens  *[0-9]" || fail "stats table"
ctl stats -z | gq "^TcpRetransSegs " || fail "stats -z hides nothing"
timeout 3 "$STACKCTL" -s "$CTL_SOCK" stats --watch 0.5 >"$WORK/watch.txt" &
w=$!
sleep 0.6
peer ping -c3 -i0.2 -q "$SD_ADDR" >/dev/null || fail "ping"
wait "$w" || true
grep -q "^IcmpInEchos  *[1-3] " "$WORK/watch.txt" || fail "stats --watch deltas: $(cat "$WORK/watch.txt")"

# --- capture: exactly the filtered packets, as the kernel saw them on the peer side
ip netns exec "$NS_PEER" tcpdump -i "$SD_IF" -w "$WORK/kernel.pcap" -U 'tcp port 7' 2>/dev/null &  # exec: $! is tcpdump
kcap=$!
"$STACKCTL" -s "$CTL_SOCK" capture -i "$SD_IF" -w - 'tcp port 7' >"$WORK/stackd.pcap" &
scap=$!
sleep 1
peer ping -c3 -i0.2 -q "$SD_ADDR" >/dev/null || fail "ping during capture"   # must not be captured
peer timeout 10 python3 "$here/udp_echo_client.py" "$SD_ADDR" --count 5 --seed 1 >/dev/null || fail "udp during capture"
peer timeout 30 python3 "$here/control_hold.py" "$SD_ADDR" 7 1 >/dev/null || fail "tcp during capture"
sleep 1
kill "$scap" "$kcap"; wait "$scap" "$kcap" 2>/dev/null || true
fields() { tshark -r - -T fields -e ip.src -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len 2>/dev/null; }
fields <"$WORK/stackd.pcap" | sort >"$WORK/stackd.txt"
fields <"$WORK/kernel.pcap" | sort >"$WORK/kernel.txt"
n=$(wc -l <"$WORK/stackd.txt")
[[ $n -ge 10 ]] || fail "stackd capture has $n packets"
tshark -r - -T fields -e frame.protocols <"$WORK/stackd.pcap" 2>/dev/null | gq -v ":tcp" && fail "capture holds non-TCP frames"
diff "$WORK/kernel.txt" "$WORK/stackd.txt" >"$WORK/diff.txt" || fail "stackd and kernel captures differ: $(head "$WORK/diff.txt")"
ctl capture -c 1 'not a valid ( filter' 2>"$WORK/err" && fail "a broken filter was accepted"
grep -q "filter:" "$WORK/err" || fail "filter error: $(cat "$WORK/err")"

# --- config check
printf '[daemon]\nlog_level = "info"\n\n[[interface]]\nname = "x0"\nmtu = 70000\n' >"$WORK/bad.toml"
ctl config check "$WORK/bad.toml" 2>"$WORK/err" && fail "a bad config passed the check"
grep -q "bad.toml:6:.*interface\[0\].mtu" "$WORK/err" || fail "config check message: $(cat "$WORK/err")"
ctl config check "$WORK/stackd.toml" | gq "config OK" || fail "the running config failed its check"
ctl config show | gq "admin_group" || fail "config show"

stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
