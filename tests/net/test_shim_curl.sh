#!/usr/bin/env bash
# Unmodified curl under the shim (stackrun) against a Linux python
# http.server: a 3 MB file and 50 small files in one curl run (a connection
# each: http.server speaks HTTP/1.0), byte-exact; curl's own socketpair and loopback stay on the kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v curl >/dev/null || fail "curl is not installed (deploy/install-deps.sh)"

# A sanitizer build's shim needs libasan preloaded, and curl deadlocks in
# setlocale with libasan preloaded (without the shim too): there the same
# requests are made by python3's urllib, under the shim all the same.
asan=0
[[ ${#SHIM_ENV[@]} -gt 1 ]] && asan=1
# get OUT URL...: one client run fetching each URL into OUT (OUT1, OUT2... for several).
get() {
  local out=$1
  shift
  if [[ $asan == 0 ]]; then
    local args=() i=0 u
    for u in "$@"; do
      i=$((i + 1))
      args+=(-o "$out$([[ $# -gt 1 ]] && echo $i)" "$u")
    done
    timeout 60 "${SHIMMED[@]}" curl -sS --max-time 50 "${args[@]}"
  else
    timeout 120 "${SHIMMED[@]}" python3 -c '
import sys, urllib.request
out, urls = sys.argv[1], sys.argv[2:]
for i, u in enumerate(urls, 1):
    with urllib.request.urlopen(u, timeout=50) as r, open(out + (str(i) if len(urls) > 1 else ""), "wb") as f:
        f.write(r.read())' "$out" "$@"
  fi
}

start_client_stackd
mkdir -p "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/big"
for i in $(seq 1 50); do echo "small file $i $RANDOM" >"$WORK/www/s$i"; done
peer python3 -m http.server --bind "$PEER_ADDR" --directory "$WORK/www" 8080 >"$WORK/http.log" 2>&1 &
wait_peer_port 8080

log "curl (under stackrun) GET 3 MB from the Linux peer"
get "$WORK/got" "http://$PEER_ADDR:8080/big" || fail "curl"
same_file "$WORK/www/big" "$WORK/got"

log "curl: 50 small files in one run"
urls=()
for i in $(seq 1 50); do urls+=("http://$PEER_ADDR:8080/s$i"); done
get "$WORK/got" "${urls[@]}" || fail "curl small files"
for i in $(seq 1 50); do same_file "$WORK/www/s$i" "$WORK/got$i"; done

log "the banner says the process runs on stackd (and nothing without STACKD_QUIET)"
timeout 30 "${SHIM_ENV[@]}" "$STACKRUN" --fallback fail -- python3 -c 'import socket; socket.socket()' 2>"$WORK/banner" \
  || fail "banner run"
grep -q "runs its AF_INET and AF_INET6 sockets on stackd" "$WORK/banner" || fail "no banner: $(cat "$WORK/banner")"
log "PASS"
