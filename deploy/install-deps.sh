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
  # control plane: gRPC API (proto/, daemon/control/, stackctl/)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # network tests and the demo: namespaces, the Linux peer's tools
  # (util-linux: setpriv, unshare for the capability and journal tests)
  iproute2 iputils-ping ethtool python3 procps util-linux
  # packaging tests: cpack's dpkg-shlibdeps, man page rendering,
  # systemd-analyze, the Kubernetes manifest check
  dpkg-dev man-db systemd python3-yaml gzip
  # control-plane tests: a grpcio client, captures read by tshark, runuser/setpriv,
  # the Prometheus endpoint read by curl
  python3-grpcio python3-protobuf tshark tcpdump curl
  # raw sockets (tests/net/test_raw.sh): iputils ping under stackrun
  iputils-ping
  # client-library tests: Linux-side peers
  socat
  # shim tests: unmodified programs under libstackshim.so, and their peers
  curl netcat-openbsd nginx redis-server redis-tools iperf3 wrk
)
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
