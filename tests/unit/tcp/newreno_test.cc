#include "transport/tcp/newreno.h"

#include <gtest/gtest.h>

namespace stackd::tcp {
namespace {

constexpr uint32_t kMss = 1460;
constexpr Instant kT0 = Instant::from_nanos(1'000'000'000);

AckEvent ack(uint32_t bytes, uint32_t flight = 0, bool recovery = false) {
  AckEvent ev;
  ev.now = kT0;
  ev.bytes_acked = bytes;
  ev.bytes_in_flight = flight;
  ev.in_recovery = recovery;
  return ev;
}

struct Fixture {
  NewReno cc;
  CcState s{.mss = kMss};
  Fixture() { cc.init(s, kT0); }
};

TEST(InitialWindow, Rfc6928) {
  EXPECT_EQ(initial_window(1460), 14600u);  // 10 * 1460 = 14600
  EXPECT_EQ(initial_window(536), 5360u);    // 10 * MSS is smaller
  EXPECT_EQ(initial_window(1000), 10000u);
  EXPECT_EQ(initial_window(1500), 14600u);  // capped by max(2*MSS, 14600)
  EXPECT_EQ(initial_window(8960), 17920u);  // jumbo: 2 * MSS
}

TEST(NewReno, InitSetsIwAndHighSsthresh) {
  Fixture f;
  EXPECT_EQ(f.s.cwnd, 14600u);
  EXPECT_EQ(f.s.ssthresh, kInitialSsthresh);
  EXPECT_EQ(f.cc.name(), "reno");
}

TEST(NewReno, InitOnSwitchKeepsLearnedSsthresh) {
  NewReno cc;
  CcState s{.cwnd = 50000, .ssthresh = 30000, .mss = kMss};
  cc.init(s, kT0);
  EXPECT_EQ(s.ssthresh, 30000u);
  EXPECT_EQ(s.cwnd, 14600u);
}

TEST(NewReno, SlowStartByteCountingLimitedToTwoSmssPerAck) {
  Fixture f;
  f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 14600u + kMss);
  // A stretch ACK of 4 segments grows cwnd by only 2*SMSS (RFC 3465 L=2).
  f.cc.on_ack(f.s, ack(4 * kMss));
  EXPECT_EQ(f.s.cwnd, 14600u + 3 * kMss);
  // A small ACK grows it by what it acked.
  f.cc.on_ack(f.s, ack(100));
  EXPECT_EQ(f.s.cwnd, 14600u + 3 * kMss + 100);
}

TEST(NewReno, SlowStartDoublesPerRoundTrip) {
  Fixture f;
  const uint32_t start = f.s.cwnd;
  const uint32_t segs = start / kMss;
  for (uint32_t i = 0; i < segs; ++i) f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 2 * start);
}

TEST(NewReno, SlowStartStopsAtSsthreshAndCarriesTheRest) {
  Fixture f;
  f.s.cwnd = 10 * kMss;
  f.s.ssthresh = 10 * kMss + 500;
  f.cc.on_ack(f.s, ack(2 * kMss));
  // 500 bytes of slow start, the other 2*1460-500 counted for avoidance
  // (not yet a full window, so cwnd stays at ssthresh).
  EXPECT_EQ(f.s.cwnd, 10 * kMss + 500);
  // The carried 2420 bytes count: a window of 15100 completes after
  // 12680 more, i.e. on the 9th full segment (not the 11th).
  for (int i = 0; i < 8; ++i) f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 10 * kMss + 500);
  f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 11 * kMss + 500);
}

TEST(NewReno, CongestionAvoidanceOneSmssPerWindow) {
  Fixture f;
  f.s.cwnd = 20 * kMss;
  f.s.ssthresh = 20 * kMss;
  for (int i = 0; i < 19; ++i) f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 20 * kMss);
  f.cc.on_ack(f.s, ack(kMss));  // the 20th segment completes a window
  EXPECT_EQ(f.s.cwnd, 21 * kMss);
  // Delayed ACKs (2 segments each) grow it just as fast per window.
  for (int i = 0; i < 10; ++i) f.cc.on_ack(f.s, ack(2 * kMss));
  EXPECT_EQ(f.s.cwnd, 21 * kMss);
  f.cc.on_ack(f.s, ack(2 * kMss));
  EXPECT_EQ(f.s.cwnd, 22 * kMss);
}

