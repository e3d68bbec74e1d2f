#include "transport/tcp/rtt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace stackd::tcp {
namespace {

using D = Duration;

// RFC 6298 §2 in doubles, to compare the integer implementation against.
struct Reference {
  double srtt = 0, rttvar = 0;
  bool first = true;
  void sample(double r) {
    if (first) {
      srtt = r;
      rttvar = r / 2;
      first = false;
    } else {
      rttvar = 0.75 * rttvar + 0.25 * std::fabs(srtt - r);
      srtt = 0.875 * srtt + 0.125 * r;
    }
  }
  double rto(double g, double lo, double hi) const {
    return std::clamp(srtt + std::max(g, 4 * rttvar), lo, hi);
  }
};

TEST(Rtt, InitialRtoIsOneSecondBeforeAnySample) {
  RttEstimator e;
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.rto(), D::seconds(1));
  EXPECT_LT(e.min_rtt(), D::zero());
}

TEST(Rtt, FirstSampleSetsSrttAndHalfVariance) {
  RttEstimator e;
  e.sample(D::millis(100));
  EXPECT_TRUE(e.has_sample());
  EXPECT_EQ(e.srtt(), D::millis(100));
  EXPECT_EQ(e.rttvar(), D::millis(50));
  // RTO = 100 + max(1, 4*50) = 300 ms.
  EXPECT_EQ(e.rto(), D::millis(300));
}

TEST(Rtt, SecondSampleUsesOldSrttForVariance) {
  RttEstimator e;
  e.sample(D::millis(100));
  e.sample(D::millis(200));
  // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
  EXPECT_EQ(e.rttvar(), D::micros(62'500));
  EXPECT_EQ(e.srtt(), D::micros(112'500));
  EXPECT_EQ(e.rto(), D::micros(112'500 + 250'000));
}

TEST(Rtt, SequenceMatchesRfcFormulas) {
  const std::vector<int64_t> us = {50'000, 52'000, 48'000, 300'000, 61'000, 49'000, 50'500,
                                   49'900, 120'000, 51'000, 50'000, 50'000, 50'000, 50'000};
  RttEstimator e;
  Reference ref;
  for (int64_t s : us) {
    e.sample(D::micros(s));
    ref.sample(static_cast<double>(s) * 1000);
    EXPECT_NEAR(static_cast<double>(e.srtt().ns), ref.srtt, 10.0);
    EXPECT_NEAR(static_cast<double>(e.rttvar().ns), ref.rttvar, 10.0);
    EXPECT_NEAR(static_cast<double>(e.rto().ns), ref.rto(1e6, 200e6, 120e9), 50.0);
  }
  EXPECT_EQ(e.min_rtt(), D::micros(48'000));
}

TEST(Rtt, GranularityFloorsTheVarianceTerm) {
  // Constant samples drive RTTVAR towards 0; RTO stays >= SRTT + G.
  RttConfig cfg;
  cfg.min_rto = D::micros(1);
  cfg.granularity = D::millis(4);
  RttEstimator e(cfg);
  for (int i = 0; i < 200; ++i) e.sample(D::millis(10));
  EXPECT_EQ(e.srtt(), D::millis(10));
  EXPECT_LT(e.rttvar() * 4, D::millis(4));
  EXPECT_EQ(e.rto(), D::millis(14));
}

TEST(Rtt, RtoClampedToMinimum) {
  RttEstimator e;  // min 200 ms (Linux)
  e.sample(D::millis(1));
  EXPECT_EQ(e.rto(), D::millis(200));
}

TEST(Rtt, RtoClampedToMaximum) {
  RttConfig cfg;
  cfg.max_rto = D::seconds(60);
  RttEstimator e(cfg);
  e.sample(D::seconds(30));  // 30 + 4*15 = 90 s
  EXPECT_EQ(e.rto(), D::seconds(60));
}

TEST(Rtt, BackoffDoublesAndIsBoundedByMax) {
  RttEstimator e;
  e.sample(D::millis(100));  // RTO 300 ms
  e.backoff();
  EXPECT_EQ(e.rto(), D::millis(600));
  e.backoff();
  EXPECT_EQ(e.rto(), D::millis(1200));
  EXPECT_EQ(e.backoffs(), 2u);
  for (int i = 0; i < 100; ++i) e.backoff();  // no overflow, saturates
  EXPECT_EQ(e.rto(), D::seconds(120));
  EXPECT_EQ(e.backoffs(), 102u);
}

TEST(Rtt, BackoffBeforeAnySampleStartsFromInitial) {
  RttEstimator e;
  e.backoff();
  e.backoff();
  EXPECT_EQ(e.rto(), D::seconds(4));  // SYN retransmits 1, 2, 4 s ...
}

TEST(Rtt, ResetBackoffRestoresComputedRto) {
  RttEstimator e;
  e.sample(D::millis(100));
  e.backoff();
  e.backoff();
  e.sample(D::millis(100));  // a sample alone does not cancel the backoff
  // SRTT 100, RTTVAR 37.5 -> 250 ms, still doubled twice.
  EXPECT_EQ(e.rto(), D::millis(1000));
  e.reset_backoff();
  EXPECT_EQ(e.backoffs(), 0u);
  EXPECT_EQ(e.rto(), D::millis(250));
}

TEST(Rtt, NegativeSampleIgnored) {
  RttEstimator e;
  e.sample(D::nanos(-1));
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.rto(), D::seconds(1));
}

TEST(Rtt, MinRttTracksSmallest) {
  RttEstimator e;
  e.sample(D::millis(30));
  e.sample(D::millis(20));
  e.sample(D::millis(40));
  EXPECT_EQ(e.min_rtt(), D::millis(20));
}

}  // namespace
}  // namespace stackd::tcp
