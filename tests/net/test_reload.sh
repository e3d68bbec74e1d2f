#!/usr/bin/env bash
# Configuration reload (SIGHUP) on a running stackd, on each back-end. One
# TCP connection to the echo service stays open through all of it and must
# echo byte-exact after every step (tcp_echo_steps.py):
#   1. valid reload adding a route (to an address on the peer's loopback,
#      via the peer), a UDP echo service on port 5007 and a second address
#      (.3) on the interface: before it, the port is refused, pings from
#      that address get no answer and .3 does not answer; after it, all
#      three work (on af_xdp the XDP program's steering follows);
#   2. invalid reload (an address out of range): the log names
#      stackd.toml:LINE and stackd keeps the running configuration (the
#      route and the UDP service still work);
#   3. valid reload back to the first file: the UDP service is gone (port
#      refused again), and so are the route and the second address;
#   4. valid reload without the TCP echo service: a new connection to port
#      7 is refused, the established one is still served to its end.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

ROUTE_NET="172.$(( 16 + id % 16 )).$(( id % 250 ))"
FAR_ADDR="$ROUTE_NET.1"
SECOND_ADDR="$NET.3"
TCP_ECHO='
[[service]]
kind = "echo"
proto = "tcp"
port = 7'
NEW_PARTS="
[[route]]
to = \"$ROUTE_NET.0/24\"
via = \"$PEER_ADDR\"

[[service]]
kind = \"echo\"
proto = \"udp\"
port = 5007"

for b in $(backends); do
  log "== back-end $b"
  setup_backend "$b"
  write_config "$TCP_ECHO"
  cp "$WORK/stackd.toml" "$WORK/base.toml"
  start_stackd
  peer ip addr add "$FAR_ADDR/32" dev lo

  # Before: no route back to FAR_ADDR, nothing on UDP 5007.
  if peer ping -c1 -W1 -q -I "$FAR_ADDR" "$SD_ADDR" >/dev/null 2>&1; then
    fail "stackd answered $FAR_ADDR before it had a route"
  fi
  peer timeout 20 python3 "$here/udp_refused.py" "$SD_ADDR" 5007 >/dev/null || fail "udp 5007 served before reload"

  # reload_and_wait PATTERN : SIGHUP, then wait (10 s) for PATTERN in new log lines.
  cat >"$WORK/reload.sh" <<SH
set -eu
before=\$(wc -l <"$STACKD_LOG")
kill -HUP $STACKD_PID
for i in \$(seq 1 100); do
  if tail -n +"\$((before + 1))" "$STACKD_LOG" | grep -q "\$1"; then exit 0; fi
  sleep 0.1
done
echo "no '\$1' in the log after SIGHUP"; exit 1
SH
  cat >"$WORK/step1.sh" <<SH
set -eu
sed 's|^addresses = \["$SD_ADDR/24"\]|addresses = ["$SD_ADDR/24", "$SECOND_ADDR/24"]|' "$WORK/base.toml" >"$WORK/stackd.toml"
cat >>"$WORK/stackd.toml" <<'TOML'
$NEW_PARTS
TOML
grep -q "$SECOND_ADDR/24" "$WORK/stackd.toml"
bash "$WORK/reload.sh" "reloaded: 3 change(s) applied"
ping -c1 -W2 -q "$SECOND_ADDR" >/dev/null || { echo "second address not answering"; exit 1; }
grep -q "route $ROUTE_NET.0/24 via $PEER_ADDR added" "$STACKD_LOG"
grep -q "service echo udp port 5007 started" "$STACKD_LOG"
ping -c1 -W2 -q -I "$FAR_ADDR" "$SD_ADDR" >/dev/null || { echo "route not applied"; exit 1; }
timeout 30 python3 "$here/udp_echo_client.py" "$SD_ADDR" --port 5007 --count 50 --max 1400 --deadline 20 >/dev/null \
  || { echo "udp 5007 not served after reload"; exit 1; }
SH
  bad_line=$(( $(wc -l <"$WORK/base.toml") + $(printf '%s\n' "$NEW_PARTS" | wc -l) + 3 ))
  cat >"$WORK/step2.sh" <<SH
set -eu
cp "$WORK/stackd.toml" "$WORK/good.toml"
cat "$WORK/good.toml" - >"$WORK/stackd.toml" <<'TOML'

[[route]]
to = "10.300.0.0/16"
TOML
bash "$WORK/reload.sh" "reload failed"
grep -q "stackd.toml:$bad_line:[0-9]*: route\[1\].to" "$STACKD_LOG" || { echo "no stackd.toml:$bad_line in the log"; exit 1; }
grep -q "running configuration kept" "$STACKD_LOG"
ping -c1 -W2 -q -I "$FAR_ADDR" "$SD_ADDR" >/dev/null || { echo "route lost after a failed reload"; exit 1; }
timeout 30 python3 "$here/udp_echo_client.py" "$SD_ADDR" --port 5007 --count 50 --max 1400 --deadline 20 >/dev/null \
  || { echo "udp 5007 lost after a failed reload"; exit 1; }
SH
  cat >"$WORK/step3.sh" <<SH
set -eu
cp "$WORK/base.toml" "$WORK/stackd.toml"
bash "$WORK/reload.sh" "reloaded: 3 change(s) applied"
if ping -c1 -W1 -q "$SECOND_ADDR" >/dev/null 2>&1; then echo "second address still answering"; exit 1; fi
timeout 20 python3 "$here/udp_refused.py" "$SD_ADDR" 5007 >/dev/null || { echo "udp 5007 still served"; exit 1; }
if ping -c1 -W1 -q -I "$FAR_ADDR" "$SD_ADDR" >/dev/null 2>&1; then echo "route still there"; exit 1; fi
SH
  python3 - "$WORK/base.toml" "$WORK/no_tcp.toml" <<'PY'
import sys
text = open(sys.argv[1]).read()
block = '[[service]]\nkind = "echo"\nproto = "tcp"\nport = 7'
assert block in text, "tcp echo block not found"
open(sys.argv[2], "w").write(text.replace(block, ""))
PY
  cat >"$WORK/step4.sh" <<SH
set -eu
cp "$WORK/no_tcp.toml" "$WORK/stackd.toml"
bash "$WORK/reload.sh" "reloaded: 1 change(s) applied"
grep -q "service echo tcp port 7 stopped" "$STACKD_LOG"
python3 -c 'import socket,sys
try:
    socket.create_connection(("$SD_ADDR", 7), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
print("new connection to the stopped TCP service was accepted"); sys.exit(1)'
SH
  peer timeout 180 python3 "$here/tcp_echo_steps.py" "$SD_ADDR" --port 7 \
    --step "bash $WORK/step1.sh" --step "bash $WORK/step2.sh" --step "bash $WORK/step3.sh" --step "bash $WORK/step4.sh" \
    || fail "reload steps"
  grep "reload" "$STACKD_LOG" | sed 's/^/    /'
  stop_stackd || fail "stackd did not shut down cleanly"
  log "back-end $b: ok"
done
