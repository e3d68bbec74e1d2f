#!/usr/bin/env bash
# TCP through the impairment relay, stackd against Linux (issue 3): every
# transfer arrives byte-exact (SHA-256 via tcp_bulk.py) within a bound, in
# both directions,
#   echo  Linux client -> stackd echo -> back (tcp_bulk send --echo compares)
#   chgen stackd chargen -> Linux sink (the RFC 864 pattern's SHA-256)
# on a clean link and under (a) 1% loss, (b) 5% loss + 25% reordering,
# (c) 2% duplication + 10 ms delay, (d) 0.5% corruption, each with cubic and
# reno. The very same transfers run Linux-to-Linux first (the left kernel
# serves with tcp_bulk.py server: echo / source) behind the same relay with
# the same seed, and the summary prints both times. stackd's time is bounded
# by max(120 s, 10 x Linux's); slower than Linux is reported, not failed.
#
# Congestion control: the left and right namespaces' kernels use the case's
# (sysctl net.ipv4.tcp_congestion_control); stackd gets it per service
# (cubic services say congestion = "cubic", reno ones inherit the stack-wide
# [tcp] congestion = "reno"), so both config paths are exercised.
#
# Sizes (MiB): STACKD_TCP_IMPAIRED_MB (default 16) per impaired transfer,
# STACKD_TCP_CLEAN_MB (default 256) clean; STACKD_HEAVY=1: the issue's 256 /
# 1024; an ASan build (STACKD_BUILD_DIR ending in asan) defaults to 4 / 64.
# STACKD_IMPAIRED_BACKEND: af_xdp (default) or tap. RELAY_SEED is fixed.
# STACKD_TCP_MIN_BOUND (120 s) is the floor of the bound.
: "${RELAY_SEED:=20261124}"
: "${RELAY_DURATION:=900}"  # each relay is stopped after its transfer
source "$(dirname "$0")/relay_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
bulk="$here/tcp_bulk.py"
MiB=$((1 << 20))

if [[ ${STACKD_HEAVY:-0} == 1 ]]; then
  imp_mb=256 clean_mb=1024
elif [[ ${STACKD_BUILD_DIR%/} == *asan ]]; then
  imp_mb=4 clean_mb=64
else
  # 16 MiB: the whole script takes ~1.5 min; 32 MiB took 3m12s (close to
  # the 4 min budget on the shared 2-core CI machine), see README.md.
  imp_mb=16 clean_mb=256
fi
imp_mb=${STACKD_TCP_IMPAIRED_MB:-$imp_mb}
clean_mb=${STACKD_TCP_CLEAN_MB:-$clean_mb}
backend=${STACKD_IMPAIRED_BACKEND:-af_xdp}
linux_deadline=${STACKD_TCP_LINUX_DEADLINE:-180}
min_bound=${STACKD_TCP_MIN_BOUND:-120}

# name|relay options|MiB
cases=(
  "clean||$clean_mb"
  "loss1|--loss 0.01|$imp_mb"
  "loss5+reorder25|--loss 0.05 --reorder 0.25|$imp_mb"
  "dup2+delay10|--dup 0.02 --delay 10|$imp_mb"
  "corrupt0.5|--corrupt 0.005|$imp_mb"
)
# STACKD_TCP_IMPAIRED_CASES="loss1 clean": run only these (exploration).
if [[ -n ${STACKD_TCP_IMPAIRED_CASES:-} ]]; then
  keep=()
  for c in "${cases[@]}"; do
    [[ " $STACKD_TCP_IMPAIRED_CASES " == *" ${c%%|*} "* ]] && keep+=("$c")
  done
  cases=("${keep[@]}")
fi
ccs_for() { [[ $1 == clean ]] && echo cubic || echo "cubic reno"; }

