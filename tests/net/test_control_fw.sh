#!/usr/bin/env bash
# Control plane, firewall (tap back-end), driven with stackctl against the
# TCP echo service: `drop` makes a connection attempt time out while the
# rule's counter counts it, `reject` fails it at once with ECONNREFUSED,
# and `ct state established accept` + policy drop keeps an established
# connection working while nothing new gets in. Handles are stable across
# inserts and deletes; unauthorized callers may read but not change rules.
source "$(dirname "$0")/control_lib.sh"
here=$(dirname "$0")

control_stackd tap
connect() { peer timeout 10 python3 "$here/control_connect.py" "$SD_ADDR" 7 "$1"; }
rule_packets() {  # HANDLE
  ctl -j fw list | json_eval "next(r['packets'] for r in d['rules'] if r['handle']==$1)"
}

read -r what t <<<"$(connect 2)"
[[ $what == connected ]] || fail "echo not reachable without rules: $what"

# --- drop: the SYNs are counted, the attempt times out
h_drop=$(ctl fw add input tcp dport 7 drop | awk '/^handle/ {print $2}')
[[ -n $h_drop ]] || fail "fw add printed no handle"
read -r what t <<<"$(connect 2)"
[[ $what == timeout ]] || fail "drop: connect ended with $what after $t s"
n=$(rule_packets "$h_drop")
[[ $n -ge 1 ]] || fail "drop rule counted $n packets"
ctl fw list -a | gq "tcp dport 7 counter packets $n bytes [0-9]* drop # handle $h_drop" \
  || fail "fw list -a: $(ctl fw list -a)"

# --- reject: refused at once; inserted in front, so it decides first
h_rej=$(ctl fw insert input tcp dport 7 reject | awk '/^handle/ {print $2}')
read -r what t <<<"$(connect 3)"
[[ $what == refused ]] || fail "reject: connect ended with $what"
awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' || fail "reject took $t s"
[[ $(rule_packets "$h_rej") -ge 1 ]] || fail "reject rule did not count"
[[ $(rule_packets "$h_drop") -eq $n ]] || fail "the drop rule behind reject counted"
ctl fw delete handle "$h_rej" || fail "delete reject"
ctl fw delete handle "$h_drop" || fail "delete drop"
ctl fw delete handle "$h_drop" 2>/dev/null && fail "deleting a deleted handle succeeded"
read -r what t <<<"$(connect 2)"
[[ $what == connected ]] || fail "after delete: $what"

# --- unauthorized: nobody in group users may read, not change
as_nobody() { setpriv --reuid=nobody --regid=nogroup --groups="$(getent group users | cut -d: -f3)" "$STACKCTL" -s "$CTL_SOCK" "$@"; }
as_nobody fw list >/dev/null || fail "a reader (group users) could not list rules"
as_nobody fw add input tcp dport 9 drop 2>"$WORK/err" && fail "nobody added a rule"
grep -q "may only read" "$WORK/err" || fail "refusal message: $(cat "$WORK/err")"
as_nobody -j route add 10.9.0.0/16 via "$PEER_ADDR" 2>"$WORK/err" && fail "nobody added a route"
[[ $(json_eval "d['code']" <"$WORK/err") == PERMISSION_DENIED ]] || fail "code: $(cat "$WORK/err")"
setpriv --reuid=nobody --regid=nogroup --groups="$(getent group users | cut -d: -f3),$(getent group adm | cut -d: -f3)" \
  "$STACKCTL" -s "$CTL_SOCK" fw add input tcp dport 9 drop >/dev/null || fail "admin group member refused"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$STACKCTL" -s "$CTL_SOCK" fw list 2>/dev/null \
  && fail "a caller outside the socket's group connected"
ctl fw flush || fail "fw flush"

# --- ct state: an established connection lives on, nothing new gets in
peer timeout 30 python3 "$here/control_hold.py" "$SD_ADDR" 7 6 >"$WORK/hold.txt" &
hold=$!
sleep 1
# The ct rule first (tracking starts: the live flow is picked up in both
# directions while still accepted), then the drop policy.
h_est=$(ctl fw add input ct state established,related accept | awk '/^handle/ {print $2}')
sleep 0.5
ctl fw policy input drop || fail "policy drop"
sleep 0.5
read -r what t <<<"$(connect 2)"
[[ $what == timeout ]] || fail "ct: a new connection got $what"
wait "$hold" || fail "ct: the established connection broke: $(tail -3 "$WORK/hold.txt")"
[[ $(rule_packets "$h_est") -ge 10 ]] || fail "established rule counted $(rule_packets "$h_est")"
ctl fw policy input accept || fail "policy accept"

stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
