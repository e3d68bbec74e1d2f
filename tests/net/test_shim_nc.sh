#!/usr/bin/env bash
# Unmodified nc (OpenBSD) and socat under the shim, each as client and as
# server, against the other one on the Linux peer: a file piped through,
# byte-exact, in both directions.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v nc >/dev/null && command -v socat >/dev/null || fail "nc/socat missing (deploy/install-deps.sh)"
mb=${STACKD_SHIM_MB:-20}

start_client_stackd
head -c $((mb * 1000000)) /dev/urandom >"$WORK/data"

log "nc (shim) -> socat (Linux), $mb MB"
peer socat -u TCP-LISTEN:7000,reuseaddr OPEN:"$WORK/r1",creat,trunc &
s1=$!
wait_peer_port 7000
timeout 60 "${SHIMMED[@]}" nc -N "$PEER_ADDR" 7000 <"$WORK/data" || fail "nc client"
timeout 30 tail --pid=$s1 -f /dev/null || fail "socat did not finish"
same_file "$WORK/data" "$WORK/r1"

log "nc -l (shim) <- socat (Linux)"
timeout 60 "${SHIMMED[@]}" nc -l 7001 >"$WORK/r2" &
s2=$!
sleep 0.5
timeout 60 ip netns exec "$NS_PEER" socat -u OPEN:"$WORK/data" TCP:"$SD_ADDR":7001,retry=20,interval=0.2 || fail "socat client"
wait $s2 || fail "nc server"
same_file "$WORK/data" "$WORK/r2"

log "socat (shim) -> nc -l (Linux)"
peer nc -l 7002 >"$WORK/r3" &
s3=$!
wait_peer_port 7002
timeout 60 "${SHIMMED[@]}" socat -u OPEN:"$WORK/data" TCP:"$PEER_ADDR":7002 || fail "socat client"
timeout 30 tail --pid=$s3 -f /dev/null || fail "nc did not finish"
same_file "$WORK/data" "$WORK/r3"

log "socat TCP-LISTEN (shim) <- nc (Linux)"
timeout 60 "${SHIMMED[@]}" socat -u TCP-LISTEN:7003,reuseaddr OPEN:"$WORK/r4",creat,trunc &
s4=$!
sleep 0.5
for i in $(seq 1 20); do
  timeout 60 ip netns exec "$NS_PEER" nc -N "$SD_ADDR" 7003 <"$WORK/data" && break
  sleep 0.2
done
wait $s4 || fail "socat server"
same_file "$WORK/data" "$WORK/r4"
log "PASS"
