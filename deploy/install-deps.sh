#!/usr/bin/env bash
# Installs everything stackd needs to build, test and run the demo, from
# Debian 12 packages only. Used by deploy/quickstart.sh and tests/run-all.sh.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang llvm libclang-rt-14-dev
  # libraries (design card)
  liburing-dev libxdp-dev libbpf-dev linux-libc-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libsystemd-dev libpcap-dev
  # client attach: Boost.Interprocess maps the shared segments
  libboost-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # network tests and the demo: namespaces, the Linux peer's tools
  iproute2 iputils-ping ethtool python3 procps
  # client-library tests: Linux-side peers, setpriv for the refused-uid test
  socat util-linux
)
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
