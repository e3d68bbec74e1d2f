// The impairment model alone: seeded decisions, rates within binomial
// bounds, exact delay/rate arithmetic, FIFO under jitter, tail drop.
#include "impairment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace stackd::relay {
namespace {

constexpr int64_t kMs = 1'000'000;

std::vector<Emission> run(Impairment& imp, size_t len, int64_t now) {
  std::vector<Emission> out;
  imp.decide(len, now, out);
  return out;
}

TEST(Impairment, CleanLinkForwardsEveryFrameAtOnceUntouched) {
  Impairment imp({}, 1);
  for (int i = 0; i < 1000; ++i) {
    auto out = run(imp, 1514, i * 1000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].release_ns, i * 1000);
    EXPECT_EQ(out[0].corrupt_bit, -1);
    EXPECT_FALSE(out[0].reordered);
  }
  EXPECT_EQ(imp.stats().received, 1000u);
  EXPECT_EQ(imp.stats().dropped, 0u);
}

TEST(Impairment, SameSeedSameDecisionsOtherSeedOthers) {
  DirectionConfig c;
  c.loss = 0.1;
  c.dup = 0.1;
  c.corrupt = 0.1;
  c.reorder = 0.1;
  c.delay_ns = 5 * kMs;
  c.jitter_ns = 2 * kMs;
  Impairment a(c, 42), b(c, 42), other(c, 43);
  bool differs = false;
  for (int i = 0; i < 5000; ++i) {
    auto x = run(a, 100 + i % 1400, i * 10000);
    auto y = run(b, 100 + i % 1400, i * 10000);
    auto z = run(other, 100 + i % 1400, i * 10000);
    ASSERT_EQ(x.size(), y.size());
    for (size_t k = 0; k < x.size(); ++k) {
      EXPECT_EQ(x[k].release_ns, y[k].release_ns);
      EXPECT_EQ(x[k].corrupt_bit, y[k].corrupt_bit);
      EXPECT_EQ(x[k].reordered, y[k].reordered);
    }
    differs |= x.size() != z.size() || (!x.empty() && x[0].release_ns != z[0].release_ns);
  }
  EXPECT_TRUE(differs);
}

TEST(Impairment, LossRateWithinBinomialBound) {
  DirectionConfig c;
  c.loss = 0.3;
  Impairment imp(c, 7);
  const int n = 100000;
  int delivered = 0;
  for (int i = 0; i < n; ++i) delivered += static_cast<int>(run(imp, 60, i).size());
  // sigma = sqrt(n p (1-p)) ~ 145; allow 6 sigma.
  EXPECT_NEAR(n - delivered, 0.3 * n, 6 * std::sqrt(n * 0.3 * 0.7));
  EXPECT_EQ(imp.stats().dropped, static_cast<uint64_t>(n - delivered));
}

