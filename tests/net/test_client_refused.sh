#!/usr/bin/env bash
# Admission: a uid the config does not allow is refused with a clear message
# the client prints (and EACCES); allowed by uid or by group it attaches.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"

chmod 755 "$WORK"  # the unprivileged client must reach the socket file
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

start_client_stackd
peer python3 "$(dirname "$0")/udp_echo_server.py" 5001 &
wait_peer_port 5001 udp

log "uid 65534, not allowed"
if as_nobody "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 1 100 >"$WORK/nobody.out" 2>&1; then
  fail "uid 65534 was admitted: $(cat "$WORK/nobody.out")"
fi
cat "$WORK/nobody.out"
grep -q "stackd refused to attach: uid 65534 (gid 65534) is not allowed" "$WORK/nobody.out" \
  || fail "no clear refusal message"
v=$(gauge IpcRefused); [[ $v -eq 1 ]] || fail "IpcRefused=$v"
grep -q "attach: stackd refused to attach: uid 65534" "$STACKD_LOG" || fail "stackd did not log the refusal"
stop_stackd

log "allow_uids = [65534]: admitted"
client_config "allow_uids = [65534]"
start_stackd
as_nobody "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 5 100 || fail "allowed uid refused"
stop_stackd

log "allow_gids = [4242], client in group 4242 (supplementary): admitted"
client_config "allow_gids = [4242]"
start_stackd
setpriv --reuid=65534 --regid=65534 --groups=4242 "$STK_BIN/stk_udp_tool" send "$PEER_ADDR" 5001 5 100 \
  || fail "allowed group refused"
stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
