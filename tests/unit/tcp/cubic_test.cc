#include "transport/tcp/cubic.h"

#include <gtest/gtest.h>

#include <cmath>

#include "transport/tcp/newreno.h"

namespace stackd::tcp {
namespace {

constexpr uint32_t kMss = 1000;
constexpr Instant kT0 = Instant::from_nanos(1'000'000'000);

// A sender with a fixed RTT: every round trip acks the whole window, one
// SMSS per ACK, spread evenly over the RTT.
struct Sim {
  Cubic cc;
  CcState s{.mss = kMss};
  Instant now = kT0;
  Duration rtt;
  uint64_t delivered = 0;

  explicit Sim(Duration r) : rtt(r) { cc.init(s, now); }

  void ack(uint32_t bytes, uint32_t in_flight = 0) {
    delivered += bytes;
    AckEvent ev;
    ev.now = now;
    ev.bytes_acked = bytes;
    ev.bytes_in_flight = in_flight;
    ev.delivered = delivered;
    ev.srtt = rtt;
    ev.rtt_sample = rtt;
    ev.min_rtt = rtt;
    cc.on_ack(s, ev);
  }
  void round() {
    const uint32_t n = std::max<uint32_t>(1, s.cwnd / kMss);
    const Duration step = rtt / n;
    for (uint32_t i = 0; i < n; ++i) {
      now += step;
      ack(kMss, (n - i - 1) * kMss);  // what is left of this round's flight
    }
  }
  // A loss detected by SACK/dup ACKs with the window full, then recovery
  // ends after one RTT.
  void loss() {
    cc.on_enter_recovery(s, s.cwnd, now);
    now += rtt;
    cc.on_exit_recovery(s, now);
  }
  double segs() const { return static_cast<double>(s.cwnd) / kMss; }
};

// RFC 9438 eq. (1) and (2) in segments.
double rfc_w_cubic(double t, double w_max, double cwnd_epoch) {
  const double k = std::cbrt((w_max - cwnd_epoch) / Cubic::kC);
  return Cubic::kC * std::pow(t - k, 3) + w_max;
}

TEST(Cubic, Constants) {
  EXPECT_DOUBLE_EQ(Cubic::kAlpha, 3.0 * 0.3 / 1.7);
  Cubic c;
  EXPECT_EQ(c.name(), "cubic");
}

TEST(Cubic, SlowStartWithByteCounting) {
  Sim sim(Duration::millis(100));
  EXPECT_EQ(sim.s.cwnd, initial_window(kMss));
  sim.ack(4 * kMss);  // RFC 3465 L = 2
  EXPECT_EQ(sim.s.cwnd, initial_window(kMss) + 2 * kMss);
  EXPECT_FALSE(sim.cc.epoch_start().has_value());  // no avoidance yet
}

TEST(Cubic, MultiplicativeDecreaseIsPointSeven) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.cc.on_enter_recovery(sim.s, 100 * kMss, sim.now);
  EXPECT_EQ(sim.s.ssthresh, 70 * kMss);
  EXPECT_EQ(sim.s.cwnd, 70 * kMss);
  EXPECT_DOUBLE_EQ(sim.cc.w_max(), 100.0 * kMss);
  sim.cc.on_exit_recovery(sim.s, sim.now);
  EXPECT_EQ(sim.s.cwnd, 70 * kMss);
  // The floor is 2 SMSS.
  sim.cc.on_enter_recovery(sim.s, 2 * kMss, sim.now);
  EXPECT_EQ(sim.s.ssthresh, 2 * kMss);
}

TEST(Cubic, WindowFollowsTheCubicCurve) {
  // W_max = 1000 segments at RTT 100 ms: K = cbrt(300 / 0.4) = 9.09 s, and
  // W_est (700 + 0.53 per RTT) stays under the curve, so this is CUBIC's
  // own region all the way (concave, plateau, convex).
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 1000 * kMss;
  sim.s.ssthresh = 1000 * kMss;
  sim.loss();  // cwnd_epoch = 700
  sim.round();  // the first ACK starts the epoch
  const Instant epoch = *sim.cc.epoch_start();
  EXPECT_NEAR(sim.cc.k_seconds(), std::cbrt(300.0 / 0.4), 1e-9);
  const double rtt = 0.1;
  double max_rel_err = 0;
  while ((sim.now - epoch).as_seconds() < 14.0) {
    sim.round();
    const double t = (sim.now - epoch).as_seconds();
    // cwnd chases W_cubic(t + RTT) one RTT at a time, so it lies between
    // the curve one RTT back and one RTT ahead (1 segment of rounding).
    EXPECT_GE(sim.segs(), rfc_w_cubic(t - rtt, 1000, 700) - 1.0) << "t=" << t;
    EXPECT_LE(sim.segs(), rfc_w_cubic(t + rtt, 1000, 700) + 1.0) << "t=" << t;
    const double w = rfc_w_cubic(t, 1000, 700);
    max_rel_err = std::max(max_rel_err, std::fabs(sim.segs() - w) / w);
  }
  EXPECT_LT(max_rel_err, 0.01);
  // Convex beyond K: at 14 s, W_cubic = 0.4 * 4.9^3 + 1000 = 1047.
  EXPECT_GT(sim.segs(), 1040.0);
  EXPECT_LT(sim.cc.w_est() / kMss, 800.0);
}

TEST(Cubic, RenoFriendlyTakesOverWhenWestPassesTheCurve) {
  // W_max = 100 at RTT 100 ms: W_est passes W_max after about 6 s while the
  // curve is still near its plateau; from then cwnd follows W_est.
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  sim.round();
  const Instant epoch = *sim.cc.epoch_start();
  while ((sim.now - epoch).as_seconds() < 6.8) sim.round();
  const double t = (sim.now - epoch).as_seconds();
  EXPECT_GT(sim.segs(), rfc_w_cubic(t, 100, 70) + 3);
  EXPECT_NEAR(sim.segs(), sim.cc.w_est() / kMss, 1.0);
}

TEST(Cubic, PlateauAroundWmax) {
  // Growth per RTT near t = K is far smaller than at the start of the epoch.
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  sim.round();
  const Instant epoch = *sim.cc.epoch_start();
  sim.round();
  const double g0 = sim.segs();
  sim.round();
  const double early_growth = sim.segs() - g0;
  while ((sim.now - epoch).as_seconds() < sim.cc.k_seconds() - 0.1) sim.round();
  const double g1 = sim.segs();
  sim.round();
  EXPECT_GT(early_growth, 1.5);
  EXPECT_LT(sim.segs() - g1, 0.5);
  EXPECT_NEAR(sim.segs(), 100.0, 1.0);
}

TEST(Cubic, TargetClampedToOneAndAHalfCwnd) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  sim.round();  // epoch starts, cwnd about 71
  sim.now += Duration::seconds(20);  // far into the convex region without ACKs
  const double before = sim.segs();
  sim.round();
  // Unclamped, W_cubic(20 s) is over 1,600 segments.
  EXPECT_GT(sim.cc.w_cubic(20, kMss) / kMss, 1500.0);
  EXPECT_LE(sim.segs(), 1.5 * before + 1);
  EXPECT_GE(sim.segs(), 1.4 * before);
}

TEST(Cubic, FastConvergence) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  EXPECT_DOUBLE_EQ(sim.cc.w_max(), 100.0 * kMss);
  // A second loss at 80 (< W_max = 100): W_max = 80 * (1 + 0.7) / 2 = 68.
  sim.s.cwnd = 80 * kMss;
  sim.cc.on_enter_recovery(sim.s, 80 * kMss, sim.now);
  EXPECT_DOUBLE_EQ(sim.cc.w_max(), 68.0 * kMss);
  EXPECT_EQ(sim.s.cwnd, 56 * kMss);
  // A loss above the old maximum just records the new one.
  sim.s.cwnd = 90 * kMss;
  sim.cc.on_enter_recovery(sim.s, 90 * kMss, sim.now);
  EXPECT_DOUBLE_EQ(sim.cc.w_max(), 90.0 * kMss);
}

