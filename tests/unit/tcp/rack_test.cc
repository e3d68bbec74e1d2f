// RACK-TLP (RFC 8985) with a manual clock: the handshake measures an RTT
// of 100 ms (min_RTT, SRTT), segments are 1000 bytes, "reno", SACK on, no
// timestamps. RACK declares a segment lost by time once a later one was
// delivered; TLP probes the tail of a flight. And the XmitLog underneath.
#include "recovery_fixture.h"

namespace stackd::tcp::testing {
namespace {

constexpr Duration kRtt = Duration::millis(100);
constexpr uint32_t kReoUs = 25'000;  // min_RTT / 4

class Rack : public RecoveryFixture {
 protected:
  TcpSocket& open_rack() { return open(/*sack=*/true, /*ts=*/false, /*rack=*/true, kRtt); }
};

// RFC 8985 §6.2 step 5 / §6.3: segment 0 is lost and segment 1 SACKed one
// RTT later (a single duplicate ACK, no DupThresh). Segment 0 is resent
// after the reordering window (min_RTT / 4) on the RACK timer, not before.
TEST_F(Rack, LostSegmentResentAfterReoWndWithoutThreeDupAcks) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  EXPECT_TRUE(t.xmit_log.allocated());
  EXPECT_EQ(t.xmit_log.size(), 10u);
  run_for(kRtt);
  ack(B, {{M, 2 * M}});
  expect_no_emit();
  EXPECT_EQ(t.rtx_timer, RtxTimer::kReo);
  EXPECT_EQ(tcp().rack_reo_wnd_us(t), kReoUs);
  run_for(Duration::millis(20));
  expect_no_emit();
  run_for(Duration::millis(6));
  expect_data(B, M);
  expect_no_emit();  // nothing else is lost yet
  EXPECT_TRUE(t.in_recovery);
  EXPECT_EQ(counters[Counter::TcpExtTCPSACKRecovery], 1u);
  EXPECT_EQ(counters[Counter::TcpExtTCPTimeouts], 0u);
  EXPECT_EQ(retrans(), 1u);
  ack(B + 10 * M);
  EXPECT_FALSE(t.in_recovery);
  // All acknowledged: the log goes back (an idle connection holds none).
  EXPECT_FALSE(t.xmit_log.allocated());
}

// RFC 8985 §6.2: reordering within the window is not a loss. Segment 0
// arrives 10 ms after segment 1 was SACKed: nothing is resent, and the
// late original is reordering seen (step 3).
TEST_F(Rack, ReorderingWithinReoWndIsNotRetransmitted) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B, {{M, 2 * M}});
  run_for(Duration::millis(10));
  ack(B + 2 * M);
  run_for(Duration::millis(50));
  expect_no_emit();
  EXPECT_EQ(retrans(), 0u);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_TRUE(t.rack.reordering_seen);
  // Without RACK (DupThresh counting) the same window would not have
  // waited either way; with RACK's RTT the rest is acknowledged in order.
  ack(B + 10 * M);
  EXPECT_EQ(retrans(), 0u);
}

// RFC 8985 §6.2 step 4: a D-SACK shows a retransmission was spurious; the
// window grows to 2 * min_RTT / 4, and the same reordering (30 ms) no
// longer causes a retransmission.
TEST_F(Rack, DsackWidensReoWnd) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B, {{M, 2 * M}});
  run_for(Duration::millis(26));
  expect_data(B, M);  // resent after 25 ms
  // The original was only late; its retransmission comes back D-SACKed.
  ack(B + 10 * M, {{0, M}});
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKRecv], 1u);
  EXPECT_EQ(t.rack.reo_wnd_mult, 2);
  EXPECT_EQ(t.rack.reo_wnd_persist, 16);
  EXPECT_EQ(tcp().rack_reo_wnd_us(t), 2 * kReoUs);
  // Next flight: segment 10 is 30 ms late — within the wider window.
  const uint64_t before = retrans();
  send_more(c, 10, 20);
  run_for(kRtt);
  ack(B + 10 * M, {{11 * M, 12 * M}});
  run_for(Duration::millis(30));
  expect_no_emit();
  ack(B + 12 * M);
  run_for(Duration::millis(30));
  expect_no_emit();
  EXPECT_EQ(retrans(), before);
}

