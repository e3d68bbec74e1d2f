// Loss recovery, RFC-figure style: the peer ACKs (with SACK blocks) as if
// some of our segments were lost, and we check which segments are resent,
// once each, and cwnd/ssthresh. With SACK: RFC 6675 (entry on DupThresh or
// IsLost(snd.una), pipe-limited NextSeg() rules, rescue retransmission,
// RTO clears the scoreboard). Without: RFC 6582 NewReno partial ACKs.
// Receiver side: D-SACK (RFC 2883) for duplicates, an out-of-order FIN.
// Segments are 1000 bytes (MSS 1000), congestion control "reno" so the
// windows are the RFC 5681 numbers; both ISSs are near 2^32.
// These tests pin down the RFC 6675 DupThresh path, so RACK-TLP is off
// (RecoveryFixture::open's default: TcpConfig::rack / tlp false, Linux
// net.ipv4.tcp_recovery = 0): with RACK a
// segment is lost by time, not by the count of segments SACKed above it,
// and these scripts send everything at one instant. rack_test.cc drives
// RACK-TLP with a clock.
#include <utility>

#include "recovery_fixture.h"

namespace stackd::tcp::testing {
namespace {

class Recovery : public RecoveryFixture {};

// RFC 6675 §5: one loss. Three duplicate ACKs SACKing 1, 2, 3 segments
// above snd.una start recovery; the first segment is resent once; cwnd =
// ssthresh = FlightSize / 2; later SACKs send nothing (pipe >= cwnd, no
// other hole); the cumulative ACK past RecoveryPoint ends recovery.
TEST_F(Recovery, SackOneLoss) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  ack(B, {{M, 2 * M}});
  ack(B, {{M, 3 * M}});
  expect_no_emit();  // limited transmit, but no new data
  ack(B, {{M, 4 * M}});
  expect_data(B, M);
  Tcb& t = tcb(c);
  EXPECT_TRUE(t.in_recovery);
  EXPECT_EQ(t.cc.ssthresh, 5 * M);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  for (uint32_t k = 5; k <= 10; ++k) ack(B, {{M, k * M}});
  expect_no_emit();
  ack(B + 10 * M);
  expect_no_emit();
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  EXPECT_EQ(retrans(), 1u);
  EXPECT_EQ(counters[Counter::TcpExtTCPSACKRecovery], 1u);
  EXPECT_EQ(counters[Counter::TcpExtTCPFastRetrans], 1u);
}

// Two losses (segments 0 and 2): segment 2 is resent only when IsLost()
// says so (3 segments SACKed above it) and pipe leaves room (rule 1); the
// partial ACK then allows the rescue retransmission of the tail (rule 4),
// once.
TEST_F(Recovery, SackTwoLossesAndRescue) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  ack(B, {{M, 2 * M}});
  ack(B, {{3 * M, 4 * M}, {M, 2 * M}});
  expect_no_emit();
  ack(B, {{3 * M, 5 * M}, {M, 2 * M}});  // 3 dup ACKs: enter recovery
  expect_data(B, M);
  ack(B, {{3 * M, 6 * M}, {M, 2 * M}});  // segment 2 now lost, but pipe = cwnd
  expect_no_emit();
  ack(B, {{3 * M, 7 * M}, {M, 2 * M}});  // pipe 4000 < cwnd 5000: rule 1
  expect_data(B + 2 * M, M);
  expect_no_emit();
  ack(B + 2 * M, {{3 * M, 7 * M}});  // partial ACK: rescue the highest unSACKed segment
  expect_data(B + 9 * M, M);
  expect_no_emit();
  ack(B + 2 * M, {{3 * M, 8 * M}});
  ack(B + 8 * M);
  expect_no_emit();  // no second rescue in one episode
  ack(B + 10 * M);
  EXPECT_FALSE(tcb(c).in_recovery);
  EXPECT_EQ(retrans(), 3u);
}