TEST(Cubic, RenoFriendlyRegionDominatesAtSmallRtt) {
  // RTT 1 ms, loss at 20 segments: K = cbrt(6 / 0.4) = 2.47 s, so the
  // cubic curve barely moves in 40 ms, but Reno would add a segment per RTT.
  Sim sim(Duration::millis(1));
  sim.s.cwnd = 20 * kMss;
  sim.loss();  // cwnd 14, W_est starts at 14
  const Instant epoch_guess = sim.now;
  for (int i = 0; i < 10; ++i) sim.round();
  // alpha_cubic = 0.529 per RTT while W_est < cwnd_prior (20).
  EXPECT_NEAR(sim.segs(), 14 + 10 * Cubic::kAlpha, 1.0);
  for (int i = 0; i < 30; ++i) sim.round();
  // Then alpha = 1: about 20 + (40 - 11.3) = 48.7 segments after 40 RTTs.
  EXPECT_NEAR(sim.segs(), 48.7, 3.0);
  const double t = (sim.now - epoch_guess).as_seconds();
  EXPECT_LT(rfc_w_cubic(t, 20, 14), 16.0);
  EXPECT_NEAR(sim.cc.w_est() / kMss, sim.segs(), 1.0);
}

TEST(Cubic, CubicDominatesAtLargeRtt) {
  // RTT 100 ms at W_max 100: W_est (70 + 0.53/RTT) stays below the curve.
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  for (int i = 0; i < 20; ++i) sim.round();
  EXPECT_GT(sim.segs(), sim.cc.w_est() / kMss + 5);
}

