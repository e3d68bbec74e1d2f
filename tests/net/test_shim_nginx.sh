#!/usr/bin/env bash
# nginx (Debian's, unmodified) under stackrun: master + 2 workers accepting
# on one listener (accept_mutex off: both workers take connections from the
# same stack socket), sendfile on, keep-alive. Linux curl in the peer
# namespace fetches a 10 MB file (byte-exact) and 3000 small files over
# keep-alive connections, from 3 clients at once, every answer a 200, with
# an `nginx -s reload` (SIGHUP: new workers, old ones drain) in the middle.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (deploy/install-deps.sh)"; exit 1; }
small=${STACKD_NGINX_SMALL:-2000}  # requests per client

start_client_stackd
mkdir -p "$WORK/www" "$WORK/tmp" "$WORK/logs"
head -c 10000000 /dev/urandom >"$WORK/www/big.bin"
echo "small file" >"$WORK/www/small.txt"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 256; accept_mutex off; }
http {
  access_log off;
  sendfile on;
  keepalive_timeout 30;
  keepalive_requests 100000;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  types { application/octet-stream bin; text/plain txt; }
  server { listen $SD_ADDR:8080; root $WORK/www; }
}
CONF

log "nginx (master + 2 workers) under the shim"
"${SHIMMED[@]}" nginx -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx.out" 2>&1 &
ngx=$!
for i in $(seq 1 50); do
  peer curl -s -o /dev/null "http://$SD_ADDR:8080/small.txt" && break
  kill -0 $ngx 2>/dev/null || fail "nginx exited: $(cat "$WORK/nginx.out" "$WORK/logs/error.log" 2>/dev/null)"
  sleep 0.2
done
workers=$(pgrep -P $ngx -c || true)
(( workers == 2 )) || fail "nginx has $workers workers, expected 2"

log "10 MB file with sendfile, byte-exact"
timeout 60 ip netns exec "$NS_PEER" curl -sS --fail -o "$WORK/big.out" "http://$SD_ADDR:8080/big.bin" || fail "curl of big.bin"
same_file "$WORK/www/big.bin" "$WORK/big.out"

log "3 clients x $small small requests over keep-alive"
pids=()
for c in 1 2 3; do
  timeout 90 ip netns exec "$NS_PEER" curl -sS -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "http://$SD_ADDR:8080/small.txt?[1-$small]" >"$WORK/codes.$c" 2>"$WORK/curl.$c.err" &
  pids+=($!)
done
sleep 0.3
log "nginx -s reload (SIGHUP) under that load: new workers, the old ones drain"
old_workers=$(pgrep -P $ngx | sort | tr '\n' ' ')
kill -HUP $ngx
wait_all_ok=0
for j in "${pids[@]}"; do wait "$j" || wait_all_ok=1; done
for i in $(seq 1 50); do
  new_workers=$(pgrep -P $ngx | sort | tr '\n' ' ')
  [[ $new_workers != "$old_workers" && $(wc -w <<<"$new_workers") == 2 ]] && break
  sleep 0.1
done
[[ $new_workers != "$old_workers" ]] || fail "no new workers after the reload ($old_workers)"
peer curl -sS --fail -o /dev/null "http://$SD_ADDR:8080/small.txt" || fail "the new workers do not answer"
(( wait_all_ok == 0 )) || fail "a curl client failed: $(cat "$WORK"/curl.*.err)"
ok=$(cat "$WORK"/codes.* | grep -c '^200 ' || true)
(( ok == 3 * small )) || fail "$ok of $((3 * small)) requests answered 200"
conns=$(cat "$WORK"/codes.* | awk '{s += $2} END {print s}')
log "$ok requests answered 200 over $conns connections"
(( conns <= 30 )) || fail "keep-alive not used: $conns connections"  # the reload closes idle ones
[[ ! -s $WORK/logs/error.log ]] || { grep -E "\[(alert|crit|emerg)\]" "$WORK/logs/error.log" && fail "nginx errors"; true; }

log "nginx quits (SIGQUIT: graceful); its sockets close in stackd"
kill -QUIT $ngx
wait $ngx || true
wait_gauge IpcSockets 0 50
log "PASS"