// Four losses in one window (0, 2, 4, 6): recovery starts on IsLost(snd.una)
// by three discontiguous SACKed ranges; each lost segment is resent once,
// in order, as SACKs mark it lost and pipe allows.
TEST_F(Recovery, SackManyLosses) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  ack(B, {{M, 2 * M}});
  ack(B, {{3 * M, 4 * M}, {M, 2 * M}});
  ack(B, {{5 * M, 6 * M}, {3 * M, 4 * M}, {M, 2 * M}});
  expect_data(B, M);
  ack(B, {{7 * M, 8 * M}, {5 * M, 6 * M}, {3 * M, 4 * M}});
  expect_no_emit();  // segment 2 lost, but pipe 5000 = cwnd
  ack(B, {{7 * M, 9 * M}, {5 * M, 6 * M}, {3 * M, 4 * M}});
  expect_data(B + 2 * M, M);
  expect_data(B + 4 * M, M);
  expect_no_emit();
  ack(B, {{7 * M, 10 * M}, {5 * M, 6 * M}, {3 * M, 4 * M}});
  expect_data(B + 6 * M, M);
  expect_no_emit();
  ack(B + 2 * M, {{7 * M, 10 * M}, {5 * M, 6 * M}, {3 * M, 4 * M}});
  expect_no_emit();  // the tail is already resent: no rescue
  ack(B + 4 * M, {{7 * M, 10 * M}, {5 * M, 6 * M}});
  ack(B + 6 * M, {{7 * M, 10 * M}});
  ack(B + 10 * M);
  expect_no_emit();
  EXPECT_FALSE(tcb(c).in_recovery);
  EXPECT_EQ(retrans(), 4u);
  EXPECT_EQ(tcb(c).cc.cwnd, 5 * M);
}

// While in recovery, new data goes out only while cwnd - pipe >= SMSS
// (RFC 6675 §5 (C) rule 2), not by snd.nxt - snd.una.
TEST_F(Recovery, SackNewDataLimitedByPipe) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  EXPECT_EQ(c.send(bytes(5 * M), now()), 5 * M);
  expect_no_emit();  // cwnd (IW10) is full
  ack(B, {{M, 2 * M}});
  expect_data(B + 10 * M, M);  // RFC 3042 limited transmit
  ack(B, {{M, 3 * M}});
  expect_data(B + 11 * M, M);
  ack(B, {{M, 4 * M}});  // FlightSize 12000: cwnd 6000, pipe 1000 + 8000
  expect_data(B, M);
  expect_no_emit();
  EXPECT_EQ(tcb(c).cc.cwnd, 6 * M);
  ack(B, {{M, 5 * M}});
  ack(B, {{M, 6 * M}});
  ack(B, {{M, 7 * M}});
  expect_no_emit();  // pipe 6000
  ack(B, {{M, 8 * M}});  // pipe 5000: one new segment
  expect_data(B + 12 * M, M);
  expect_no_emit();
  ack(B + 8 * M);  // partial ACK: pipe 5000 (segments 8-12)
  expect_data(B + 13 * M, M);
  expect_no_emit();
  ack(B + 9 * M);
  expect_data(B + 14 * M, M);
  expect_no_emit();
  ack(B + 15 * M);
  EXPECT_FALSE(tcb(c).in_recovery);
  EXPECT_EQ(retrans(), 1u);
}

// Without SACK: RFC 5681 fast retransmit, RFC 6582 partial ACK resends
// the next hole at once, full ACK deflates cwnd to ssthresh.
TEST_F(Recovery, NewRenoPartialAcks) {
  TcpSocket& c = open(false);
  send_segments(c, 10);
  ack(B);
  ack(B);
  ack(B);
  expect_data(B, M);
  Tcb& t = tcb(c);
  EXPECT_EQ(t.cc.ssthresh, 5 * M);
  EXPECT_EQ(t.cc.cwnd, 8 * M);  // ssthresh + 3 SMSS
  for (int i = 0; i < 5; ++i) ack(B);
  expect_no_emit();
  EXPECT_EQ(t.cc.cwnd, 13 * M);
  ack(B + 2 * M);  // partial: segment 2 is lost too
  expect_data(B + 2 * M, M);
  expect_no_emit();
  EXPECT_EQ(t.cc.cwnd, 12 * M);
  ack(B + 10 * M);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  EXPECT_EQ(retrans(), 2u);
  EXPECT_EQ(counters[Counter::TcpExtTCPRenoRecovery], 1u);
  EXPECT_EQ(counters[Counter::TcpExtTCPSACKRecovery], 0u);
}

// RFC 6298 (5.4) during recovery: the scoreboard is forgotten (RFC 2018
// §8), recovery ends, and the data is resent from snd.una; duplicate ACKs
// of the old window do not start a new recovery.
TEST_F(Recovery, RtoDuringRecoveryClearsScoreboard) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  ack(B, {{M, 2 * M}});
  ack(B, {{M, 3 * M}});
  ack(B, {{M, 4 * M}});
  expect_data(B, M);
  Tcb& t = tcb(c);
  EXPECT_FALSE(t.scoreboard.empty());
  advance(Duration::seconds(1));  // initial RTO, no RTT sample
  expect_data(B, M);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_TRUE(t.scoreboard.empty());
  EXPECT_EQ(t.cc.cwnd, M);
  EXPECT_EQ(counters[Counter::TcpExtTCPTimeouts], 1u);
  ack(B, {{M, 5 * M}});
  ack(B, {{M, 6 * M}});
  ack(B, {{M, 7 * M}});
  expect_no_emit();
  EXPECT_FALSE(t.in_recovery);
  // A D-SACK of the segment resent twice is counted (RFC 2883 §4).
  ack(B + M, {{0, M}});
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKRecv], 1u);
}

