#!/usr/bin/env bash
# stackd's memory per idle connection: COUNT connections from the Linux
# peer to stackd's echo service (non-blocking connects from several source
# addresses of the peer, at most 256 in flight, bounded in time), held idle;
# stackd's VmRSS (/proc/PID/status) before and with them open gives the
# bytes per connection. The seed's bar: 100 MB for 100,000 connections.
#
# A benchmark, not a CI test: a failed connect fails it, a big number does not.
#   sudo STACKD_BUILD_DIR=$PWD/build/bench tests/bench/tcp_idle_mem.sh
#   COUNT=100000 SOURCES=4 BACKEND=af_xdp
source "$(dirname "$0")/../net/lib.sh"
COUNT=${COUNT:-100000}
SOURCES=${SOURCES:-4}
BE=${BACKEND:-af_xdp}
TOOL="$(dirname "$0")/tcp_bench.py"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

setup_backend "$BE"
write_config "
[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7"
start_stackd
srcs=()
for s in $(seq 1 "$SOURCES"); do
  a="$NET.$((100 + s))"
  peer ip addr add "$a/24" dev "$([[ $BE == af_xdp ]] && echo "pev$id" || echo "$SD_IF")"
  srcs+=("$a")
done
peer sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
sleep 1
before=$(rss_kb "$STACKD_PID")
mkfifo "$WORK/hold"
peer bash -c "ulimit -n $((COUNT + 1024)); exec python3 '$TOOL' idle '$SD_ADDR' 7 --count $COUNT \
  --sources $(IFS=,; echo "${srcs[*]}") --deadline 300" <"$WORK/hold" >"$WORK/idle.log" 2>&1 &
holder=$!
exec 9>"$WORK/hold"
t0=$(date +%s)
for _ in $(seq 1 3000); do
  grep -q '^ready' "$WORK/idle.log" 2>/dev/null && break
  kill -0 "$holder" 2>/dev/null || { cat "$WORK/idle.log"; fail "the idle client exited"; }
  sleep 0.1
done
grep -q '^ready' "$WORK/idle.log" || fail "connections not up in 300 s"
t1=$(date +%s)
sleep 2  # let stackd settle (delayed ACKs, accept queue)
after=$(rss_kb "$STACKD_PID")
log "$COUNT connections up in $((t1 - t0)) s; stackd VmRSS ${before} kB -> ${after} kB"
exec 9>&-  # the client closes them
wait "$holder" || true
sleep 2
closed=$(rss_kb "$STACKD_PID")
echo
awk -v n="$COUNT" -v b="$before" -v a="$after" -v c="$closed" -v be="$BE" 'BEGIN {
  printf "%s: %d idle connections: VmRSS %.1f MB -> %.1f MB: %.0f bytes per connection (bar: 100 MB per 100k = 1049); after close %.1f MB\n",
    be, n, b / 1024, a / 1024, (a - b) * 1024 / n, c / 1024 }'
