#!/usr/bin/env bash
# The Debian packages and what they carry (ctest "package_deb", labels unit
# and package): cpack -G DEB from the build directory, then
#   - dpkg-deb -c: the daemon, unit, sysusers/tmpfiles snippets, man pages,
#     bash completion and example config at their Debian paths; stackctl /
#     libstackclient packages exactly when those targets exist;
#   - control: Depends from dpkg-shlibdeps, maintainer scripts;
#   - man pages render without warnings; the completion completes;
#   - the unit: `systemd-analyze verify` clean against the unpacked package,
#     `systemd-analyze security` exposure <= 3.0 (printed);
#   - the client library's pkg-config and CMake package files, through a
#     stand-in shared library: a consumer finds and links it both ways.
# Usage: test_package.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d /tmp/stackd-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- the packages -------------------------------------------------------------
(cd "$build" && timeout 120 cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/stackd_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || fail "no stackd_*.deb"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files"
for f in /usr/sbin/stackd /usr/lib/systemd/system/stackd.service /usr/lib/sysusers.d/stackd.conf \
         /usr/lib/tmpfiles.d/stackd.conf /usr/share/man/man8/stackd.8.gz /usr/share/man/man5/stackd.toml.5.gz \
         /usr/share/bash-completion/completions/stackd /usr/share/doc/stackd/examples/stackd.toml; do
  grep -qx "$f" "$work/files" || fail "$f missing from $(basename "$deb")"
done
echo "stackd package: $(grep -vc '/$' "$work/files") files, all expected paths present"
dpkg-deb -f "$deb" Package | grep -qx stackd || fail "Package field"
dpkg-deb -f "$deb" Depends | grep -q "liburing2" || fail "Depends lacks liburing2 (shlibdeps)"
for s in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$s" >/dev/null 2>&1 || fail "no $s"
done

has_target() { grep -q "^$1:" "$work/targets"; }
(cd "$build" && ninja -t targets all 2>/dev/null | sed 's/: .*/:/' | sed 's|.*/||' >"$work/targets") || true
if has_target stackctl; then
  ls "$work"/out/stackctl_*.deb >/dev/null 2>&1 || fail "stackctl target but no stackctl package"
  dpkg-deb -c "$work"/out/stackctl_*.deb | grep -q "usr/bin/stackctl$" || fail "stackctl package lacks /usr/bin/stackctl"
else
  ! ls "$work"/out/stackctl_*.deb >/dev/null 2>&1 || fail "stackctl package without the target"
fi
if has_target libstackclient.so; then
  ls "$work"/out/libstackclient-dev_*.deb >/dev/null 2>&1 || fail "no libstackclient-dev package"
fi
ls "$work"/out/*.deb | xargs -n1 basename

# --- man pages and completion -------------------------------------------------
for m in man8/stackd.8.gz man5/stackd.toml.5.gz; do
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/share/man/$m" | gunzip >"$work/page"
  out=$(MANWIDTH=80 man --warnings -l "$work/page" 2>&1 >/dev/null) || fail "man $m"
  [[ -z $out ]] || fail "man $m warnings: $out"
done
got=$(bash -c 'source "$1"; COMP_WORDS=(stackd --log-level ""); COMP_CWORD=2; _stackd; echo "${COMPREPLY[*]}"' _ \
      "$src/packaging/completion/stackd.bash")
[[ $got == "error warn info debug" ]] || fail "completion of --log-level: '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(stackd --ch); COMP_CWORD=1; _stackd; echo "${COMPREPLY[*]}"' _ \
      "$src/packaging/completion/stackd.bash")
[[ $got == "--check-config" ]] || fail "completion of --ch: '$got'"
echo "man pages render cleanly; completion ok"

# --- the unit -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  root="$work/root"
  mkdir -p "$root"
  dpkg-deb -x "$deb" "$root"
  # The targets and slices the unit refers to, from the host.
  cp -rn /lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
  out=$(systemd-analyze verify --root="$root" --man=no "$root/usr/lib/systemd/system/stackd.service" 2>&1) \
    || fail "systemd-analyze verify: $out"
  [[ -z $out ]] || fail "systemd-analyze verify: $out"
  score=$(systemd-analyze security --offline=yes "$root/usr/lib/systemd/system/stackd.service" 2>/dev/null \
          | sed -n 's/.*Overall exposure level for stackd.service: \([0-9.]*\).*/\1/p')
  [[ -n $score ]] || fail "no exposure score"
  awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' || fail "exposure $score > 3.0"
  echo "unit: systemd-analyze verify clean; security exposure $score"
else
  echo "systemd-analyze not installed: unit checks skipped"
fi

# --- client library packaging (stand-in library) ------------------------------
c="$work/client"
mkdir -p "$c/lib" "$c/app"
cat >"$c/lib/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(stackd VERSION 0.1.0 LANGUAGES C)
include(GNUInstallDirs)
add_library(stackclient SHARED client.c)
set_target_properties(stackclient PROPERTIES PUBLIC_HEADER stack_client.h VERSION 0.1.0 SOVERSION 1)
target_include_directories(stackclient PUBLIC \$<BUILD_INTERFACE:\${CMAKE_CURRENT_SOURCE_DIR}> \$<INSTALL_INTERFACE:include>)
include($src/packaging/client/client.cmake)
stackd_package_client(stackclient)
CM
echo 'int stack_client_answer(void);' >"$c/lib/stack_client.h"
echo '#include "stack_client.h"
int stack_client_answer(void) { return 42; }' >"$c/lib/client.c"
cat >"$c/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(app LANGUAGES C)
find_package(StackdClient 0.1 CONFIG REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE StackdClient::client)
CM
echo '#include <stackd/stack_client.h>
int main(void) { return stack_client_answer() == 42 ? 0 : 1; }' >"$c/app/main.c"
cmake -S "$c/lib" -B "$c/lib/b" -G Ninja -DCMAKE_INSTALL_PREFIX="$c/prefix" >"$c/log" 2>&1 || { cat "$c/log"; fail "client configure"; }
cmake --build "$c/lib/b" >>"$c/log" 2>&1 && cmake --install "$c/lib/b" >>"$c/log" 2>&1 || { cat "$c/log"; fail "client install"; }
cmake -S "$c/app" -B "$c/app/b" -G Ninja -DCMAKE_PREFIX_PATH="$c/prefix" >>"$c/log" 2>&1 || { cat "$c/log"; fail "find_package(StackdClient)"; }
cmake --build "$c/app/b" >>"$c/log" 2>&1 || { cat "$c/log"; fail "consumer build (CMake)"; }
LD_LIBRARY_PATH="$c/prefix/lib" "$c/app/b/app" || fail "consumer (CMake) run"
pc=$(find "$c/prefix" -name stackclient.pc)
[[ -n $pc ]] || fail "no stackclient.pc"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs stackclient) || fail "pkg-config"
# shellcheck disable=SC2086
cc -o "$c/app2" "$c/app/main.c" $flags || fail "consumer build (pkg-config: $flags)"
LD_LIBRARY_PATH="$c/prefix/lib" "$c/app2" || fail "consumer (pkg-config) run"
echo "client library: find_package(StackdClient) and pkg-config stackclient both link"
echo "ok"