// RFC 2883 §4: a duplicate below rcv.nxt, and a duplicate of an island
// held out of order, are each reported once as the first SACK block (the
// latter followed by the island holding it).
TEST_F(Recovery, DsackForDuplicates) {
  TcpSocket& c = open(true);
  auto d = bytes(30);
  auto part = [&](size_t a, size_t b) { return std::vector<uint8_t>(d.begin() + a, d.begin() + b); };
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = B, .data = part(0, 10)});
  advance(Duration::millis(40));  // delayed ACK
  expect_emit({.flags = kAck, .seq = B, .ack = R + 11});
  EXPECT_EQ(last.options.sack_count, 0);
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = B, .data = part(0, 10)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 11});
  ASSERT_EQ(last.options.sack_count, 1);
  EXPECT_EQ(last.options.sack[0].left, R + 1);
  EXPECT_EQ(last.options.sack[0].right, R + 11);
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKOldSent], 1u);

  send({.flags = kAck, .seq = R + 21, .ack = B, .data = part(20, 30)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 11});
  ASSERT_EQ(last.options.sack_count, 1);
  EXPECT_EQ(counters[Counter::TcpExtTCPOFOQueue], 1u);
  send({.flags = kAck, .seq = R + 21, .ack = B, .data = part(20, 30)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 11});
  ASSERT_EQ(last.options.sack_count, 2);
  EXPECT_EQ(last.options.sack[0].left, R + 21);  // D-SACK
  EXPECT_EQ(last.options.sack[0].right, R + 31);
  EXPECT_EQ(last.options.sack[1].left, R + 21);  // the island holding it
  EXPECT_EQ(last.options.sack[1].right, R + 31);
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKOfoSent], 1u);
  send({.flags = kAck, .seq = R + 11, .ack = B, .data = part(10, 20)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 31});  // hole filled: past the island
  EXPECT_EQ(last.options.sack_count, 0);
  std::vector<uint8_t> got(64);
  ASSERT_EQ(c.recv(got, now()), 30);
  got.resize(30);
  EXPECT_EQ(got, d);
}

// An out-of-order FIN is held and takes effect when the data before it
// arrives: rcv.nxt covers data + FIN, CLOSE-WAIT, end of file.
TEST_F(Recovery, OutOfOrderFinIsKept) {
  TcpSocket& c = open(false);
  auto d = bytes(20);
  send({.flags = kAck | kFin, .seq = R + 11, .ack = B, .data = std::vector<uint8_t>(d.begin() + 10, d.end())});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 1});  // duplicate ACK at once
  EXPECT_EQ(c.state(), TcpState::kEstablished);
  send({.flags = kAck, .seq = R + 1, .ack = B, .data = std::vector<uint8_t>(d.begin(), d.begin() + 10)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 22});
  EXPECT_EQ(c.state(), TcpState::kCloseWait);
  std::vector<uint8_t> got(64);
  ASSERT_EQ(c.recv(got, now()), 20);
  got.resize(20);
  EXPECT_EQ(got, d);
  EXPECT_EQ(c.recv(got, now()), 0);  // end of file
}

// A FIN alone, beyond a hole, is kept the same way.
TEST_F(Recovery, OutOfOrderBareFinIsKept) {
  TcpSocket& c = open(true);
  send({.flags = kAck | kFin, .seq = R + 11, .ack = B});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 1});
  send({.flags = kAck, .seq = R + 1, .ack = B, .data = bytes(10)});
  expect_emit({.flags = kAck, .seq = B, .ack = R + 12});
  EXPECT_EQ(c.state(), TcpState::kCloseWait);
}

