#!/usr/bin/env bash
# The capability set of deploy/systemd/stackd.service is the minimal one
# for AF_XDP: stackd as an unprivileged user (nobody) holding exactly the
# unit's AmbientCapabilities (as ambient, inheritable and bounding set,
# via setpriv) brings an af_xdp interface up and answers ping; with any one
# of them dropped it fails to start. (The tap back-end additionally needs
# /dev/net/tun to be accessible, which is a file mode, not a capability.)
source "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)

command -v setpriv >/dev/null || { log "setpriv missing: skipped"; exit 0; }
caps=$(sed -n 's/^AmbientCapabilities=//p' "$src/deploy/systemd/stackd.service")
[[ -n $caps ]] || fail "no AmbientCapabilities= in the unit"
bound=$(sed -n 's/^CapabilityBoundingSet=//p' "$src/deploy/systemd/stackd.service")
[[ $caps == "$bound" ]] || fail "AmbientCapabilities ($caps) != CapabilityBoundingSet ($bound)"
# "CAP_NET_ADMIN CAP_NET_RAW" -> "+net_admin,+net_raw"
to_setpriv() { local out="" c; for c in "$@"; do c=${c#CAP_}; out+="${out:+,}+${c,,}"; done; echo "$out"; }

# run_as_nobody CAPS : start stackd as nobody with CAPS; 0 when it answers ping.
run_as_nobody() {
  local set=$1
  chmod 755 "$WORK"
  chmod 644 "$WORK/stackd.toml"
  : >"$STACKD_LOG"
  chmod 666 "$STACKD_LOG"
  ip netns exec "$NS_SD" setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all,$set --ambient-caps=-all,$set --bounding-set=-all,$set \
    "$STACKD" --config "$WORK/stackd.toml" >"$STACKD_LOG" 2>&1 &
  STACKD_PID=$!
  local i
  for i in $(seq 1 50); do
    if ! kill -0 "$STACKD_PID" 2>/dev/null; then
      wait "$STACKD_PID" 2>/dev/null || true
      STACKD_PID=""
      return 1
    fi
    if peer ping -c1 -W1 -q "$SD_ADDR" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

setup_backend af_xdp
# The unit's RuntimeDirectory=stackd: a directory the service user owns for
# the attach and control sockets (/run/stackd is root's here).
mkdir -p "$WORK/run"
chown 65534:65534 "$WORK/run"
cat >>"$WORK/stackd.toml" <<TOML

[attach]
socket = "$WORK/run/stackd.sock"

[control]
socket = "$WORK/run/control.sock"
TOML
# The UMEM (2048 x 2 KiB) must fit RLIMIT_MEMLOCK without CAP_IPC_LOCK:
# the unit sets LimitMEMLOCK=infinity; here the hard limit is what we get.
ulimit -l "$(ulimit -Hl)"
read -r -a list <<<"$caps"
full=$(to_setpriv "${list[@]}")
run_as_nobody "$full" || fail "stackd as nobody with $caps did not come up"
log "uid nobody with $caps: up ($(grep CapEff /proc/"$STACKD_PID"/status | tr -s '\t' ' '))"
stop_stackd || fail "stackd did not stop cleanly"
for drop in "${list[@]}"; do
  rest=()
  for c in "${list[@]}"; do [[ $c == "$drop" ]] || rest+=("$c"); done
  if run_as_nobody "$(to_setpriv "${rest[@]}")"; then
    fail "stackd came up without $drop: the unit's set is not minimal"
  fi
  log "without $drop: refused ($(grep -o 'af_xdp: .*' "$STACKD_LOG" | head -1 | cut -c1-90))"
  stop_stackd || true
done
log "capabilities: ok"
