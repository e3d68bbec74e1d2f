# Helpers for the control-plane tests (test_control_*.sh), on top of lib.sh:
# stackd with [control] on a socket inside $WORK (group "users", admin group
# "adm"), the TCP echo service on port 7, and `ctl` = stackctl on it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STACKCTL=${STACKCTL:-$STACKD_BUILD_DIR/stackctl/stackctl}
CTL_SOCK="$WORK/ctl/control.sock"
CTL_TCP_PORT=$(( 20000 + id % 20000 ))  # on the namespace's own loopback
[[ -x $STACKCTL ]] || fail "stackctl not built at $STACKCTL"

# control_stackd BACKEND [extra toml] : topology + config with [control] + start.
# CTL_CONTROL_EXTRA: more keys inside [control].
control_stackd() {
  setup_backend "$1"
  mkdir -p "$WORK/ctl"
  chmod 0755 "$WORK" "$WORK/ctl"  # others reach the socket; its own mode decides
  write_config "
[control]
socket = \"$CTL_SOCK\"
group = \"users\"
admin_group = \"adm\"
tcp_port = $CTL_TCP_PORT
${CTL_CONTROL_EXTRA:-}

[[service]]
kind = \"echo\"
proto = \"tcp\"
port = 7
${2:-}"
  start_stackd
  [[ -S $CTL_SOCK ]] || fail "no control socket at $CTL_SOCK"
}

ctl() { "$STACKCTL" -s "$CTL_SOCK" "$@"; }

# json_get FIELD-PATH : read JSON on stdin, print a value (python3 expression on `d`).
json_eval() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# counter NAME : an nstat counter through stackctl (0 when not shown).
ctl_counter() {
  ctl -j stats -z | json_eval "next((c['value'] for c in d['counters'] if c['name']=='$1'), 0)"
}

# grep -q for pipelines: reads all its input, so the writer never dies of
# SIGPIPE (which pipefail would report as a failure).
gq() { grep "$@" >/dev/null; }
