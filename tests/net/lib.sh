# Shared helpers for the network tests (sourced, not run).
#
# Each test gets its own namespaces and links named after its pid, uses only
# addresses inside them, bounds every wait, and removes everything on exit,
# also on failure. The topology per back-end:
#
#   af_xdp:  [ns sd-$id: stackd on veth sdv$id (XDP)] <--veth--> [ns pe-$id: Linux peer, pev$id]
#   tap:     [ns pe-$id: stackd on tap sdt$id, Linux peer on the same tap's kernel side]
#
# stackd owns $SD_ADDR (.2); the Linux peer is $PEER_ADDR (.1).

set -euo pipefail

: "${STACKD_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${STACKD_BUILD_DIR:=$STACKD_SOURCE_DIR/build/release}"
STACKD=${STACKD:-$STACKD_BUILD_DIR/daemon/app/stackd}

id=$(( ($$ % 60000) + 1 ))
NS_SD="sd-$id"
NS_PEER="pe-$id"
NET="10.$(( 64 + id % 128 )).$(( id % 250 ))"
SD_ADDR="$NET.2"
PEER_ADDR="$NET.1"
SD_MAC="02:5d:00:00:$(printf '%02x:%02x' $(( (id >> 8) & 255 )) $(( id & 255 )))"
WORK=$(mktemp -d /tmp/stackd-net.XXXXXX)
STACKD_LOG="$WORK/stackd.log"
STACKD_PID=""
BACKEND=""
SD_IF=""

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; dump_stackd_log; exit 1; }

dump_stackd_log() {
  if [[ -f $STACKD_LOG ]]; then
    echo "---- stackd log (last 60 lines) ----"
    tail -n 60 "$STACKD_LOG" || true
    echo "------------------------------------"
  fi
}

peer() { ip netns exec "$NS_PEER" "$@"; }

cleanup() {
  local rc=$?
  stop_stackd || true
  ip netns del "$NS_SD" 2>/dev/null || true
  ip netns del "$NS_PEER" 2>/dev/null || true
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# setup_backend af_xdp|tap : build the topology and write $WORK/stackd.toml.
setup_backend() {
  BACKEND=$1
  stop_stackd || true
  ip netns del "$NS_SD" 2>/dev/null || true
  ip netns del "$NS_PEER" 2>/dev/null || true
  ip netns add "$NS_PEER"
  peer ip link set lo up
  case $BACKEND in
    af_xdp)
      SD_IF="sdv$id"
      ip netns add "$NS_SD"
      ip netns exec "$NS_SD" ip link set lo up
      ip link add "$SD_IF" netns "$NS_SD" type veth peer name "pev$id" netns "$NS_PEER"
      ip netns exec "$NS_SD" ip link set "$SD_IF" address "$SD_MAC" up
      # A veth hands its peer checksum-offloaded (CHECKSUM_PARTIAL) UDP/TCP
      # whose checksum field holds only the pseudo-header sum; XDP sees those
      # bytes as they are. A real NIC never puts such frames on the wire, so
      # the peer computes checksums in software, as it would for a real link.
      peer ethtool -K "pev$id" tx off >/dev/null
      peer ip addr add "$PEER_ADDR/24" dev "pev$id"
      peer ip link set "pev$id" up
      ;;
    tap)
      SD_IF="sdt$id"
      NS_SD="$NS_PEER"
      peer ip tuntap add dev "$SD_IF" mode tap
      peer ip addr add "$PEER_ADDR/24" dev "$SD_IF"
      peer ip link set "$SD_IF" up
      ;;
    *) fail "unknown back-end $BACKEND" ;;
  esac
  write_config
}

# write_config [extra toml] : stackd's config for the current topology.
write_config() {
  cat >"$WORK/stackd.toml" <<TOML
[daemon]
log_level = "info"

[[interface]]
name = "$SD_IF"
backend = "$BACKEND"
mac = "$SD_MAC"
mtu = 1500
addresses = ["$SD_ADDR/24"]

[[service]]
kind = "echo"
proto = "udp"
port = 7

[[service]]
kind = "discard"
proto = "udp"
port = 9
${1:-}
TOML
}

start_stackd() {
  [[ -x $STACKD ]] || fail "stackd not built at $STACKD"
  ip netns exec "$NS_SD" "$STACKD" --config "$WORK/stackd.toml" >"$STACKD_LOG" 2>&1 &
  STACKD_PID=$!
  # Ready when the kernel peer can reach us (bounded: 10 s).
  local i
  for i in $(seq 1 100); do
    kill -0 "$STACKD_PID" 2>/dev/null || fail "stackd exited during start-up"
    if peer ping -c1 -W1 -q "$SD_ADDR" >/dev/null 2>&1; then
      log "stackd up ($BACKEND on $SD_IF, pid $STACKD_PID)"
      return 0
    fi
    sleep 0.1
  done
  fail "stackd did not answer ping within 10 s"
}

stop_stackd() {
  [[ -n $STACKD_PID ]] || return 0
  if kill -0 "$STACKD_PID" 2>/dev/null; then
    kill -TERM "$STACKD_PID"
    local i
    for i in $(seq 1 50); do
      kill -0 "$STACKD_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$STACKD_PID" 2>/dev/null; then
      log "stackd did not stop on SIGTERM within 5 s; killing"
      kill -KILL "$STACKD_PID" || true
      wait "$STACKD_PID" 2>/dev/null || true
      STACKD_PID=""
      return 1
    fi
  fi
  local rc=0
  wait "$STACKD_PID" || rc=$?
  STACKD_PID=""
  [[ $rc -eq 0 ]] || { log "stackd exited with status $rc"; return 1; }
}

# stackd_counters NAME... : "NAME=value ..." from one SIGUSR1 report (0 if absent).
stackd_counters() {
  local before
  before=$(wc -l <"$STACKD_LOG")
  kill -USR1 "$STACKD_PID"
  local i
  for i in $(seq 1 30); do
    sleep 0.1
    if tail -n +"$((before + 1))" "$STACKD_LOG" | grep -q "end of counters"; then break; fi
  done
  tail -n +"$((before + 1))" "$STACKD_LOG" | awk -v names="$*" '
    BEGIN { n = split(names, want, " ") }
    { v[$1] = $2 }
    END { for (i = 1; i <= n; i++) printf "%s%s=%d", (i > 1 ? " " : ""), want[i], v[want[i]] + 0; print "" }'
}

# stackd_counter NAME : the value stackd prints for NAME on SIGUSR1 (0 if absent).
stackd_counter() { stackd_counters "$1" | cut -d= -f2; }

backends() { echo "${STACKD_NET_BACKENDS:-af_xdp tap}"; }
