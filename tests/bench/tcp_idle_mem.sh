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
# One client process per PER_PROC connections: the open-files hard limit
# (ulimit -Hn) bounds each process, and raising it needs CAP_SYS_RESOURCE.
PER_PROC=${PER_PROC:-$(( $(ulimit -Hn) - 200 ))}
nproc=$(( (COUNT + PER_PROC - 1) / PER_PROC ))
holders=()
for p in $(seq 1 "$nproc"); do
  n=$(( p < nproc ? PER_PROC : COUNT - (nproc - 1) * PER_PROC ))
  peer bash -c "ulimit -n \$(ulimit -Hn); exec python3 '$TOOL' idle '$SD_ADDR' 7 --count $n \
    --sources $(IFS=,; echo "${srcs[*]}") --deadline 300" <"$WORK/hold" >"$WORK/idle-$p.log" 2>&1 &
  holders+=($!)
done
exec 9>"$WORK/hold"
t0=$(date +%s)
ready() { cat "$WORK"/idle-*.log 2>/dev/null | grep -c '^ready' || true; }
for _ in $(seq 1 3000); do
  (( $(ready) == nproc )) && break
  for h in "${holders[@]}"; do
    kill -0 "$h" 2>/dev/null || { cat "$WORK"/idle-*.log; fail "an idle client exited"; }
  done
  sleep 0.1
done
(( $(ready) == nproc )) || fail "connections not up in 300 s"
t1=$(date +%s)
sleep 2  # let stackd settle (delayed ACKs, accept queue)
after=$(rss_kb "$STACKD_PID")
log "$COUNT connections up in $((t1 - t0)) s; stackd VmRSS ${before} kB -> ${after} kB"
exec 9>&-  # the client closes them
for h in "${holders[@]}"; do wait "$h" || true; done
sleep 2
closed=$(rss_kb "$STACKD_PID")
echo
awk -v n="$COUNT" -v b="$before" -v a="$after" -v c="$closed" -v be="$BE" 'BEGIN {
  printf "%s: %d idle connections: VmRSS %.1f MB -> %.1f MB: %.0f bytes per connection (bar: 100 MB per 100k = 1049); after close %.1f MB\n",
    be, n, b / 1024, a / 1024, (a - b) * 1024 / n, c / 1024 }'
