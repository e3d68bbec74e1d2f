// stackd-frame-blast: measures the relay's frame rate. `tx` sends COUNT
// frames of SIZE bytes (EtherType 0x88b5, IEEE local experimental, so no
// stack takes them) at a paced rate; `rx` counts them until the line has
// been idle for a second and reports how many arrived, how many out of
// order, and the rate. Put tx on one side of the relay, rx on the other.
#include <CLI/CLI.hpp>

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "packet_port.h"

namespace {

constexpr uint16_t kEtherType = 0x88b5;

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void put_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

uint64_t get_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

int run_tx(stackd::relay::PacketPort& port, uint64_t count, size_t size, double pps) {
  using stackd::relay::PacketPort;
  std::vector<std::vector<uint8_t>> frames(PacketPort::kBatch, std::vector<uint8_t>(size, 0));
  std::vector<iovec> iov(PacketPort::kBatch);
  for (size_t i = 0; i < frames.size(); ++i) {
    auto& f = frames[i];
    std::memset(f.data(), 0xff, 6);  // broadcast: every receiver sees it
    const uint8_t src[6] = {0x02, 0x5d, 0xb1, 0xa5, 0x70, 0x00};
    std::memcpy(f.data() + 6, src, 6);
    f[12] = kEtherType >> 8;
    f[13] = kEtherType & 0xff;
    iov[i] = {f.data(), f.size()};
  }
  int64_t start = monotonic_ns();
  uint64_t sent = 0, refused = 0;
  while (sent < count) {
    size_t n = std::min<uint64_t>(PacketPort::kBatch, count - sent);
    for (size_t i = 0; i < n; ++i) put_be64(frames[i].data() + 14, sent + i);
    refused += port.send({iov.data(), n});
    sent += n;
    // Pace: the n-th frame is not sent before n / pps seconds.
    int64_t due = start + static_cast<int64_t>(static_cast<double>(sent) * 1e9 / pps);
    int64_t now = monotonic_ns();
    if (due > now) usleep(static_cast<useconds_t>((due - now) / 1000));
  }
  double secs = static_cast<double>(monotonic_ns() - start) / 1e9;
  std::printf("frame-blast tx sent=%llu refused=%llu seconds=%.3f pps=%.0f\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(refused), secs,
              static_cast<double>(sent) / secs);
  return refused == 0 ? 0 : 1;
}

int run_rx(stackd::relay::PacketPort& port, double timeout_s) {
  uint64_t got = 0, out_of_order = 0, next = 0, dropped_trunc = 0;
  int64_t first = 0, last = 0;
  int64_t give_up = monotonic_ns() + static_cast<int64_t>(timeout_s * 1e9);
  std::printf("frame-blast rx ready\n");
  std::fflush(stdout);
  for (;;) {
    size_t n = port.receive(dropped_trunc);
    int64_t now = monotonic_ns();
    for (size_t i = 0; i < n; ++i) {
      auto f = port.rx_frame(i);
      if (f.size() < 22 || f[12] != (kEtherType >> 8) || f[13] != (kEtherType & 0xff)) continue;
      uint64_t seq = get_be64(f.data() + 14);
      if (seq < next) ++out_of_order;
      next = std::max(next, seq + 1);
      if (got++ == 0) first = now;
      last = now;
    }
    if (n == 0) {
      // Done when a second passed since the last frame (or none came at all).
      if ((got > 0 && now - last > 1'000'000'000) || now > give_up) break;
      usleep(200);
    }
  }
  double secs = got > 1 ? static_cast<double>(last - first) / 1e9 : 0.0;
  std::printf("frame-blast rx received=%llu out_of_order=%llu kernel_drops=%llu seconds=%.3f pps=%.0f\n",
              static_cast<unsigned long long>(got), static_cast<unsigned long long>(out_of_order),
              static_cast<unsigned long long>(port.take_kernel_drops()), secs,
              secs > 0 ? static_cast<double>(got) / secs : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stackd-frame-blast: paced frame source and counting sink for relay measurements"};
  std::string mode, ifname;
  uint64_t count = 100000;
  size_t size = 64;
  double pps = 100000, timeout = 30;
  app.add_option("mode", mode, "tx or rx")->required()->check(CLI::IsMember({"tx", "rx"}));
  app.add_option("--if", ifname, "interface")->required();
  app.add_option("--count", count, "tx: frames to send");
  app.add_option("--size", size, "tx: frame size in bytes")->check(CLI::Range(22, 1514));
  app.add_option("--pps", pps, "tx: frames per second")->check(CLI::PositiveNumber);
  app.add_option("--timeout", timeout, "rx: give up after this many seconds");
  CLI11_PARSE(app, argc, argv);
  try {
    stackd::relay::PacketPort port(ifname);
    return mode == "tx" ? run_tx(port, count, size, pps) : run_rx(port, timeout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stackd-frame-blast: %s\n", e.what());
    return 1;
  }
}