// RFC 2018 §3 / RFC 9293 §3.7.1: SACK blocks take option space, so a data
// segment that carries them is shorter (Linux tcp_current_mss); a full-sized
// segment would not fit the path (the IP layer drops it with DF set).
TEST_F(Recovery, SackBlocksShortenDataSegments) {
  TcpSocket& c = open(true);
  send({.flags = kAck, .seq = R + 11, .ack = B, .data = bytes(10)});  // an island
  expect_emit({.flags = kAck, .seq = B, .ack = R + 1});
  ASSERT_EQ(last.options.sack_count, 1);
  EXPECT_EQ(c.send(bytes(2 * M), now()), 2 * M);
  for (uint32_t off = 0; off < 2 * M;) {
    std::vector<uint8_t> data;
    auto r = next_emit(&data);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->seq, B + off);
    EXPECT_EQ(r->options.sack_count, 1);
    EXPECT_LE(r->header_len() - 20 + data.size(), M) << "segment exceeds the MSS";
    off += static_cast<uint32_t>(data.size());
    if (off < 2 * M) {
      EXPECT_EQ(data.size(), M - 12u);
    }
  }
}

// A lost retransmission (Linux tcp_mark_lost_retrans): once three segments
// sent after it are SACKed (IsLost of the point where it was sent), the
// segment is sent again instead of waiting for the RTO.
TEST_F(Recovery, LostRetransmissionIsResent) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  EXPECT_EQ(c.send(bytes(5 * M), now()), 5 * M);
  ack(B, {{M, 2 * M}});
  expect_data(B + 10 * M, M);
  ack(B, {{M, 3 * M}});
  expect_data(B + 11 * M, M);
  ack(B, {{M, 4 * M}});
  expect_data(B, M);  // sent when snd_max was B + 12000
  for (uint32_t k = 5; k <= 8; ++k) ack(B, {{M, k * M}});
  expect_data(B + 12 * M, M);
  ack(B, {{M, 9 * M}});
  expect_data(B + 13 * M, M);
  ack(B, {{M, 10 * M}});
  expect_data(B + 14 * M, M);
  for (uint32_t k = 11; k <= 14; ++k) ack(B, {{M, k * M}});
  expect_no_emit();  // 2 segments SACKed beyond the retransmission: not yet
  ack(B, {{M, 15 * M}});
  expect_data(B, M);  // lost again: resent once more
  expect_no_emit();
  EXPECT_EQ(counters[Counter::TcpExtTCPLostRetransmit], 1u);
  ack(B + 15 * M);
  EXPECT_FALSE(tcb(c).in_recovery);
  EXPECT_EQ(retrans(), 2u);
}

// Reordering taken for loss, found out by D-SACK (RFC 3708 §3, Linux
// tcp_try_undo_dsack): three segments SACKed above segment 0 start
// recovery and resend it; then the original arrives (full ACK) and the
// retransmission comes back as a D-SACK: every resent octet was a
// duplicate, so the reduction is undone (RFC 4015) and DupThresh becomes
// the reordering seen (4 segments), after which 3 SACKed segments above a
// hole no longer start recovery but 4 do.
TEST_F(Recovery, DsackUndoesSpuriousRecovery) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  Tcb& t = tcb(c);
  const uint32_t cwnd0 = t.cc.cwnd, ssthresh0 = t.cc.ssthresh;
  ack(B, {{M, 2 * M}});
  ack(B, {{M, 3 * M}});
  ack(B, {{M, 4 * M}});
  expect_data(B, M);
  EXPECT_TRUE(t.in_recovery);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  ack(B + 10 * M);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(t.cc.cwnd, 5 * M);  // no timestamps: nothing tells yet
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKUndo], 0u);
  ack(B + 10 * M, {{0, M}});  // the retransmission was a duplicate
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKUndo], 1u);
  EXPECT_EQ(t.cc.cwnd, cwnd0);
  EXPECT_EQ(t.cc.ssthresh, ssthresh0);
  EXPECT_EQ(t.reordering, 4u);

  send_more(c, 10, 20);
  for (uint32_t k = 12; k <= 14; ++k) ack(B + 10 * M, {{11 * M, k * M}});
  EXPECT_EQ(t.scoreboard.dup_thresh(), 4u);
  expect_no_emit();  // 3 SACKed above the hole: reordering, not loss
  EXPECT_FALSE(t.in_recovery);
  ack(B + 10 * M, {{11 * M, 15 * M}});
  expect_data(B + 10 * M, M);  // 4: lost
  EXPECT_TRUE(t.in_recovery);
}

