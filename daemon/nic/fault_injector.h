// FaultInjector: a Device that wraps any Device and impairs its traffic,
// deterministically for a seed (smoltcp src/phy/fault_injector.rs is the
// model; we add duplication and reordering). Each direction (rx: frames the
// inner device received, tx: frames the stack transmits) has its own
// probabilities and its own PRNG stream, so the rx decisions do not depend
// on how much was transmitted, and changing one probability does not
// reshuffle the others (every frame draws the same random numbers).
//
// Per frame, in order:
//   1. rate limit: with max_rate set, frames beyond max_rate per second
//      (GCRA over `now`, rate_burst frames back to back) are dropped;
//   2. drop with probability `drop`;
//   3. corrupt with probability `corrupt`: flip one random bit of one
//      random byte;
//   4. duplicate with probability `duplicate`: a copy follows the frame;
//   5. reorder with probability `reorder`: hold the frame back and release
//      it after `reorder_after` later frames, or at the start of the next
//      burst call, whichever comes first.
// Everything done is counted in FaultStats. Nothing is lost but what is
// dropped on purpose: frames the inner device refuses on transmit wait in
// a bounded backlog and are retried on the next tx_burst/flush.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "buf/pool.h"
#include "nic/device.h"

namespace stackd::nic {

// splitmix64 (Steele, Lea, Flood 2014): small, fast, and fully determined
// by its seed on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // A uniform double in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

struct FaultConfig {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;
  double corrupt = 0;
  uint32_t reorder_after = 3;  // later frames a held frame waits for
  uint32_t max_rate = 0;       // frames per second; 0: unlimited
  uint32_t rate_burst = 1;     // frames that may pass back to back
};

struct FaultInjectorConfig {
  uint64_t seed = 1;
  FaultConfig rx{};
  FaultConfig tx{};
  uint32_t max_held = 64;      // frames held for reordering, per direction
  uint32_t max_backlog = 256;  // frames waiting for the inner device, per direction
};

struct FaultStats {
  uint64_t frames = 0;  // frames seen
  uint64_t dropped = 0;
  uint64_t rate_limited = 0;
  uint64_t corrupted = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
};

class FaultInjector final : public Device {
 public:
  FaultInjector(Device& inner, FaultInjectorConfig cfg);

  const DeviceInfo& info() const override { return inner_.info(); }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return inner_.tx_pool(); }
  int wait_fd() const override { return inner_.wait_fd(); }
  void flush(Instant now) override;

  const FaultStats& rx_stats() const { return rx_.stats; }
  const FaultStats& tx_stats() const { return tx_.stats; }
  // Probabilities may be changed between bursts.
  FaultConfig& rx_config() { return rx_.cfg; }
  FaultConfig& tx_config() { return tx_.cfg; }

 private:
  struct Held {
    buf::PacketBuf frame;
    uint32_t remaining;
  };
  struct Direction {
    Direction(const FaultConfig& c, uint64_t seed) : cfg(c), rng(seed) {}
    FaultConfig cfg;
    SplitMix64 rng;
    FaultStats stats;
    std::vector<Held> held;
    std::vector<buf::PacketBuf> ready;  // frames that passed, in order
    int64_t tat = 0;                    // GCRA theoretical arrival time (ns)
    bool tat_set = false;
  };

  // Run one frame through the faults; what survives goes to d.ready.
  void process(Direction& d, buf::PacketBuf p, Instant now, buf::FramePool& dup_pool);
  void emit(Direction& d, buf::PacketBuf p);
  bool rate_limited(Direction& d, Instant now);
  static void release_held(Direction& d);
  void push_tx(Instant now);

  Device& inner_;
  uint32_t max_held_;
  uint32_t max_backlog_;
  Direction rx_;
  Direction tx_;
  buf::HeapPool rx_dup_pool_{16u << 20};
  std::vector<buf::PacketBuf> scratch_;
};

}  // namespace stackd::nic
