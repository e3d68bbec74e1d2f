#!/usr/bin/env bash
# The whole test suite, as README command (2) and .ci/run give it:
#   install dependencies, build release / asan / fuzz, then run
#   unit + packet-level tests and network tests against the Linux kernel in
#   namespaces (root), each in release and ASan+UBSan builds, and every fuzz
#   target for a bounded time.
# Exits non-zero on the first failure. STACKD_FUZZ_SECONDS (default 20) bounds each fuzzer.
# The heavy TCP impairment run (test_tcp_impaired.sh with STACKD_HEAVY=1: the
# issue's 256 MiB per impaired transfer, 1 GiB clean; ~21 min on the 2-core
# CI machine, the rest of the suite ~15 min, budget 90 min) runs once, on the
# release build; STACKD_SKIP_HEAVY=1 skips it (local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
fuzz_seconds=${STACKD_FUZZ_SECONDS:-20}
passed=0 failed=0

if [[ $(id -u) -ne 0 ]]; then
  echo "run-all: run as root (network tests need CAP_NET_ADMIN and namespaces)" >&2
  exit 1
fi

stage() { printf '\n=== %s ===\n' "$*"; }

# ctest, with its pass/fail numbers added to the totals.
run_ctest() {
  local out rc=0
  out=$(mktemp)
  ctest "$@" 2>&1 | tee "$out" || rc=$?
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -n1 || true)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  fi
  rm -f "$out"
  return $rc
}

stage "dependencies"
bash deploy/install-deps.sh

stage "build: release"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

stage "unit and packet-level tests (release)"
run_ctest --preset release -L unit -j "$jobs"

stage "network tests against the Linux kernel (release)"
run_ctest --preset release -L net

if [[ ${STACKD_SKIP_HEAVY:-0} == 1 ]]; then
  stage "heavy TCP impairment run (release): skipped (STACKD_SKIP_HEAVY=1)"
else
  stage "heavy TCP impairment run (release): 256 MiB per impaired transfer, 1 GiB clean"
  # Bounded: each transfer by the script itself, the whole run by 45 min.
  if STACKD_HEAVY=1 STACKD_BUILD_DIR="$root/build/release" timeout 2700 bash tests/net/test_tcp_impaired.sh; then
    passed=$((passed + 1))
  else
    echo "heavy TCP impairment run: FAILED"
    failed=$((failed + 1))
    echo "suite: $passed passed, $failed failed"
    exit 1
  fi
fi

stage "build: asan (ASan + UBSan)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"

stage "unit and packet-level tests (ASan + UBSan)"
run_ctest --preset asan -L unit -j "$jobs"

stage "network tests against the Linux kernel (ASan + UBSan stackd)"
run_ctest --preset asan -L net

stage "build: fuzz targets (clang, libFuzzer)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs" --target fuzzers

stage "fuzz: each target for ${fuzz_seconds}s"
shopt -s nullglob
for f in build/fuzz/tests/fuzz_*; do
  [[ -x $f ]] || continue
  name=$(basename "$f")
  corpus=$(mktemp -d)
  seeds=()
  [[ -d tests/fuzz/corpus/${name#fuzz_} ]] && seeds=("tests/fuzz/corpus/${name#fuzz_}")
  if "$f" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
      "$corpus" "${seeds[@]}" >"$corpus.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -Eo 'stat::number_of_executed_units: [0-9]+|#[0-9]+' "$corpus.log" | tail -n1))"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED"; tail -n 40 "$corpus.log"
    failed=$((failed + 1))
    rm -rf "$corpus" "$corpus.log"
    echo "suite: $passed passed, $failed failed"
    exit 1
  fi
  rm -rf "$corpus" "$corpus.log"
done

echo
echo "suite: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
