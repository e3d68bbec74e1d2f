// stackd-relay: a user-space L2 relay that stands in for netem (which this
// kernel lacks). It runs in a middle network namespace between two veth ends
// and forwards every frame from one to the other with seeded, per-direction
// loss, delay and jitter, reordering, duplication, corruption and a rate
// limit, for a bounded time. See README.md.
#include <CLI/CLI.hpp>

#include <time.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>

#include "impairment.h"
#include "packet_port.h"
#include "relay_engine.h"

namespace {

using stackd::relay::DirectionConfig;
using stackd::relay::JitterDist;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_report = 0;

void on_stop(int) { g_stop = 1; }
void on_report(int) { g_report = 1; }

// One impairment knob: `--NAME` for both directions, `--a2b-NAME` and
// `--b2a-NAME` for one (the per-direction value wins).
template <typename T>
struct Knob {
  std::optional<T> both, a2b, b2a;

  void add(CLI::App& app, const std::string& name, const std::string& help) {
    add_one(app, "--" + name, both, help);
    add_one(app, "--a2b-" + name, a2b, help + " (a->b only)")->group("Per direction");
    add_one(app, "--b2a-" + name, b2a, help + " (b->a only)")->group("Per direction");
  }
  static CLI::Option* add_one(CLI::App& app, const std::string& flag, std::optional<T>& v,
                              const std::string& help) {
    if constexpr (std::is_same_v<T, bool>) {
      return app.add_flag_callback(flag, [&v] { v = true; }, help);
    } else {
      return app.add_option(flag, v, help);
    }
  }
  std::optional<T> get(int d) const {
    const std::optional<T>& one = d == 0 ? a2b : b2a;
    return one ? one : both;
  }
};

int64_t ms_to_ns(double ms) { return static_cast<int64_t>(ms * 1e6); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stackd-relay: seeded L2 impairment relay between two interfaces (a netem stand-in)"};
  std::string if_a, if_b;
  uint64_t seed = 1;
  double duration = 0;
  app.add_option("--a", if_a, "first interface")->required();
  app.add_option("--b", if_b, "second interface")->required();
  app.add_option("--seed", seed, "PRNG seed (each direction derives its own stream)");
  app.add_option("--duration", duration, "lifetime in seconds; the relay exits after it")
      ->required()
      ->check(CLI::Range(0.001, 86400.0));

  Knob<double> loss, dup, corrupt, reorder, delay, jitter, rate, reorder_us;
  Knob<uint64_t> queue_bytes;
  Knob<uint32_t> reorder_frames;
  Knob<std::string> jitter_dist;
  Knob<bool> jitter_reorder;
  loss.add(app, "loss", "loss probability 0..1");
  dup.add(app, "dup", "duplication probability 0..1");
  corrupt.add(app, "corrupt", "probability to flip one bit beyond the Ethernet header");
  reorder.add(app, "reorder", "probability to hold a frame back");
  reorder_frames.add(app, "reorder-frames", "a held frame leaves after this many later frames (default 3; 0: by time only)");
  reorder_us.add(app, "reorder-us", "longest hold of a held frame in microseconds (default 1000)");
  delay.add(app, "delay", "one-way delay in milliseconds");
  jitter.add(app, "jitter", "jitter in milliseconds (uniform +-J, or normal sigma J)");
  jitter_dist.add(app, "jitter-dist", "uniform|normal (default uniform)");
  jitter_reorder.add(app, "jitter-reorder", "let jitter reorder frames (default: keep order)");
  rate.add(app, "rate", "rate limit in Mbit/s (0: none)");
  queue_bytes.add(app, "queue-bytes", "rate-limit queue in bytes, tail drop beyond (default 262144)");
  CLI11_PARSE(app, argc, argv);

  DirectionConfig cfg[2];
  for (int d = 0; d < 2; ++d) {
    DirectionConfig& c = cfg[d];
    c.loss = loss.get(d).value_or(0.0);
    c.dup = dup.get(d).value_or(0.0);
    c.corrupt = corrupt.get(d).value_or(0.0);
    c.reorder = reorder.get(d).value_or(0.0);
    c.reorder_frames = reorder_frames.get(d).value_or(c.reorder_frames);
    if (auto us = reorder_us.get(d)) c.reorder_hold_ns = static_cast<int64_t>(*us * 1e3);
    c.delay_ns = ms_to_ns(delay.get(d).value_or(0.0));
    c.jitter_ns = ms_to_ns(jitter.get(d).value_or(0.0));
    std::string dist = jitter_dist.get(d).value_or("uniform");
    if (dist != "uniform" && dist != "normal") {
      std::fprintf(stderr, "stackd-relay: --jitter-dist must be uniform or normal\n");
      return 2;
    }
    c.jitter_dist = dist == "normal" ? JitterDist::normal : JitterDist::uniform;
    c.jitter_reorder = jitter_reorder.get(d).value_or(false);
    c.rate_bps = rate.get(d).value_or(0.0) * 1e6;
    c.queue_bytes = queue_bytes.get(d).value_or(c.queue_bytes);
    for (double p : {c.loss, c.dup, c.corrupt, c.reorder}) {
      if (p < 0.0 || p > 1.0) {
        std::fprintf(stderr, "stackd-relay: probabilities are in 0..1\n");
        return 2;
      }
    }
    if (c.delay_ns < 0 || c.jitter_ns < 0 || c.rate_bps < 0 || c.reorder_hold_ns < 0) {
      std::fprintf(stderr, "stackd-relay: delays and rates are not negative\n");
      return 2;
    }
  }

  std::signal(SIGTERM, on_stop);
  std::signal(SIGINT, on_stop);
  std::signal(SIGUSR1, on_report);
  try {
    stackd::relay::PacketPort a(if_a), b(if_b);
    // Distinct, seed-determined streams per direction.
    stackd::relay::Impairment a2b(cfg[0], seed * 2 + 0x5eed), b2a(cfg[1], seed * 2 + 1 + 0x5eed);
    stackd::relay::RelayEngine engine(a, b, a2b, b2a);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t deadline = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec +
                       static_cast<int64_t>(duration * 1e9);
    std::printf("stackd-relay ready a=%s b=%s seed=%llu\n", if_a.c_str(), if_b.c_str(),
                static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    engine.run(deadline, &g_stop, &g_report);
    std::printf("stackd-relay exit reason=%s\n", g_stop ? "signal" : "duration");
    engine.print_stats();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stackd-relay: %s\n", e.what());
    return 1;
  }
  return 0;
}
