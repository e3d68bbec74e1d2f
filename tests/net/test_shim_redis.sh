#!/usr/bin/env bash
# Debian's redis-server and redis-benchmark/redis-cli, unmodified, under the
# shim (issue 5), each against the other side on the Linux peer:
#   1. redis-server (shim) <- Linux redis-cli: known values SET/GET, a
#      1 MB value byte-exact, 5,000 commands through `redis-cli --pipe`;
#      redis-benchmark -c 50 (plain and pipelined -P 16): every test
#      reports a nonzero rate, no error; the server counted them all.
#   2. redis-benchmark and redis-cli (shim) -> Linux redis-server: the same
#      benchmark and values.
# Sizes: -n $STACKD_REDIS_N per test (default 10,000; 2,000 in an ASan
# build); STACKD_HEAVY=1 runs the issue's -n 100000 with every default test.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
for p in redis-server redis-cli redis-benchmark; do
  command -v $p >/dev/null || fail "$p is not installed (deploy/install-deps.sh)"
done
# lrange_300 -P 16: 50 x 43 KB of replies at once ran the device's frame
# pool out and a reply with nothing in flight waited forever (fixed: the
# persist timer sends it, daemon/transport/tcp/output.cc)
tests="set,get,incr,lpush,rpop,sadd,hset,mset,lrange_300"
if [[ ${STACKD_HEAVY:-0} == 1 ]]; then
  n=${STACKD_REDIS_N:-100000}; tests=""
elif [[ ${#SHIM_ENV[@]} -gt 1 ]]; then
  n=${STACKD_REDIS_N:-2000}
else
  n=${STACKD_REDIS_N:-10000}
fi
# the number of tests a run reports (0: all the defaults, heavy run)
ntests=0
[[ -n $tests ]] && ntests=$(( $(tr ',' '\n' <<<"$tests" | wc -l) + 1 ))  # + its LPUSH for LRANGE

CLIENT_MAX_SOCKETS=256  # 50 benchmark clients + listener + redis-cli: client_lib's 64 is tight
start_client_stackd

# redis_server WHERE ADDR PORT: a redis-server without persistence, in the
# foreground of a background job; WHERE is "shim" or "linux".
redis_server() {
  local args=(redis-server --bind "$2" --port "$3" --save '' --appendonly no --protected-mode no
              --dir "$WORK" --daemonize no --loglevel warning --maxclients 200)
  if [[ $1 == shim ]]; then
    "${SHIMMED[@]}" "${args[@]}" >"$WORK/redis-$1.log" 2>&1 &
  else
    peer "${args[@]}" >"$WORK/redis-$1.log" 2>&1 &
  fi
  REDIS_PID=$!
}

# wait_pong CLI...: until `CLI... ping` answers PONG (10 s).
wait_pong() {
  local i
  for i in $(seq 1 50); do
    [[ $(timeout 5 "$@" ping 2>/dev/null) == PONG ]] && return 0
    kill -0 "$REDIS_PID" 2>/dev/null || fail "redis-server exited: $(cat "$WORK"/redis-*.log)"
    sleep 0.2
  done
  fail "no PONG from redis-server"
}

# check_values CLI...: known values through CLI (redis-cli with -h/-p).
check_values() {
  local cli=("$@") v
  [[ $(timeout 10 "${cli[@]}" set greeting "hello stackd") == OK ]] || fail "SET greeting"
  v=$(timeout 10 "${cli[@]}" get greeting)
  [[ $v == "hello stackd" ]] || fail "GET greeting = '$v'"
  [[ $(timeout 10 "${cli[@]}" incrby counter 41) == 41 ]] || fail "INCRBY"
  [[ $(timeout 10 "${cli[@]}" incr counter) == 42 ]] || fail "INCR"
  head -c 750000 /dev/urandom | base64 -w 0 >"$WORK/big.val"  # 1,000,000 bytes
  timeout 20 "${cli[@]}" -x set big <"$WORK/big.val" >/dev/null || fail "SET of 1 MB"
  timeout 20 "${cli[@]}" --raw get big | head -c 1000000 >"$WORK/big.got"
  same_file "$WORK/big.val" "$WORK/big.got"
  [[ $(timeout 10 "${cli[@]}" strlen big) == 1000000 ]] || fail "STRLEN big"
  # 5,000 commands in one stream (redis-cli --pipe: writes all, reads the replies)
  seq 1 5000 | awk '{ printf "SET pipe:%d v%d\r\n", $1, $1 * 7 }' >"$WORK/pipe.txt"
  v=$(timeout 30 "${cli[@]}" --pipe <"$WORK/pipe.txt" 2>&1) || fail "redis-cli --pipe: $v"
  grep -q "errors: 0, replies: 5000" <<<"$v" || fail "redis-cli --pipe: $v"
  v=$(timeout 10 "${cli[@]}" mget pipe:1 pipe:2500 pipe:5000 | tr '\n' ' ')
  [[ $v == "v7 v17500 v35000 " ]] || fail "MGET after --pipe = '$v'"
}

# benchmark LABEL BENCH...: redis-benchmark (-c 50, --csv) plain and -P 16;
# every test reports a nonzero rate and no error. Echoes the commands run.
benchmark() {
  local label=$1; shift
  local p out rows
  for p in 1 16; do
    out=$(timeout 240 "$@" -c 50 -n "$n" -P $p ${tests:+-t "$tests"} --csv 2>"$WORK/bench.err") \
      || fail "$label redis-benchmark -P $p failed: $(tail -5 "$WORK/bench.err")"
    grep -qiE "error|refused|reset" "$WORK/bench.err" && fail "$label -P $p: $(head -5 "$WORK/bench.err")"
    rows=$(grep -c '^"[A-Z]' <<<"$out" || true)
    (( ntests == 0 || rows == ntests )) || fail "$label -P $p: $rows result rows: $out"
    (( rows > 0 )) || fail "$label -P $p: no results: $out"
    awk -F'","' -v l="$label -P $p" 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2)
      if ($2 + 0 <= 0) { print l ": " $1 " rate " $2; bad = 1 } } END { exit bad }' <<<"$out" \
      || fail "$label -P $p: a test with no rate"
    log "$label -P $p: $(awk -F'","' 'NR > 1 { gsub(/"/, "", $1); printf "%s %.0f/s  ", $1, $2 }' <<<"$out")"
  done
}