TEST(NewReno, NoGrowthDuringRecoveryOrOnEmptyAck) {
  Fixture f;
  const uint32_t c = f.s.cwnd;
  f.cc.on_ack(f.s, ack(kMss, 0, true));
  f.cc.on_ack(f.s, ack(0));
  EXPECT_EQ(f.s.cwnd, c);
}

TEST(NewReno, EnterRecoveryHalvesFlightNoInflation) {
  Fixture f;
  f.s.cwnd = 40 * kMss;
  f.cc.on_enter_recovery(f.s, 40 * kMss, kT0);
  EXPECT_EQ(f.s.ssthresh, 20 * kMss);
  EXPECT_EQ(f.s.cwnd, 20 * kMss);  // RFC 6675 pipe-based: cwnd = ssthresh
  f.cc.on_exit_recovery(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, 20 * kMss);
  // Then congestion avoidance, not slow start.
  for (int i = 0; i < 20; ++i) f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 21 * kMss);
}

TEST(NewReno, SsthreshFloorIsTwoSmss) {
  Fixture f;
  f.cc.on_enter_recovery(f.s, 2 * kMss, kT0);
  EXPECT_EQ(f.s.ssthresh, 2 * kMss);
  EXPECT_EQ(f.s.cwnd, 2 * kMss);
}

TEST(NewReno, SsthreshFromFlightSizeNotCwnd) {
  Fixture f;
  f.s.cwnd = 100 * kMss;  // application-limited: only 10 in flight
  f.cc.on_enter_recovery(f.s, 10 * kMss, kT0);
  EXPECT_EQ(f.s.ssthresh, 5 * kMss);
}

TEST(NewReno, ExitRecoveryDeflatesToSsthresh) {
  Fixture f;
  f.cc.on_enter_recovery(f.s, 30 * kMss, kT0);
  f.s.cwnd = 25 * kMss;  // e.g. a sender that inflated meanwhile
  f.cc.on_exit_recovery(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, 15 * kMss);
}

TEST(NewReno, RtoLossWindowThenSlowStart) {
  Fixture f;
  f.s.cwnd = 40 * kMss;
  f.cc.on_rto(f.s, 40 * kMss, kT0);
  EXPECT_EQ(f.s.cwnd, kMss);
  EXPECT_EQ(f.s.ssthresh, 20 * kMss);
  f.cc.on_ack(f.s, ack(kMss));
  EXPECT_EQ(f.s.cwnd, 2 * kMss);  // slow start again
}

TEST(NewReno, RepeatedRtoHoldsSsthresh) {
  // RFC 5681 §3.1 implementation note: a second timeout for the same
  // retransmission must not shrink ssthresh from the 1-segment flight.
  Fixture f;
  f.s.cwnd = 40 * kMss;
  f.cc.on_rto(f.s, 40 * kMss, kT0);
  f.cc.on_rto(f.s, kMss, kT0);
  EXPECT_EQ(f.s.ssthresh, 20 * kMss);
  // Once new data is acked, a later timeout recomputes it.
  f.cc.on_ack(f.s, ack(kMss));
  f.cc.on_rto(f.s, 8 * kMss, kT0);
  EXPECT_EQ(f.s.ssthresh, 4 * kMss);
}

TEST(NewReno, SpuriousUndoRestoresWindow) {
  Fixture f;
  f.s.cwnd = 40 * kMss;
  f.s.ssthresh = 30 * kMss;
  f.cc.on_rto(f.s, 40 * kMss, kT0);
  f.cc.on_spurious(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, 40 * kMss);
  EXPECT_EQ(f.s.ssthresh, 30 * kMss);
  // Nothing to undo twice.
  f.cc.on_enter_recovery(f.s, 40 * kMss, kT0);
  f.cc.on_spurious(f.s, kT0);
  f.cc.on_spurious(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, 40 * kMss);
}

TEST(NewReno, IdleRestartWindow) {
  Fixture f;
  f.s.cwnd = 40 * kMss;
  f.cc.on_idle_restart(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, initial_window(kMss));
  f.s.cwnd = 3 * kMss;  // smaller than IW: kept
  f.cc.on_idle_restart(f.s, kT0);
  EXPECT_EQ(f.s.cwnd, 3 * kMss);
}

}  // namespace
}  // namespace stackd::tcp