TEST(Impairment, FullDuplicationSendsEveryFrameTwice) {
  DirectionConfig c;
  c.dup = 1.0;
  Impairment imp(c, 7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(run(imp, 60, i).size(), 2u);
  EXPECT_EQ(imp.stats().duplicated, 100u);
}

TEST(Impairment, CorruptionFlipsABitBeyondTheEthernetHeader) {
  DirectionConfig c;
  c.corrupt = 1.0;
  Impairment imp(c, 9);
  int64_t lowest = 1 << 30, highest = -1;
  for (int i = 0; i < 20000; ++i) {
    auto out = run(imp, 100, i);
    ASSERT_EQ(out.size(), 1u);
    lowest = std::min(lowest, out[0].corrupt_bit);
    highest = std::max(highest, out[0].corrupt_bit);
  }
  EXPECT_EQ(lowest, 14 * 8);  // never the MACs or the EtherType...
  EXPECT_EQ(highest, 100 * 8 - 1);  // ...and up to the last bit
  EXPECT_EQ(imp.stats().corrupted, 20000u);
  // A frame of only an Ethernet header has nothing to corrupt.
  EXPECT_EQ(run(imp, 14, 0)[0].corrupt_bit, -1);
}

TEST(Impairment, FixedDelay) {
  DirectionConfig c;
  c.delay_ns = 10 * kMs;
  Impairment imp(c, 1);
  EXPECT_EQ(run(imp, 60, 5)[0].release_ns, 5 + 10 * kMs);
}

TEST(Impairment, UniformJitterStaysInBoundsAndKeepsOrderByDefault) {
  DirectionConfig c;
  c.delay_ns = 10 * kMs;
  c.jitter_ns = 5 * kMs;
  Impairment fifo(c, 3);
  c.jitter_reorder = true;
  Impairment free(c, 3);
  int64_t last = 0;
  int inversions = 0;
  int64_t last_free = 0;
  for (int i = 0; i < 10000; ++i) {
    int64_t now = i * 100'000;  // 10k frames/s: jitter exceeds the gap
    int64_t r = run(fifo, 60, now)[0].release_ns;
    EXPECT_GE(r, last);
    EXPECT_GE(r, now + 5 * kMs);
    last = r;
    int64_t f = run(free, 60, now)[0].release_ns;
    EXPECT_GE(f, now + 5 * kMs);
    EXPECT_LE(f, now + 15 * kMs);
    inversions += f < last_free ? 1 : 0;
    last_free = f;
  }
  EXPECT_GT(inversions, 1000);  // with --jitter-reorder frames overtake
}

TEST(Impairment, NormalJitterHasTheGivenSpread) {
  DirectionConfig c;
  c.delay_ns = 50 * kMs;
  c.jitter_ns = 5 * kMs;
  c.jitter_dist = JitterDist::normal;
  c.jitter_reorder = true;
  Impairment imp(c, 11);
  const int n = 20000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    double d = static_cast<double>(run(imp, 60, 0)[0].release_ns);
    sum += d;
    sq += d * d;
  }
  double mean = sum / n;
  double sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 50.0 * kMs, 0.2 * kMs);
  EXPECT_NEAR(sd, 5.0 * kMs, 0.25 * kMs);
}

TEST(Impairment, RateLimitSerialisesAndTailDropsBeyondTheQueue) {
  DirectionConfig c;
  c.rate_bps = 10e6;   // 1250 bytes take 1 ms
  c.queue_bytes = 5000;
  Impairment imp(c, 1);
  for (int i = 1; i <= 4; ++i) {
    auto out = run(imp, 1250, 0);
    ASSERT_EQ(out.size(), 1u) << i;
    EXPECT_EQ(out[0].release_ns, i * kMs);
  }
  EXPECT_TRUE(run(imp, 1250, 0).empty());  // 5000 bytes already waiting
  EXPECT_EQ(imp.stats().rate_dropped, 1u);
  // Once 2 ms have drained, two more fit and queue behind the rest.
  EXPECT_EQ(run(imp, 1250, 2 * kMs)[0].release_ns, 5 * kMs);
  EXPECT_EQ(run(imp, 1250, 2 * kMs)[0].release_ns, 6 * kMs);
  EXPECT_TRUE(run(imp, 1250, 2 * kMs).empty());
  // An idle link sends at once (after the serialisation time).
  EXPECT_EQ(run(imp, 1250, 100 * kMs)[0].release_ns, 101 * kMs);
}

TEST(Impairment, RateLimitThroughputMatchesTheRate) {
  DirectionConfig c;
  c.rate_bps = 100e6;
  c.queue_bytes = 1 << 30;
  Impairment imp(c, 1);
  int64_t last = 0;
  for (int i = 0; i < 1000; ++i) last = run(imp, 1500, 0)[0].release_ns;
  // 1000 * 1500 * 8 bits at 100 Mbit/s = 120 ms.
  EXPECT_NEAR(static_cast<double>(last), 120.0 * kMs, 1000.0);
}

TEST(Impairment, ReorderedFramesAreHeldAndDoNotDelayTheOthers) {
  DirectionConfig c;
  c.reorder = 0.25;
  c.reorder_frames = 5;
  c.reorder_hold_ns = 2 * kMs;
  Impairment imp(c, 5);
  int held = 0;
  for (int i = 0; i < 4000; ++i) {
    auto out = run(imp, 60, i);
    ASSERT_EQ(out.size(), 1u);
    if (out[0].reordered) {
      ++held;
      EXPECT_EQ(out[0].hold_frames, 5u);
      EXPECT_EQ(out[0].release_ns, i + 2 * kMs);
    } else {
      EXPECT_EQ(out[0].release_ns, i);  // not pushed back by a held frame
    }
  }
  EXPECT_EQ(imp.stats().reordered, static_cast<uint64_t>(held));
  EXPECT_NEAR(held, 1000, 6 * std::sqrt(4000 * 0.25 * 0.75));
}

}  // namespace
}  // namespace stackd::relay