// A D-SACK that does not cover every resent octet undoes nothing: two
// holes resent, one of them really lost (its retransmission is not
// reported as a duplicate).
TEST_F(Recovery, DsackOfPartOfTheRetransmissionsUndoesNothing) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  Tcb& t = tcb(c);
  ack(B, {{M, 2 * M}});
  ack(B, {{3 * M, 4 * M}, {M, 2 * M}});
  ack(B, {{3 * M, 5 * M}, {M, 2 * M}});
  expect_data(B, M);
  ack(B, {{3 * M, 7 * M}, {M, 2 * M}});
  expect_data(B + 2 * M, M);
  ack(B + 2 * M, {{3 * M, 7 * M}});
  ack(B + 2 * M, {{0, M}, {3 * M, 7 * M}});  // segment 0 twice, segment 2 once
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKRecv], 1u);
  EXPECT_EQ(counters[Counter::TcpExtTCPDSACKUndo], 0u);
  EXPECT_TRUE(t.in_recovery);
  EXPECT_EQ(t.cc.ssthresh, 5 * M);
}

// RFC 3522 Eifel detection at the full ACK (Linux tcp_try_undo_recovery):
// it echoes the TSval of the original transmission, older than the
// retransmission's, so the original arrived and the episode is undone.
TEST_F(Recovery, TimestampsShowRecoverySpurious) {
  TcpSocket& c = open(true, true);
  send_segments(c, 10);
  const uint32_t original = last_tsval;
  Tcb& t = tcb(c);
  const uint32_t cwnd0 = t.cc.cwnd;
  advance(Duration::millis(5));
  ack(B, {{M, 2 * M}}, original);
  ack(B, {{M, 3 * M}}, original);
  ack(B, {{M, 4 * M}}, original);
  expect_data(B, M);
  EXPECT_NE(last_tsval, original);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  ack(B + 10 * M, {}, original);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(counters[Counter::TcpExtTCPFullUndo], 1u);
  EXPECT_EQ(t.cc.cwnd, cwnd0);
  EXPECT_EQ(t.reordering, 4u);
}

// ... and a real loss: the full ACK echoes the retransmission's TSval; the
// reduction stays.
TEST_F(Recovery, TimestampsOfTheRetransmissionKeepTheReduction) {
  TcpSocket& c = open(true, true);
  send_segments(c, 10);
  const uint32_t original = last_tsval;
  Tcb& t = tcb(c);
  advance(Duration::millis(5));
  ack(B, {{M, 2 * M}}, original);
  ack(B, {{M, 3 * M}}, original);
  ack(B, {{M, 4 * M}}, original);
  expect_data(B, M);
  ack(B + 10 * M, {}, last_tsval);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(counters[Counter::TcpExtTCPFullUndo], 0u);
  EXPECT_EQ(t.cc.cwnd, 5 * M);
  EXPECT_EQ(t.reordering, 3u);
}

// Reordering measured without any retransmission (Linux
// tcp_check_sack_reordering): a segment SACKed below the highest SACKed
// one, or cumulatively acknowledged after later ones were SACKed, arrived
// that many segments late; DupThresh follows, never down.
TEST_F(Recovery, LateOriginalRaisesDupThresh) {
  TcpSocket& c = open(true);
  send_segments(c, 10);
  Tcb& t = tcb(c);
  ack(B, {{4 * M, 5 * M}});
  ack(B, {{M, 2 * M}, {4 * M, 5 * M}});  // segment 1, 3 segments late
  EXPECT_EQ(t.reordering, 4u);
  ack(B + 2 * M, {{4 * M, 5 * M}});  // segment 0: 5 segments late
  EXPECT_EQ(t.reordering, 5u);
  ack(B + 5 * M);  // segments 2 and 3: less than that
  EXPECT_EQ(t.reordering, 5u);
  EXPECT_EQ(counters[Counter::TcpExtTCPSACKReorder], 3u);
  EXPECT_FALSE(t.in_recovery);
  EXPECT_EQ(retrans(), 0u);
}

// A large measured reordering does not hold back loss detection in a
// window too small to SACK that much (Linux tcp_time_to_recover): with 6
// segments in flight DupThresh is 3 although 9 segments of reordering were seen.
TEST_F(Recovery, SmallFlightBoundsDupThresh) {
  TcpSocket& c = open(true);
  Tcb& t = tcb(c);
  send_segments(c, 10);
  ack(B, {{8 * M, 9 * M}});
  ack(B + M, {{8 * M, 9 * M}});  // segment 0 was 9 segments late
  EXPECT_EQ(t.reordering, 9u);
  ack(B + 10 * M);
  send_more(c, 10, 16);
  ack(B + 10 * M, {{11 * M, 12 * M}});
  ack(B + 10 * M, {{11 * M, 13 * M}});
  expect_no_emit();
  ack(B + 10 * M, {{11 * M, 14 * M}});
  EXPECT_EQ(t.scoreboard.dup_thresh(), 3u);
  expect_data(B + 10 * M, M);
  EXPECT_TRUE(t.in_recovery);
}

}  // namespace
}  // namespace stackd::tcp::testing
