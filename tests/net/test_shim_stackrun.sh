#!/usr/bin/env bash
# stackrun and the shim's policy without a network: static binaries are
# refused (126, a clear message), the exit status passes through, and with
# stackd unreachable the fallback says one line and applies: kernel
# sockets (fallback=kernel) or socket() failing with ENETDOWN (fail).
set -euo pipefail
: "${STACKD_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${STACKD_BUILD_DIR:=$STACKD_SOURCE_DIR/build/release}"
STACKRUN="$STACKD_BUILD_DIR/preload/stackrun"
WORK=$(mktemp -d /tmp/stackd-shim.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export STACKD_SOCKET="$WORK/nobody-here.sock"
# A sanitizer build's shim needs the ASan runtime first (see shim_lib.sh).
if ldd "$STACKD_BUILD_DIR/preload/libstackshim.so" | grep -q libasan; then
  export LD_PRELOAD="$(ldd "$STACKD_BUILD_DIR/preload/libstackshim.so" | awk '/libasan/ {print $3}')"
  export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0"
fi

static=$(command -v ldconfig || echo /sbin/ldconfig)  # static-pie on Debian
set +e
"$STACKRUN" -- "$static" -p >"$WORK/out" 2>&1
rc=$?
set -e
[[ $rc == 126 ]] || fail "static binary: status $rc, expected 126"
grep -q "statically linked" "$WORK/out" || fail "no reason given: $(cat "$WORK/out")"

set +e
"$STACKRUN" -- sh -c 'exit 7'
rc=$?
"$STACKRUN" -- no-such-command-here 2>/dev/null
rc2=$?
set -e
[[ $rc == 7 ]] || fail "exit status $rc, expected 7"
[[ $rc2 == 127 ]] || fail "missing command: $rc2, expected 127"

py='import socket,errno
try:
    s = socket.socket(); s.close(); print("socket ok")
except OSError as e:
    print("socket failed", errno.errorcode[e.errno])'
"$STACKRUN" --fallback kernel -- python3 -c "$py" >"$WORK/k.out" 2>"$WORK/k.err"
grep -qx "socket ok" "$WORK/k.out" || fail "fallback=kernel: $(cat "$WORK/k.out" "$WORK/k.err")"
[[ $(grep -c "fallback=kernel" "$WORK/k.err") == 1 ]] || fail "fallback=kernel line: $(cat "$WORK/k.err")"
"$STACKRUN" --fallback fail -- python3 -c "$py" >"$WORK/f.out" 2>"$WORK/f.err"
grep -qx "socket failed ENETDOWN" "$WORK/f.out" || fail "fallback=fail: $(cat "$WORK/f.out" "$WORK/f.err")"
grep -q "fallback=fail" "$WORK/f.err" || fail "fallback=fail line: $(cat "$WORK/f.err")"
echo PASS
