// The impairment model of one direction of the relay: what happens to each
// frame (lost, duplicated, corrupted, queued behind a rate limit, delayed,
// held back for reordering) decided from a seeded PRNG, with time as an
// input. No sockets and no clock here, so the model is unit-tested alone
// (impairment_test.cc) and the relay (relay_engine.cc) only carries out the
// verdicts.
//
// Order of the stages for one arriving frame, as netem applies them:
//   loss -> duplication (the copy runs the stages below on its own)
//   -> corruption -> rate limit (serialisation + tail drop at the queue
//   limit) -> delay and jitter -> reordering (hold back).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "prng.h"

namespace stackd::relay {

enum class JitterDist { uniform, normal };

struct DirectionConfig {
  double loss = 0.0;             // probability a frame is dropped
  double dup = 0.0;              // probability a frame is sent twice
  double corrupt = 0.0;          // probability one bit beyond the Ethernet header flips
  double reorder = 0.0;          // probability a frame is held back
  int64_t delay_ns = 0;          // fixed one-way delay
  int64_t jitter_ns = 0;         // uniform: +-jitter; normal: sigma
  JitterDist jitter_dist = JitterDist::uniform;
  bool jitter_reorder = false;   // let jitter reorder frames (else FIFO kept)
  uint32_t reorder_frames = 3;   // a held frame leaves after this many later frames...
  int64_t reorder_hold_ns = 1'000'000;  // ...or after this long at the latest (alone if frames == 0)
  double rate_bps = 0.0;         // 0: unlimited
  uint64_t queue_bytes = 256 * 1024;  // rate-limit queue; beyond it tail drop

  bool delays() const { return delay_ns > 0 || jitter_ns > 0 || reorder > 0.0 || rate_bps > 0.0; }
};

// Counters printed at exit, per direction.
struct DirectionStats {
  uint64_t received = 0;
  uint64_t forwarded = 0;     // copies handed to the other interface (relay_engine)
  uint64_t dropped = 0;       // random loss
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;
  uint64_t rate_dropped = 0;  // tail drop at the rate-limit queue
  uint64_t tx_errors = 0;     // relay_engine: send failed
  uint64_t oversize = 0;      // relay_engine: frame larger than a slot (offloads on?)
  uint64_t rx_drops = 0;      // relay_engine: the kernel dropped it, the relay fell behind
};

// What to do with one copy of a frame.
struct Emission {
  int64_t release_ns;     // earliest time it may leave
  uint32_t hold_frames;   // > 0: also wait until this many later frames left
  bool reordered;
  int64_t corrupt_bit;    // bit index from the frame start to flip, or -1
};

class Impairment {
 public:
  static constexpr size_t kEthHeaderLen = 14;

  Impairment(const DirectionConfig& cfg, uint64_t seed);

  // Decides the fate of a frame of `len` bytes arriving at `now_ns` and
  // appends 0, 1 or 2 emissions to `out` (cleared first).
  void decide(size_t len, int64_t now_ns, std::vector<Emission>& out);

  const DirectionConfig& config() const { return cfg_; }
  DirectionStats& stats() { return stats_; }
  const DirectionStats& stats() const { return stats_; }

 private:
  bool emit_copy(size_t len, int64_t now_ns, std::vector<Emission>& out);

  DirectionConfig cfg_;
  SplitMix64 rng_;
  DirectionStats stats_;
  int64_t link_free_ns_ = 0;     // rate limit: when the last queued frame finishes
  int64_t last_release_ns_ = 0;  // FIFO under jitter
};

}  // namespace stackd::relay
