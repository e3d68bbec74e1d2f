# Helpers for network tests through the impairment relay (sourced, not run;
# use it instead of lib.sh, not with it). See tests/relay/README.md.
#
# Three namespaces named after the test's pid, one /24 across the relay:
#
#   [ns rl-$id: left]  rlv$id <--veth--> rma$id  [ns rm-$id: stackd-relay]
#                                        rmb$id <--veth--> rrv$id  [ns rr-$id: right]
#
# The relay is an L2 forwarder, so left and right share one link: left is
# $SD_ADDR (.2; the Linux kernel, or stackd on rlv$id / on a tap bridged to
# it), right is the Linux peer $PEER_ADDR (.1). Relay direction a2b is
# left -> right, b2a is right -> left. Offloads are off on every veth end so
# the relay sees real frames of at most the MTU with real checksums. Every
# namespace made here is deleted on exit, also on failure.

set -euo pipefail

: "${STACKD_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${STACKD_BUILD_DIR:=$STACKD_SOURCE_DIR/build/release}"
STACKD=${STACKD:-$STACKD_BUILD_DIR/daemon/app/stackd}
RELAY=${RELAY:-$STACKD_BUILD_DIR/tests/relay/stackd-relay}

id=$(( ($$ % 60000) + 1 ))
NS_L="rl-$id"
NS_M="rm-$id"
NS_R="rr-$id"
L_IF="rlv$id"    # left's end (Linux, or stackd's AF_XDP interface)
MA_IF="rma$id"   # relay side a
MB_IF="rmb$id"   # relay side b
R_IF="rrv$id"    # right's end (Linux peer)
NET="10.$(( 64 + id % 128 )).$(( id % 250 ))"
SD_ADDR="$NET.2"
PEER_ADDR="$NET.1"
SD_MAC="02:5d:01:00:$(printf '%02x:%02x' $(( (id >> 8) & 255 )) $(( id & 255 )))"
PEER_MAC="02:5d:02:00:$(printf '%02x:%02x' $(( (id >> 8) & 255 )) $(( id & 255 )))"
WORK=$(mktemp -d /tmp/stackd-relay.XXXXXX)
STACKD_LOG="$WORK/stackd.log"
RELAY_LOG="$WORK/relay.log"
RELAY_SEED=${RELAY_SEED:-$id}
STACKD_PID=""
RELAY_PID=""
BACKEND=""
SD_IF=""

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; dump_logs; exit 1; }

dump_logs() {
  local f
  for f in "$RELAY_LOG" "$STACKD_LOG"; do
    if [[ -s $f ]]; then
      echo "---- $(basename "$f") (last 40 lines) ----"
      tail -n 40 "$f" || true
    fi
  done
}

left() { ip netns exec "$NS_L" "$@"; }
mid() { ip netns exec "$NS_M" "$@"; }
right() { ip netns exec "$NS_R" "$@"; }
peer() { right "$@"; }

relay_cleanup() {
  local rc=$?
  stop_stackd || true
  relay_stop >/dev/null 2>&1 || true
  ip netns del "$NS_L" 2>/dev/null || true
  ip netns del "$NS_M" 2>/dev/null || true
  ip netns del "$NS_R" 2>/dev/null || true
  rm -rf "$WORK"
  exit $rc
}
trap relay_cleanup EXIT
trap 'exit 130' INT TERM

# The relay must see frames as they would be on a wire: no GSO/TSO super
# frames leaving an end, no GRO merging arriving ones, and checksums filled
# in (a veth otherwise hands its peer CHECKSUM_PARTIAL frames whose checksum
# field holds only the pseudo-header sum).
no_offloads() { # ns dev
  ip netns exec "$1" ethtool -K "$2" gro off gso off tso off tx off >/dev/null 2>&1 \
    || ip netns exec "$1" ethtool -K "$2" gro off gso off tx off >/dev/null
}

