#!/usr/bin/env bash
# Unmodified applications with their sockets on stackd (the shim, stackrun)
# vs the same programs on the kernel, side by side in one run (issue 5).
# af_xdp back-end; the servers run in stackd's namespace, under the shim on
# stackd's address and on the kernel on a second address of the same veth
# ($KERNEL_ADDR, tcp_bench_lib.sh), so both are reached over the same veth
# pair. The clients are Linux programs in the peer namespace:
#   redis   redis-benchmark -c 50 -n REDIS_N -t set,get: rps and p99 (ms),
#           plain and pipelined (-P 16)
#   nginx   wrk -t 2 -c 50 -d WRK_SECONDS of a 100-byte file, keep-alive and
#           Connection: close (nginx: 1 worker, sendfile on)
#   iperf3  one TCP stream for IPERF_SECONDS, client -> server and -R
# ROUNDS rounds, alternating which side goes first; prints per-round
# numbers, then per metric the median [min..max] of each side and the
# median stackd/kernel ratio [min..max].
#
# A benchmark, not a CI test: slow numbers do not fail it; errors do.
#   sudo STACKD_BUILD_DIR=$PWD/build/release tests/bench/shim_apps.sh
#   ROUNDS=3 REDIS_N=100000 WRK_SECONDS=5 IPERF_SECONDS=5 BENCH_ONLY="redis nginx iperf3"
source "$(dirname "$0")/../net/lib.sh"
source "$(dirname "$0")/../net/client_lib.sh"
source "$(dirname "$0")/../net/shim_lib.sh"
source "$(dirname "$0")/tcp_bench_lib.sh"  # KERNEL_ADDR
ROUNDS=${ROUNDS:-3}
REDIS_N=${REDIS_N:-100000}
WRK_SECONDS=${WRK_SECONDS:-5}
IPERF_SECONDS=${IPERF_SECONDS:-5}
BENCH_ONLY=${BENCH_ONLY:-"redis nginx iperf3"}
for p in redis-server redis-benchmark nginx wrk iperf3; do
  command -v $p >/dev/null || fail "$p is not installed (deploy/install-deps.sh)"
done
RESULTS="$WORK/results"  # "metric side round value" lines

setup_backend af_xdp
CLIENT_MAX_SOCKETS=256 client_config
start_stackd
ip netns exec "$NS_SD" ip addr add "$KERNEL_ADDR/24" dev "$SD_IF"
peer ping -c 3 -i 0.2 -W 2 -q "$KERNEL_ADDR" >/dev/null || fail "kernel address $KERNEL_ADDR unreachable"
# Connection: close makes thousands of connections: the peer reuses ports.
peer sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"

# serve SIDE CMD...: CMD in stackd's namespace, under the shim for "stackd".
serve() {
  local side=$1; shift
  if [[ $side == stackd ]]; then
    ip netns exec "$NS_SD" "${SHIMMED[@]}" "$@"
  else
    ip netns exec "$NS_SD" "$@"
  fi
}
addr_of() { [[ $1 == stackd ]] && echo "$SD_ADDR" || echo "$KERNEL_ADDR"; }

# wait_tcp ADDR PORT: until the peer can connect (10 s).
wait_tcp() {
  local i
  for i in $(seq 1 50); do
    peer timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
    sleep 0.2
  done
  fail "nothing listens on $1:$2"
}

start_servers() {
  local side a
  for side in stackd kernel; do
    a=$(addr_of $side)
    if [[ " $BENCH_ONLY " == *" redis "* ]]; then
      serve $side redis-server --bind "$a" --port 6379 --save '' --appendonly no --protected-mode no \
        --dir "$WORK" --daemonize no --loglevel warning >"$WORK/redis-$side.log" 2>&1 &
      wait_tcp "$a" 6379
    fi
    if [[ " $BENCH_ONLY " == *" nginx "* ]]; then
      mkdir -p "$WORK/www" "$WORK/ngx-$side/logs" "$WORK/ngx-$side/tmp"
      head -c 100 /dev/zero | tr '\0' x >"$WORK/www/small.txt"
      cat >"$WORK/ngx-$side/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $WORK/ngx-$side/nginx.pid;
error_log $WORK/ngx-$side/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/ngx-$side/tmp;
  proxy_temp_path $WORK/ngx-$side/tmp;
  fastcgi_temp_path $WORK/ngx-$side/tmp;
  uwsgi_temp_path $WORK/ngx-$side/tmp;
  scgi_temp_path $WORK/ngx-$side/tmp;
  types { text/plain txt; }
  server { listen $a:8080; root $WORK/www; }
}
CONF
      serve $side nginx -p "$WORK/ngx-$side" -c "$WORK/ngx-$side/nginx.conf" >"$WORK/nginx-$side.out" 2>&1 &
      wait_tcp "$a" 8080
    fi
    if [[ " $BENCH_ONLY " == *" iperf3 "* ]]; then
      serve $side iperf3 -s -B "$a" -p 5201 >"$WORK/iperf3-$side.log" 2>&1 &
      wait_tcp "$a" 5201
      sleep 0.5  # that probe connection is a test iperf3 abandons
    fi
  done
}