log "redis-server under the shim <- Linux redis-cli"
redis_server shim "$SD_ADDR" 6379
srv=$REDIS_PID
LCLI=(ip netns exec "$NS_PEER" redis-cli -h "$SD_ADDR" -p 6379)
wait_pong "${LCLI[@]}"
check_values "${LCLI[@]}"
before=$(timeout 10 "${LCLI[@]}" info stats | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p')
log "Linux redis-benchmark -c 50 -n $n ${tests:+-t $tests} -> redis-server (shim)"
benchmark "server on the shim" ip netns exec "$NS_PEER" redis-benchmark -h "$SD_ADDR" -p 6379
stats=$(timeout 10 "${LCLI[@]}" info stats | tr -d '\r')
after=$(sed -n 's/^total_commands_processed:\([0-9]*\)/\1/p' <<<"$stats")
# every request of both runs reached the server (the benchmark's own
# CONFIG GETs and the PINGs come on top)
min=$((2 * n * (ntests > 0 ? ntests : 1)))
(( after - before >= min )) || fail "server processed $((after - before)) commands, expected >= $min"
grep -q '^rejected_connections:0$' <<<"$stats" || fail "rejected connections: $(grep rejected <<<"$stats")"
[[ $(timeout 10 "${LCLI[@]}" get greeting) == "hello stackd" ]] || fail "greeting lost after the benchmark"
log "server processed $((after - before)) commands; SHUTDOWN NOSAVE"
timeout 10 "${LCLI[@]}" shutdown nosave >/dev/null 2>&1 || true
timeout 20 tail --pid=$srv -f /dev/null || fail "redis-server did not exit on SHUTDOWN"
wait_gauge IpcSockets 0 50

log "redis-benchmark and redis-cli under the shim -> Linux redis-server"
redis_server linux "$PEER_ADDR" 6380
SCLI=("${SHIMMED[@]}" redis-cli -h "$PEER_ADDR" -p 6380)
wait_pong "${SCLI[@]}"
check_values "${SCLI[@]}"
benchmark "client on the shim" "${SHIMMED[@]}" redis-benchmark -h "$PEER_ADDR" -p 6380
[[ $(timeout 10 "${SCLI[@]}" get greeting) == "hello stackd" ]] || fail "greeting lost after the benchmark"
wait_gauge IpcSockets 0 50
log "PASS"