# SHA-256 of the first N bytes of the RFC 864 stream (tcp_services.cc chargen_byte).
chargen_sha() {
  python3 - "$1" <<'PY'
import hashlib, sys
n = int(sys.argv[1])
line = bytes(range(32, 127))
period = b"".join((line * 2)[k % 95:k % 95 + 72] + b"\r\n" for k in range(95))
h = hashlib.sha256()
full, rest = divmod(n, len(period))
block = period * 1000
for _ in range(full // 1000):
    h.update(block)
h.update(period * (full % 1000))
h.update(period[:rest])
print(h.hexdigest())
PY
}

seconds_of() { sed -n 's/^tcp_bulk [a-z]* .*seconds=\([0-9.]*\).*/\1/p' "$1" | tail -n 1; }
# bound_for LINUX_SECONDS [FACTOR]: the deadline for stackd, FACTOR (10)
# times Linux's time, at least min_bound.
bound_for() { awk -v l="${1:-0}" -v m="$min_bound" -v f="${2:-10}" 'BEGIN { b = f * l; if (b < m) b = m; printf "%.0f", b }'; }

# set_cc NAME : both Linux ends use NAME: the namespaces' default by sysctl
# where the kernel allows it, and always per socket (tcp_impaired_cc.py, as
# a namespace may only pick from the host's tcp_allowed_congestion_control).
# Returns 1 (and says so) if the kernel has no NAME even after modprobe.
set_cc() {
  local ns avail
  avail=$(left cat /proc/sys/net/ipv4/tcp_available_congestion_control)
  if ! grep -qw "$1" <<<"$avail"; then
    modprobe "tcp_$1" 2>/dev/null || true
    avail=$(left cat /proc/sys/net/ipv4/tcp_available_congestion_control)
    grep -qw "$1" <<<"$avail" || {
      log "congestion control $1 is not available in this kernel (available: $avail)"
      return 1
    }
  fi
  for ns in "$NS_L" "$NS_R"; do
    ip netns exec "$ns" sysctl -qw "net.ipv4.tcp_congestion_control=$1" 2>/dev/null || {
      [[ -n ${said_sysctl[$1]:-} ]] ||
        log "namespaces may not default to $1 (host tcp_allowed_congestion_control: $(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)); set per socket"
      said_sysctl[$1]=1
    }
  done
  CC=$1
}
declare -A said_sysctl


# wait_listening LOG : a tcp_bulk server printed its listening line.
wait_listening() {
  local i
  for i in $(seq 1 50); do
    grep -qs listening "$1" && return 0
    sleep 0.1
  done
  cat "$1"
  return 1
}

declare -A linux_s stackd_s unavailable

# ---- Linux to Linux: the left kernel serves.
# linux_one echo|chgen opts bytes seed : one transfer; 1 on failure.
linux_one() {
  local dir=$1 opts=$2 bytes=$3 seed=$4 srv
  # shellcheck disable=SC2086  # opts are words
  relay_start $opts
  rm -f "$WORK/l_srv.log"  # the last server's "listening" must not count
  if [[ $dir == echo ]]; then
    left python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" server --port 7 --mode echo \
      --deadline "$linux_deadline" >"$WORK/l_srv.log" 2>&1 &
    srv=$!
    wait_listening "$WORK/l_srv.log" || fail "linux echo server did not listen"
    right python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" send "$SD_ADDR" 7 --bytes "$bytes" --seed "$seed" \
      --echo --deadline "$linux_deadline" >"$WORK/l_cli.log" 2>&1 || { kill "$srv" 2>/dev/null; wait "$srv"; return 1; }
  else
    left python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" server --port 19 --mode source --bytes "$bytes" \
      --seed "$seed" --deadline "$linux_deadline" >"$WORK/l_srv.log" 2>&1 &
    srv=$!
    wait_listening "$WORK/l_srv.log" || fail "linux source server did not listen"
    right python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" recv "$SD_ADDR" 19 --expect-bytes "$bytes" --seed "$seed" \
      --deadline "$linux_deadline" >"$WORK/l_cli.log" 2>&1 || { kill "$srv" 2>/dev/null; wait "$srv"; return 1; }
  fi
  wait "$srv" || return 1
  relay_stop >/dev/null
}

# The Linux time is the reference, not the subject: a failed Linux-to-Linux
# transfer (tcp_bulk's echo client has seen ECONNRESET after a complete
# echo under loss) is shown and tried once more before the test fails.
run_linux() { # case opts mb cc
  local name=$1 opts=$2 mb=$3 cc=$4 bytes=$(($3 * MiB)) key="$1 $4" seed=$RANDOM dir
  for dir in echo chgen; do
    if ! linux_one "$dir" "$opts" "$bytes" "$seed"; then
      relay_stop >/dev/null || true
      log "$key $dir: Linux-to-Linux failed once, trying again:"
      cat "$WORK/l_cli.log" "$WORK/l_srv.log"
      linux_one "$dir" "$opts" "$bytes" "$seed" \
        || { cat "$WORK/l_cli.log" "$WORK/l_srv.log"; fail "$key $dir: Linux-to-Linux failed twice"; }
    fi
    linux_s["$key $dir"]=$(seconds_of "$WORK/l_cli.log")
  done
  log "linux  $key ${mb} MiB: ${linux_s["$key echo"]} s echo, ${linux_s["$key chgen"]} s chargen"
}

# Known failures: "case cc" -> why. Such a transfer still runs and is
# reported (KNOWN FAILURE, or a note that it passed and can be removed); it
# does not fail the run. Heavy run only: the default-size run keeps them.
# (None now. Session 3's "loss5+reorder25 reno" entry went when spurious
# recoveries were undone and DupThresh followed the reordering, and ACKs at
# the window's right edge were accepted: 256 MiB Reno echo 57-68 s, chargen
# 159-174 s, against Linux's 54 s / 64 s.)
declare -A KNOWN_FAIL=()
declare -A known_failed=()
# transfer_failed KEY DIR WHAT: fail the run unless KEY is a known failure.
transfer_failed() {
  cat "$WORK/s_cli.log"
  [[ -n ${KNOWN_FAIL[$1]:-} ]] || fail "$1 $2 $3"
  log "KNOWN FAILURE $1 $2 $3: ${KNOWN_FAIL[$1]}"
  known_failed["$1 $2"]=1
}
# transfer_passed KEY DIR: a known failure that passed is reported.
transfer_passed() {
  [[ -n ${KNOWN_FAIL[$1]:-} && -z ${known_failed["$1 $2"]:-} ]] &&
    log "known failure $1 $2 passed this time: consider removing it from KNOWN_FAIL"
  return 0
}

# ---- stackd on the left: echo on 7 (cubic) / 8 (reno), chargen on 19
# (clean size, cubic), 20 (cubic) and 21 (reno).
run_stackd() { # case opts mb cc
  local name=$1 opts=$2 mb=$3 cc=$4 bytes=$(($3 * MiB)) key="$1 $4" seed=$RANDOM bound
  local eport=7 cport=20
  [[ $cc == reno ]] && eport=8 cport=21
  [[ $name == clean ]] && cport=19
  local factor=10
  bound=$(bound_for "${linux_s["$key echo"]:-}" "$factor")
  # shellcheck disable=SC2086
  relay_start $opts
  right python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" send "$SD_ADDR" "$eport" --bytes "$bytes" --seed "$seed" --echo \
    --deadline "$bound" >"$WORK/s_cli.log" 2>&1 \
    || transfer_failed "$key" echo "${mb} MiB: not byte-exact or not within $bound s (relay $opts, seed $RELAY_SEED)"
  stackd_s["$key echo"]=$(seconds_of "$WORK/s_cli.log")
  [[ -n ${known_failed["$key echo"]:-} ]] && stackd_s["$key echo"]=failed
  transfer_passed "$key" echo
  relay_stop >/dev/null

  bound=$(bound_for "${linux_s["$key chgen"]:-}" "$factor")
  relay_start $opts
  right python3 "$here/tcp_impaired_cc.py" "$CC" "$bulk" recv "$SD_ADDR" "$cport" --expect-sha256 "${sha[$mb]}" \
    --deadline "$bound" >"$WORK/s_cli.log" 2>&1 \
    || transfer_failed "$key" chargen "${mb} MiB: not byte-exact or not within $bound s (relay $opts, seed $RELAY_SEED)"
  stackd_s["$key chgen"]=$(seconds_of "$WORK/s_cli.log")
  [[ -n ${known_failed["$key chargen"]:-} ]] && stackd_s["$key chgen"]=failed
  transfer_passed "$key" chargen
  relay_stop >/dev/null
  log "stackd $key ${mb} MiB: ${stackd_s["$key echo"]} s echo, ${stackd_s["$key chgen"]} s chargen"
}

[[ -x $RELAY ]] || fail "stackd-relay not built at $RELAY (tests/relay/relay.cmake)"
log "sizes: ${clean_mb} MiB clean, ${imp_mb} MiB impaired; relay seed $RELAY_SEED; stackd on $backend"
declare -A sha
sha[$imp_mb]=$(chargen_sha $((imp_mb * MiB)))
sha[$clean_mb]=$(chargen_sha $((clean_mb * MiB)))

log "== Linux to Linux"
relay_setup linux
relay_static_neigh
for c in "${cases[@]}"; do
  IFS='|' read -r name opts mb <<<"$c"
  for cc in $(ccs_for "$name"); do
    if set_cc "$cc"; then
      run_linux "$name" "$opts" "$mb" "$cc"
    else
      unavailable[$cc]=1
    fi
  done
done

log "== stackd ($backend) to Linux"
relay_setup "$backend"
relay_write_config "
[tcp]
congestion = \"reno\"

[[neighbour]]
address = \"$PEER_ADDR\"
mac = \"$PEER_MAC\"
dev = \"$SD_IF\"

[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7
congestion = \"cubic\"

[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 8

[[service]]
kind = \"chargen\"
proto = \"tcp\"
port = 19
bytes = $((clean_mb * MiB))
congestion = \"cubic\"

[[service]]
kind = \"chargen\"
proto = \"tcp\"
port = 20
bytes = $((imp_mb * MiB))
congestion = \"cubic\"

[[service]]
kind = \"chargen\"
proto = \"tcp\"
port = 21
bytes = $((imp_mb * MiB))"
right ip neigh replace "$SD_ADDR" lladdr "$SD_MAC" dev "$R_IF" nud permanent
relay_start
start_stackd
relay_stop >/dev/null
for c in "${cases[@]}"; do
  IFS='|' read -r name opts mb <<<"$c"
  for cc in $(ccs_for "$name"); do
    # The right kernel sends in the echo direction: same cc as for Linux.
    set_cc "$cc" || true
    run_stackd "$name" "$opts" "$mb" "$cc"
  done
done
stop_stackd || fail "stackd did not shut down cleanly"

echo
printf '%-16s %-6s %-6s %6s %10s %10s %8s\n' case cc dir MiB "stackd s" "linux s" ratio
for c in "${cases[@]}"; do
  IFS='|' read -r name opts mb <<<"$c"
  for cc in $(ccs_for "$name"); do
    for dir in echo chgen; do
      s=${stackd_s["$name $cc $dir"]} l=${linux_s["$name $cc $dir"]:-}
      if [[ $s == failed ]]; then
        r="KNOWN"
      elif [[ -n $l ]]; then
        r=$(awk -v s="$s" -v l="$l" 'BEGIN { printf "%.2f", (l > 0 ? s / l : 0) }')
      else
        l="n/a" r="-"
      fi
      printf '%-16s %-6s %-6s %6s %10s %10s %8s\n' "$name" "$cc" "$dir" "$mb" "$s" "$l" "$r"
    done
  done
done
for cc in "${!unavailable[@]}"; do
  echo "note: the kernel has no $cc congestion control; its Linux times are n/a (bound 30 s)"
done
log "tcp impaired: ok"