// RFC 8985 §6.2: a lost retransmission is found by time too (the RTO used
// to be the only way for all but the oldest one).
TEST_F(Rack, LostRetransmissionIsResentByTime) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B, {{M, 4 * M}});  // DupThresh segments SACKed: reo_wnd 0
  expect_data(B, M);
  EXPECT_TRUE(t.in_recovery);
  // The retransmission is lost as well; segments sent after it (none are
  // new) ... the peer SACKs what the flight still delivers.
  run_for(kRtt);
  ack(B, {{M, 10 * M}});
  expect_no_emit();  // the retransmission is not older than RACK.rtt yet
  // A segment sent after the retransmission must be delivered first:
  // new data goes out as pipe allows, and its SACK shows the loss.
  EXPECT_EQ(c.send(bytes(M, 10), now()), M);
  expect_data(B + 10 * M, M);
  run_for(kRtt);
  ack(B, {{M, 11 * M}});
  expect_data(B, M);
  EXPECT_EQ(retrans(), 2u);
  EXPECT_EQ(counters[Counter::TcpExtTCPTimeouts], 0u);
}

// RFC 8985 §7: the last three segments of a flight are lost: no SACK can
// come. After PTO = 2 * SRTT the last segment is probed (no new data to
// send); its SACK lets RACK find the other two lost. No RTO.
TEST_F(Rack, TailLossProbeAvoidsRto) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B + 7 * M);
  EXPECT_EQ(t.rtx_timer, RtxTimer::kPto);
  run_for(Duration::millis(190));
  expect_no_emit();
  run_for(Duration::millis(15));
  expect_data(B + 9 * M, M);  // the probe: the highest segment again
  EXPECT_EQ(counters[Counter::TcpExtTCPLossProbes], 1u);
  EXPECT_TRUE(t.rack.tlp_active);
  EXPECT_EQ(t.rtx_timer, RtxTimer::kRto);
  run_for(kRtt);
  ack(B + 7 * M, {{9 * M, 10 * M}});
  expect_data(B + 7 * M, M);
  expect_data(B + 8 * M, M);
  ack(B + 10 * M);
  EXPECT_EQ(counters[Counter::TcpExtTCPTimeouts], 0u);
  EXPECT_FALSE(t.in_recovery);
}

// RFC 8985 §7.3: with new data waiting (beyond cwnd), the probe is one
// new segment rather than a retransmission.
TEST_F(Rack, ProbeSendsNewDataWhenAvailable) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B + 7 * M);
  // cwnd exactly the flight: the data written now waits.
  t.cc.cwnd = 3 * M;
  for (int i = 10; i < 13; ++i) EXPECT_EQ(c.send(bytes(M, static_cast<uint8_t>(i)), now()), M);
  expect_no_emit();
  run_for(Duration::millis(205));
  expect_data(B + 10 * M, M);  // the probe: one new segment beyond cwnd
  expect_no_emit();
  EXPECT_FALSE(t.rack.tlp_is_retrans);
  EXPECT_EQ(t.rack.tlp_end_seq, SeqNum(B + 11 * M));
  EXPECT_EQ(t.cc.cwnd, 3 * M);  // the room was for the probe only
  EXPECT_EQ(retrans(), 0u);
}