# relay_setup linux|af_xdp|tap : build the three namespaces. linux: the left
# kernel owns $SD_ADDR. af_xdp: stackd will own $L_IF. tap: stackd will own
# tap rlt$id, bridged to $L_IF inside the left namespace.
relay_setup() {
  BACKEND=$1
  local ns
  for ns in "$NS_L" "$NS_M" "$NS_R"; do
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
  done
  # The relay's namespace has no addresses and must say nothing on the link
  # (no IPv6 DAD or router solicitations): it is the wire.
  mid sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  if [[ ${RELAY_IPV6:-0} != 1 ]]; then
    left sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    right sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  ip link add "$L_IF" netns "$NS_L" type veth peer name "$MA_IF" netns "$NS_M"
  ip link add "$R_IF" netns "$NS_R" type veth peer name "$MB_IF" netns "$NS_M"
  no_offloads "$NS_L" "$L_IF"
  no_offloads "$NS_M" "$MA_IF"
  no_offloads "$NS_M" "$MB_IF"
  no_offloads "$NS_R" "$R_IF"
  mid ip link set "$MA_IF" up
  mid ip link set "$MB_IF" up
  right ip link set "$R_IF" address "$PEER_MAC"
  right ip addr add "$PEER_ADDR/24" dev "$R_IF"
  right ip link set "$R_IF" up
  case $BACKEND in
    linux)
      SD_IF="$L_IF"
      left ip link set "$L_IF" address "$SD_MAC"
      left ip addr add "$SD_ADDR/24" dev "$L_IF"
      left ip link set "$L_IF" up
      ;;
    af_xdp)
      SD_IF="$L_IF"
      left ip link set "$L_IF" address "$SD_MAC" up
      ;;
    tap)
      SD_IF="rlt$id"
      left ip tuntap add dev "$SD_IF" mode tap
      left ip link add "rlb$id" type bridge stp_state 0 forward_delay 0
      left ip link set "$L_IF" master "rlb$id"
      left ip link set "$SD_IF" master "rlb$id"
      left ip link set "$L_IF" up
      left ip link set "$SD_IF" up
      left ip link set "rlb$id" up
      ;;
    *) fail "unknown relay back-end $BACKEND" ;;
  esac
  [[ $BACKEND == linux ]] || relay_write_config
}

# relay_static_neigh : permanent ARP entries on both Linux ends, so loss
# and corruption act on the test traffic only, never on ARP (linux only).
relay_static_neigh() {
  left ip neigh replace "$PEER_ADDR" lladdr "$PEER_MAC" dev "$L_IF" nud permanent
  right ip neigh replace "$SD_ADDR" lladdr "$SD_MAC" dev "$R_IF" nud permanent
}

# relay_start [relay options...] : start the relay (seed $RELAY_SEED, lifetime
# $RELAY_DURATION s, default 170) with the given impairment; returns when it
# forwards.
relay_start() {
  relay_stop >/dev/null 2>&1 || true
  [[ -x $RELAY ]] || fail "stackd-relay not built at $RELAY"
  : >"$RELAY_LOG"
  ip netns exec "$NS_M" "$RELAY" --a "$MA_IF" --b "$MB_IF" --seed "$RELAY_SEED" \
    --duration "${RELAY_DURATION:-170}" "$@" >"$RELAY_LOG" 2>&1 &
  RELAY_PID=$!  # ip netns exec execs: this is the relay itself
  local i
  for i in $(seq 1 50); do
    grep -q "^stackd-relay ready" "$RELAY_LOG" && { log "relay up: $*"; return 0; }
    kill -0 "$RELAY_PID" 2>/dev/null || fail "relay exited during start-up"
    sleep 0.1
  done
  fail "relay not ready within 5 s"
}

# relay_stop : SIGTERM the relay and wait (bounded) for its counters.
relay_stop() {
  [[ -n $RELAY_PID ]] || return 0
  kill -TERM "$RELAY_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$RELAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$RELAY_PID" 2>/dev/null && kill -KILL "$RELAY_PID" 2>/dev/null
  local rc=0
  wait "$RELAY_PID" 2>/dev/null || rc=$?
  RELAY_PID=""
  grep "^stackd-relay a2b\|^stackd-relay b2a" "$RELAY_LOG" | tail -n 2 || true
  return $rc
}

# relay_stat a2b|b2a NAME : a counter from the relay's last report.
relay_stat() {
  grep "^stackd-relay $1 " "$RELAY_LOG" | tail -n 1 | tr ' ' '\n' |
    awk -F= -v n="$2" '$1 == n { v = $2 } END { print v + 0 }'
}

# relay_write_config [extra toml] : stackd's config for the left end.
relay_write_config() {
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

# start_stackd : stackd in the left namespace; the relay must be running.
start_stackd() {
  [[ -x $STACKD ]] || fail "stackd not built at $STACKD"
  [[ -n $RELAY_PID ]] || fail "start the relay before stackd"
  ip netns exec "$NS_L" "$STACKD" --config "$WORK/stackd.toml" >"$STACKD_LOG" 2>&1 &
  STACKD_PID=$!
  local i
  for i in $(seq 1 100); do
    kill -0 "$STACKD_PID" 2>/dev/null || fail "stackd exited during start-up"
    if right ping -c1 -W1 -q "$SD_ADDR" >/dev/null 2>&1; then
      log "stackd up ($BACKEND on $SD_IF behind the relay, pid $STACKD_PID)"
      return 0
    fi
    sleep 0.1
  done
  fail "stackd did not answer ping through the relay within 10 s"
}

stop_stackd() {
  [[ -n $STACKD_PID ]] || return 0
  kill -TERM "$STACKD_PID" 2>/dev/null || true
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
  local rc=0
  wait "$STACKD_PID" || rc=$?
  STACKD_PID=""
  [[ $rc -eq 0 ]] || { log "stackd exited with status $rc"; return 1; }
}