# bench_redis SIDE ROUND
bench_redis() {
  local a p out
  a=$(addr_of "$1")
  for p in 1 16; do
    out=$(peer timeout 300 redis-benchmark -h "$a" -p 6379 -c 50 -n "$REDIS_N" -P $p -t set,get --csv 2>"$WORK/rb.err") \
      || fail "redis-benchmark ($1): $(tail -3 "$WORK/rb.err")"
    ! grep -qiE "error|refused|reset" "$WORK/rb.err" || fail "redis-benchmark ($1): $(head -3 "$WORK/rb.err")"
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    awk -F, -v side="$1" -v r="$2" -v p=$p 'NR > 1 { gsub(/"/, "")
      printf "redis_%s_P%d_rps %s %s %s\n", $1, p, side, r, $2
      if (p == 1) printf "redis_%s_P%d_p99_ms %s %s %s\n", $1, p, side, r, $7 }' <<<"$out" >>"$RESULTS"
  done
}

# bench_nginx SIDE ROUND
bench_nginx() {
  local a mode out rps
  a=$(addr_of "$1")
  for mode in keepalive close; do
    local hdr=()
    [[ $mode == close ]] && hdr=(-H "Connection: close")
    out=$(peer timeout $((WRK_SECONDS + 30)) wrk -t 2 -c 50 -d "${WRK_SECONDS}s" --latency "${hdr[@]}" \
      "http://$a:8080/small.txt") || fail "wrk ($1, $mode): $out"
    ! grep -qE "Non-2xx|Socket errors" <<<"$out" || fail "wrk ($1, $mode) errors: $out"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    [[ -n $rps ]] || fail "wrk ($1, $mode): no rate: $out"
    echo "nginx_${mode}_rps $1 $2 $rps" >>"$RESULTS"
    echo "nginx_${mode}_p99_ms $1 $2 $(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }' <<<"$out")" >>"$RESULTS"
  done
}

# bench_iperf3 SIDE ROUND
bench_iperf3() {
  local a dir
  a=$(addr_of "$1")
  for dir in to_server from_server; do
    local rev=()
    [[ $dir == from_server ]] && rev=(-R)
    peer timeout $((IPERF_SECONDS + 30)) iperf3 -c "$a" -p 5201 -t "$IPERF_SECONDS" "${rev[@]}" -J \
      >"$WORK/ip.json" 2>&1 || fail "iperf3 ($1, $dir): $(head -c 1500 "$WORK/ip.json")"
    python3 - "$WORK/ip.json" "$1" "$2" "$dir" >>"$RESULTS" <<'PY' || fail "iperf3 ($2, $dir) report"
import json, sys
r = json.load(open(sys.argv[1]))
if "error" in r: sys.exit(r["error"])
got = r["end"]["sum_received"]
if got["bytes"] <= 0: sys.exit("nothing received")
print(f"iperf3_{sys.argv[4]}_mbit {sys.argv[2]} {sys.argv[3]} {got['bits_per_second'] / 1e6:.1f}")
PY
  done
}

start_servers
for r in $(seq 1 "$ROUNDS"); do
  order="stackd kernel"
  (( r % 2 )) || order="kernel stackd"
  for b in $BENCH_ONLY; do
    for side in $order; do
      "bench_$b" $side "$r"
    done
  done
  log "round $r: $(awk -v r="$r" '$3 == r { printf "%s %s=%s  ", $1, $2, $4 }' "$RESULTS")"
done

echo
echo "Applications under the shim (stackd) vs the kernel, median [min..max] of $ROUNDS rounds, af_xdp, MTU 1500"
echo "(ratio = stackd/kernel per round; for *_ms a ratio above 1 is slower):"
python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
vals = collections.defaultdict(dict)  # metric -> side -> {round: value}
for line in open(sys.argv[1]):
    m, side, r, v = line.split()
    vals[m].setdefault(side, {})[r] = float(v)
def fmt(xs):
    return f"{statistics.median(xs):.2f} [{min(xs):.2f}..{max(xs):.2f}]"
for m, sides in vals.items():
    sd, kn = sides.get("stackd", {}), sides.get("kernel", {})
    ratios = [sd[r] / kn[r] for r in sd if r in kn and kn[r] > 0]
    print(f"{m:<28} stackd {fmt(list(sd.values())):<32} kernel {fmt(list(kn.values())):<32} "
          f"ratio {fmt(ratios) if ratios else 'n/a'}")
PY
