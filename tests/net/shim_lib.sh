# Helpers for the shim's network tests (sourced after lib.sh and
# client_lib.sh): run unmodified programs with libstackshim.so preloaded.
SHIM_DIR="$STACKD_BUILD_DIR/preload"
SHIM_LIB="$SHIM_DIR/libstackshim.so"
STACKRUN="$SHIM_DIR/stackrun"
[[ -f $SHIM_LIB && -x $STACKRUN ]] || { echo "build preload/ first ($SHIM_LIB)"; exit 1; }

# A sanitizer build's shim needs the ASan runtime loaded first in programs
# that are not built with it (curl, python3...), whose own leaks are not
# ours to report. "${SHIM_ENV[@]}" CMD...: that environment (release: none).
# (ldd's output is read whole: `ldd | grep -q` under pipefail fails at
# random when grep exits before ldd finished writing, SIGPIPE.)
SHIM_ENV=(env)
SHIM_ASAN=$(ldd "$SHIM_LIB" | awk '/libasan/ {print $3}')
if [[ -n $SHIM_ASAN ]]; then
  SHIM_ENV=(env LD_PRELOAD="$SHIM_ASAN" ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0")
fi

# "${SHIMMED[@]}" CMD...: CMD under stackrun (fallback=fail: a test must
# never pass on the kernel by accident); an array, so `timeout 60
# "${SHIMMED[@]}" curl ...` works.
SHIMMED=("${SHIM_ENV[@]}" STACKD_QUIET=1 "$STACKRUN" --fallback fail --)

# same_file A B: byte-exact comparison with a useful message.
same_file() {
  cmp -s "$1" "$2" || fail "$1 and $2 differ ($(stat -c %s "$1") vs $(stat -c %s "$2") bytes)"
}

# wait_file_line FILE PATTERN [tries]: until FILE has a line matching (0.1 s steps).
wait_file_line() {
  local i
  for i in $(seq 1 "${3:-100}"); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no '$2' in $1: $(cat "$1" 2>/dev/null | tail -5)"
}