TEST(Cubic, NoGrowthInRecovery) {
  Sim sim(Duration::millis(100));
  const uint32_t c = sim.s.cwnd;
  AckEvent ev;
  ev.now = sim.now;
  ev.bytes_acked = kMss;
  ev.in_recovery = true;
  sim.cc.on_ack(sim.s, ev);
  EXPECT_EQ(sim.s.cwnd, c);
}

TEST(Cubic, RtoResetsToOneSegmentAndKZero) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  sim.round();
  sim.cc.on_rto(sim.s, 70 * kMss, sim.now);
  EXPECT_EQ(sim.s.cwnd, kMss);
  EXPECT_EQ(sim.s.ssthresh, 49 * kMss);
  EXPECT_EQ(sim.cc.w_max(), 0.0);
  EXPECT_FALSE(sim.cc.epoch_start().has_value());
  // A repeated timeout keeps ssthresh (RFC 5681 §3.1 note).
  sim.cc.on_rto(sim.s, kMss, sim.now);
  EXPECT_EQ(sim.s.ssthresh, 49 * kMss);
  // Slow start back to ssthresh, then an epoch with K = 0 from cwnd_epoch.
  while (sim.s.cwnd < sim.s.ssthresh) sim.round();
  sim.round();
  ASSERT_TRUE(sim.cc.epoch_start().has_value());
  EXPECT_EQ(sim.cc.k_seconds(), 0.0);
}

TEST(Cubic, IdleRestartResetsEpochAndWindow) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.loss();
  sim.round();
  const Instant first = *sim.cc.epoch_start();
  sim.now += Duration::seconds(30);
  sim.cc.on_idle_restart(sim.s, sim.now);
  EXPECT_EQ(sim.s.cwnd, initial_window(kMss));
  EXPECT_FALSE(sim.cc.epoch_start().has_value());
  sim.s.ssthresh = 5 * kMss;  // stay in avoidance
  sim.ack(kMss);
  ASSERT_TRUE(sim.cc.epoch_start().has_value());
  EXPECT_EQ(*sim.cc.epoch_start(), sim.now);
  EXPECT_GT(*sim.cc.epoch_start(), first);
}

TEST(Cubic, SpuriousUndoRestoresState) {
  Sim sim(Duration::millis(100));
  sim.s.cwnd = 100 * kMss;
  sim.s.ssthresh = 90 * kMss;
  sim.cc.on_enter_recovery(sim.s, 100 * kMss, sim.now);
  sim.cc.on_spurious(sim.s, sim.now);
  EXPECT_EQ(sim.s.cwnd, 100 * kMss);
  EXPECT_EQ(sim.s.ssthresh, 90 * kMss);
  EXPECT_EQ(sim.cc.w_max(), 0.0);
}

