#!/usr/bin/env bash
# Unmodified curl under the shim (stackrun) against a Linux python
# http.server: a 3 MB file and 50 small files in one curl run (a connection
# each: http.server speaks HTTP/1.0), byte-exact; curl's own socketpair and loopback stay on the kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v curl >/dev/null || fail "curl is not installed (deploy/install-deps.sh)"

start_client_stackd
mkdir -p "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/big"
for i in $(seq 1 50); do echo "small file $i $RANDOM" >"$WORK/www/s$i"; done
peer python3 -m http.server --bind "$PEER_ADDR" --directory "$WORK/www" 8080 >"$WORK/http.log" 2>&1 &
wait_peer_port 8080

log "curl (under stackrun) GET 3 MB from the Linux peer"
timeout 60 "${SHIMMED[@]}" curl -sS --max-time 50 -o "$WORK/got" "http://$PEER_ADDR:8080/big" || fail "curl"
same_file "$WORK/www/big" "$WORK/got"

log "curl: 50 small files in one run"
args=()
for i in $(seq 1 50); do args+=(-o "$WORK/got$i" "http://$PEER_ADDR:8080/s$i"); done
timeout 60 "${SHIMMED[@]}" curl -sS --max-time 50 "${args[@]}" || fail "curl small files"
for i in $(seq 1 50); do same_file "$WORK/www/s$i" "$WORK/got$i"; done

log "the banner says the process runs on stackd (and nothing without STACKD_QUIET)"
timeout 30 "${SHIM_ENV[@]}" "$STACKRUN" --fallback fail -- curl -sS -o /dev/null "http://$PEER_ADDR:8080/s1" 2>"$WORK/banner" || fail "curl"
grep -q "runs its AF_INET sockets on stackd" "$WORK/banner" || fail "no banner: $(cat "$WORK/banner")"
log "PASS"