// RFC 8985 §7.4: the probe repaired a loss (the ACK goes beyond it with no
// D-SACK for it): cwnd is reduced as for a loss, TCPLossProbeRecovery.
TEST_F(Rack, ProbeThatRepairedALossReducesCwnd) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B + 9 * M);  // the last segment is lost
  const uint32_t cwnd = t.cc.cwnd;
  // One segment in flight: PTO = 2 * SRTT + WCDelAckT, capped by the RTO.
  run_for(t.rtt.rto());
  expect_data(B + 9 * M, M);
  EXPECT_EQ(counters[Counter::TcpExtTCPTimeouts], 0u);
  ack(B + 10 * M);  // the probe arrived, no D-SACK: the original was lost
  send_more(c, 10, 11);
  ack(B + 11 * M);
  EXPECT_EQ(counters[Counter::TcpExtTCPLossProbeRecovery], 1u);
  EXPECT_LT(t.cc.cwnd, cwnd);
  EXPECT_FALSE(t.rack.tlp_active);
}

// ... and a probe D-SACKed by the peer was a duplicate: no reduction.
TEST_F(Rack, DsackedProbeKeepsCwnd) {
  TcpSocket& c = open_rack();
  Tcb& t = tcb(c);
  send_segments(c, 10);
  run_for(kRtt);
  ack(B + 9 * M);
  run_for(t.rtt.rto());
  expect_data(B + 9 * M, M);
  const uint32_t cwnd = t.cc.cwnd;
  ack(B + 10 * M, {{9 * M, 10 * M}});  // the original arrived too
  send_more(c, 10, 11);
  ack(B + 11 * M);
  EXPECT_EQ(counters[Counter::TcpExtTCPLossProbeRecovery], 0u);
  EXPECT_GE(t.cc.cwnd, cwnd);
}

// ---- XmitLog

TEST(XmitLog, RetransmissionSplitsAndMarksTheRange) {
  XmitLog log;
  EXPECT_FALSE(log.allocated());
  const SeqNum s(0xfffff000u);  // across 2^32
  for (uint32_t i = 0; i < 4; ++i) log.on_send(s + i * 1000, s + (i + 1) * 1000, 10);
  ASSERT_EQ(log.size(), 4u);
  log.on_send(s + 500, s + 1500, 20);  // a resend cut differently
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log.start(1), s + 500);
  EXPECT_EQ(log.at(1).end, s + 1000);
  EXPECT_EQ(log.at(1).xmit_us, 20u);
  EXPECT_EQ(log.at(1).flags, XmitLog::kRetrans);
  EXPECT_EQ(log.at(2).end, s + 1500);
  EXPECT_EQ(log.at(2).xmit_us, 20u);
  EXPECT_EQ(log.at(0).xmit_us, 10u);
  EXPECT_EQ(log.at(3).xmit_us, 10u);
  log.trim(s + 1200);
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log.start(0), s + 1200);
  log.trim(s + 4000);
  EXPECT_EQ(log.size(), 0u);
  log.release();
  EXPECT_FALSE(log.allocated());
}

TEST(XmitLog, FullLogMergesIntoTheLastEntry) {
  XmitLog log;
  const SeqNum s(1);
  for (uint32_t i = 0; i < XmitLog::kMaxEntries + 10; ++i) log.on_send(s + i * 100, s + (i + 1) * 100, i);
  EXPECT_EQ(log.size(), XmitLog::kMaxEntries);
  EXPECT_EQ(log.at(XmitLog::kMaxEntries - 1).end, s + (XmitLog::kMaxEntries + 10) * 100);
  EXPECT_EQ(log.at(XmitLog::kMaxEntries - 1).xmit_us, XmitLog::kMaxEntries + 9);
  // No room to split: a resend inside an entry marks the whole entry.
  log.on_send(s + 50, s + 60, 999);
  EXPECT_EQ(log.size(), XmitLog::kMaxEntries);
  EXPECT_EQ(log.at(0).xmit_us, 999u);
  EXPECT_EQ(log.at(0).flags, XmitLog::kRetrans);
}

}  // namespace
}  // namespace stackd::tcp::testing