// HyStart++ (RFC 9406) in CUBIC's initial slow start.
struct HyStartSim : Sim {
  HyStartSim() : Sim(Duration::millis(50)) {}
  // One round whose RTT samples are all `r`.
  void round_at(Duration r) {
    rtt = r;
    round();
  }
};

TEST(HyStart, ConstantRttIsPlainSlowStart) {
  HyStartSim sim;
  double prev = sim.segs();
  for (int i = 0; i < 6; ++i) {
    sim.round_at(Duration::millis(50));
    EXPECT_NEAR(sim.segs(), 2 * prev, 0.01);
    prev = sim.segs();
    EXPECT_FALSE(sim.cc.hystart().in_css());
  }
  EXPECT_EQ(sim.s.ssthresh, kInitialSsthresh);
}

TEST(HyStart, RttRiseEntersCssThenCongestionAvoidance) {
  HyStartSim sim;
  for (int i = 0; i < 3; ++i) sim.round_at(Duration::millis(50));  // 80 segments
  // RttThresh = clamp(50 / 8, 4, 16) = 6.25 ms: 57 ms is enough.
  sim.round_at(Duration::millis(57));
  EXPECT_TRUE(sim.cc.hystart().in_css());
  // In CSS the window grows by a quarter of slow start's rate.
  const double before = sim.segs();
  sim.round_at(Duration::millis(57));
  EXPECT_LT(sim.segs(), 1.3 * before);
  EXPECT_GT(sim.segs(), 1.2 * before);
  int rounds = 1;
  while (sim.s.ssthresh == kInitialSsthresh && rounds < 20) {
    sim.round_at(Duration::millis(57));
    ++rounds;
  }
  EXPECT_EQ(rounds, static_cast<int>(HyStartPP::kCssRounds));
  EXPECT_FALSE(sim.cc.hystart().in_css());
  EXPECT_LE(sim.s.ssthresh, sim.s.cwnd);
  EXPECT_TRUE(sim.cc.epoch_start().has_value());  // congestion avoidance began
}

TEST(HyStart, SmallRttWobbleIsIgnored) {
  HyStartSim sim;
  for (int i = 0; i < 3; ++i) sim.round_at(Duration::millis(50));
  sim.round_at(Duration::millis(56));  // below the 6.25 ms threshold
  EXPECT_FALSE(sim.cc.hystart().in_css());
}

TEST(HyStart, SpuriousRiseReturnsToSlowStart) {
  HyStartSim sim;
  for (int i = 0; i < 3; ++i) sim.round_at(Duration::millis(50));
  sim.round_at(Duration::millis(60));
  ASSERT_TRUE(sim.cc.hystart().in_css());
  sim.round_at(Duration::millis(50));  // below the CSS baseline (60)
  EXPECT_FALSE(sim.cc.hystart().in_css());
  const double before = sim.segs();
  sim.round_at(Duration::millis(50));
  EXPECT_NEAR(sim.segs(), 2 * before, 1.0);
}

TEST(HyStart, OnlyInTheInitialSlowStart) {
  HyStartSim sim;
  sim.s.cwnd = 40 * kMss;
  sim.cc.on_rto(sim.s, 40 * kMss, sim.now);  // ssthresh = 28 segments
  sim.round_at(Duration::millis(50));
  sim.round_at(Duration::millis(50));
  sim.round_at(Duration::millis(80));
  EXPECT_FALSE(sim.cc.hystart().in_css());
  EXPECT_EQ(sim.segs(), 8.0);  // plain doubling 1 -> 2 -> 4 -> 8
}

TEST(HyStart, CanBeDisabled) {
  HyStartSim sim;
  sim.cc.set_hystart(false);
  for (int i = 0; i < 3; ++i) sim.round_at(Duration::millis(50));
  sim.round_at(Duration::millis(90));
  EXPECT_FALSE(sim.cc.hystart().in_css());
  EXPECT_EQ(sim.segs(), 160.0);
}

}  // namespace
}  // namespace stackd::tcp
