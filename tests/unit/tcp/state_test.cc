// RFC 9293 state transitions, reached through the real handshake, with
// both ISSs near 2^32 (RFC 9293 Figures 6-8, 12-13).
#include <cerrno>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {
namespace {

using Tcp = TcpFixture;
constexpr uint32_t L = kLocalIss, R = kRemoteIss;

TEST_F(Tcp, PassiveOpenThreeWayHandshake) {
  TcpSocket& c = established();
  EXPECT_EQ(c.state(), TcpState::kEstablished);
  EXPECT_EQ(counters[Counter::TcpPassiveOpens], 1u);
  EXPECT_EQ(counters[Counter::TcpCurrEstab], 1u);
}

TEST_F(Tcp, ActiveOpenThreeWayHandshake) {
  held.emplace_back(tcp());
  TcpSocket& s = held.back();
  ASSERT_EQ(s.bind(Ipv4Addr::any(), kLocalPort), 0);
  EXPECT_EQ(s.connect(A("10.0.0.1"), kRemotePort, now()), -EINPROGRESS);
  expect_emit({.flags = kSyn, .seq = L, .mss = 1460});
  // The SYN offers the receive buffer as its (unscaled) window, as Linux's.
  EXPECT_GE(last.window, 4 * 1460u) << "SYN window";
  EXPECT_EQ(s.state(), TcpState::kSynSent);
  send({.flags = kSyn | kAck, .seq = R, .ack = L + 1, .mss = 1000});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  EXPECT_TRUE(s.writable());
  EXPECT_EQ(s.info().snd_mss, 1000u);
  EXPECT_EQ(counters[Counter::TcpActiveOpens], 1u);
}

TEST_F(Tcp, SimultaneousOpen) {
  held.emplace_back(tcp());
  TcpSocket& s = held.back();
  ASSERT_EQ(s.bind(Ipv4Addr::any(), kLocalPort), 0);
  s.connect(A("10.0.0.1"), kRemotePort, now());
  expect_emit({.flags = kSyn, .seq = L});
  send({.flags = kSyn, .seq = R});  // the peer's SYN crosses ours
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
  EXPECT_EQ(s.state(), TcpState::kSynReceived);
  send({.flags = kSyn | kAck, .seq = R, .ack = L + 1});
  EXPECT_EQ(s.state(), TcpState::kEstablished);
}

TEST_F(Tcp, ConnectRefusedByRst) {
  held.emplace_back(tcp());
  TcpSocket& s = held.back();
  ASSERT_EQ(s.bind(Ipv4Addr::any(), kLocalPort), 0);
  s.connect(A("10.0.0.1"), kRemotePort, now());
  auto syn = next_emit();
  ASSERT_TRUE(syn);
  // An RST whose ACK does not cover our SYN is ignored (RFC 5961 §3, §3.10.7.3).
  send({.flags = kRst | kAck, .seq = 0, .ack = syn->seq});
  EXPECT_EQ(s.state(), TcpState::kSynSent);
  expect_no_emit();
  send({.flags = kRst | kAck, .seq = 0, .ack = syn->seq + 1});
  EXPECT_EQ(s.state(), TcpState::kClosed);
  EXPECT_EQ(s.take_error(), ECONNREFUSED);
  EXPECT_EQ(counters[Counter::TcpAttemptFails], 1u);
}

TEST_F(Tcp, DataBothWaysAcrossTheWrap) {
  TcpSocket& c = established();
  auto d = bytes(100);
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = d});
  expect_no_emit();  // delayed ACK
  EXPECT_TRUE(c.readable());
  std::vector<uint8_t> got(200);
  ASSERT_EQ(c.recv(got, now()), 100);
  got.resize(100);
  EXPECT_EQ(got, d);
  advance(Duration::millis(40));  // the delayed ACK fires
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 101});
  auto out = bytes(50, 9);
  ASSERT_EQ(c.send(out, now()), 50);
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 101, .data = out});
  send({.flags = kAck, .seq = R + 101, .ack = L + 51});
  expect_no_emit();
  EXPECT_EQ(c.info().bytes_acked, 50u);
}

TEST_F(Tcp, AckEverySecondFullSegment) {
  established();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(1460)});
  expect_no_emit();
  send({.flags = kAck, .seq = R + 1461, .ack = L + 1, .data = bytes(1460)});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 2921});
}

TEST_F(Tcp, PeerClosesFirst) {  // ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED
  TcpSocket& c = established();
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 1});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 2});
  EXPECT_EQ(c.state(), TcpState::kCloseWait);
  std::vector<uint8_t> b(10);
  EXPECT_EQ(c.recv(b, now()), 0);  // end of stream
  c.shutdown_wr(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 2});
  EXPECT_EQ(c.state(), TcpState::kLastAck);
  send({.flags = kAck, .seq = R + 2, .ack = L + 2});
  EXPECT_EQ(c.state(), TcpState::kClosed);
}

TEST_F(Tcp, WeCloseFirstThroughTimeWait) {  // FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT
  TcpSocket& c = established();
  c.shutdown_wr(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(c.state(), TcpState::kFinWait1);
  send({.flags = kAck, .seq = R + 1, .ack = L + 2});
  EXPECT_EQ(c.state(), TcpState::kFinWait2);
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 2});
  expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 2});
  EXPECT_EQ(c.state(), TcpState::kTimeWait);
  // A retransmitted FIN is acknowledged again.
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 2});
  expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 2});
  advance(Duration::seconds(59));
  EXPECT_EQ(c.state(), TcpState::kTimeWait);
  advance(Duration::seconds(1));
  EXPECT_EQ(c.state(), TcpState::kClosed);  // 2*MSL = 60 s
}

TEST_F(Tcp, SimultaneousCloseThroughClosing) {
  TcpSocket& c = established();
  c.shutdown_wr(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 1});  // crosses our FIN
  expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 2});
  EXPECT_EQ(c.state(), TcpState::kClosing);
  send({.flags = kAck, .seq = R + 2, .ack = L + 2});
  EXPECT_EQ(c.state(), TcpState::kTimeWait);
}

TEST_F(Tcp, OrphanIsFreedAfterClose) {
  TcpSocket& c = established();
  c.close(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 2});
  expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 2});
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);  // the listener and the TIME-WAIT orphan
  advance(Duration::seconds(60));
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);
}

TEST_F(Tcp, CloseWithUnreadDataResets) {
  TcpSocket& c = established();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(10)});
  c.close(now());
  expect_emit({.flags = kRst | kAck, .seq = L + 1, .ack = R + 11});
  EXPECT_EQ(counters[Counter::TcpEstabResets], 1u);
}

// RFC 1122 §4.2.2.13, Linux tcp_rcv_state_process: new data for a
// connection its user has closed is answered with a reset answering the
// segment (<SEQ=SEG.ACK><CTL=RST>) and the orphan is gone (TCPAbortOnData).
TEST_F(Tcp, DataAfterCloseInFinWait1Aborts) {
  TcpSocket& c = established();
  c.close(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(10)});  // FIN not acked yet
  expect_emit({.flags = kRst, .seq = L + 1});
  EXPECT_EQ(counters[Counter::TcpExtTCPAbortOnData], 1u);
  expect_no_emit();
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);  // only the listener is left
  // The peer's retransmission now meets no connection: a plain reset.
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(10)});
  expect_emit({.flags = kRst, .seq = L + 1});
  EXPECT_EQ(counters[Counter::TcpExtTCPAbortOnData], 1u);
}

TEST_F(Tcp, DataAfterCloseInFinWait2Aborts) {
  TcpSocket& c = established();
  c.close(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kAck, .seq = R + 1, .ack = L + 2});  // FIN-WAIT-2
  send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 2, .data = bytes(5)});
  expect_emit({.flags = kRst, .seq = L + 2});
  EXPECT_EQ(counters[Counter::TcpExtTCPAbortOnData], 1u);
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);
}

TEST_F(Tcp, DuplicateDataAfterCloseDoesNotAbort) {
  TcpSocket& c = established();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(10)});
  std::vector<uint8_t> b(10);
  EXPECT_EQ(c.recv(b, now()), 10);
  c.close(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 11});
  // Old data again (our ACK was lost): acknowledged, not new, no abort.
  send({.flags = kAck, .seq = R + 1, .ack = L + 2, .data = bytes(10)});
  expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 11});
  expect_no_emit();
  EXPECT_EQ(counters[Counter::TcpExtTCPAbortOnData], 0u);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
}

TEST_F(Tcp, HalfClosedStillReceives) {  // shutdown(SHUT_WR) is not close()
  TcpSocket& c = established();
  c.shutdown_wr(now());
  expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kAck, .seq = R + 1, .ack = L + 2, .data = bytes(10)});
  EXPECT_EQ(c.state(), TcpState::kFinWait2);
  std::vector<uint8_t> b(10);
  EXPECT_EQ(c.recv(b, now()), 10);
  EXPECT_EQ(counters[Counter::TcpExtTCPAbortOnData], 0u);
  EXPECT_EQ(counters[Counter::TcpOutRsts], 0u);
}

TEST_F(Tcp, SegmentToClosedPortGetsRst) {  // RFC 9293 §3.10.7.1
  tcp();
  send({.flags = kSyn, .seq = R});
  expect_emit({.flags = kRst | kAck, .seq = 0, .ack = R + 1});
  send({.flags = kAck, .seq = R, .ack = 12345});
  expect_emit({.flags = kRst, .seq = 12345});
  send({.flags = kRst, .seq = R});
  expect_no_emit();
  EXPECT_EQ(counters[Counter::TcpOutRsts], 2u);
}

TEST_F(Tcp, ListenAnswersAckWithRst) {  // RFC 9293 §3.10.7.2
  listening();
  send({.flags = kAck, .seq = R, .ack = 777});
  expect_emit({.flags = kRst, .seq = 777});
}

TEST_F(Tcp, RstExactResetsInWindowChallenges) {  // RFC 5961 §3.2
  TcpSocket& c = established();
  send({.flags = kRst, .seq = R + 100});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});  // challenge ACK
  EXPECT_EQ(c.state(), TcpState::kEstablished);
  send({.flags = kRst, .seq = R + 1});
  EXPECT_EQ(c.state(), TcpState::kClosed);
  EXPECT_EQ(c.take_error(), ECONNRESET);
  EXPECT_EQ(counters[Counter::TcpEstabResets], 1u);
  EXPECT_EQ(counters[Counter::TcpCurrEstab], 0u);
}

TEST_F(Tcp, RstOutsideWindowIgnored) {
  TcpSocket& c = established();
  send({.flags = kRst, .seq = R + 1 + 70000});
  expect_no_emit();
  EXPECT_EQ(c.state(), TcpState::kEstablished);
}

TEST_F(Tcp, SynInWindowGetsChallengeAck) {  // RFC 5961 §4.2
  TcpSocket& c = established();
  send({.flags = kSyn, .seq = R + 10});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(c.state(), TcpState::kEstablished);
}

TEST_F(Tcp, UnacceptableSegmentIsAcked) {  // RFC 9293 §3.10.7.4 first
  established();
  send({.flags = kAck, .seq = R + 1 + 70000, .ack = L + 1, .data = bytes(10)});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
  send({.flags = kAck, .seq = R - 20, .ack = L + 1, .data = bytes(10)});  // old duplicate
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
}

// The peer filled our window but a segment before the right edge is
// missing: its ACKs (no text) then carry SEQ = the right edge. They are
// acceptable as Linux's tcp_sequence takes them (RFC 9293's strict test
// would drop them and lose what they acknowledge); one beyond is not.
TEST_F(Tcp, AckAtRightEdgeOfWindowIsAccepted) {
  TcpSocket& c = established();
  auto d = bytes(10);
  c.send(d, now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
  const Tcb& t = tcp().tcb(c.index());
  const uint32_t edge = t.rcv_adv.raw();
  send({.flags = kAck, .seq = edge - 1000, .ack = L + 1, .data = bytes(1000)});  // a hole before it
  expect_emit({.flags = kAck, .seq = L + 11, .ack = R + 1});
  send({.flags = kAck, .seq = edge + 1, .ack = L + 11});  // beyond the window: not taken
  expect_emit({.flags = kAck, .seq = L + 11, .ack = R + 1});
  EXPECT_EQ(t.snd.una.raw(), L + 1);
  send({.flags = kAck, .seq = edge, .ack = L + 11});
  EXPECT_EQ(t.snd.una.raw(), L + 11);
  EXPECT_EQ(drops[DropReason::kTcpUnacceptable], 1u);
}

TEST_F(Tcp, AckOfUnsentDataIsAckedAndDropped) {  // RFC 5961 §5.2
  TcpSocket& c = established();
  send({.flags = kAck, .seq = R + 1, .ack = L + 100, .data = bytes(5)});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(c.rx_available(), 0u);
}

TEST_F(Tcp, PartialDuplicateIsTrimmed) {
  TcpSocket& c = established();
  auto d = bytes(20);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = std::vector<uint8_t>(d.begin(), d.begin() + 10)});
  send({.flags = kAck, .seq = R + 6, .ack = L + 1, .data = std::vector<uint8_t>(d.begin() + 5, d.end())});
  std::vector<uint8_t> got(64);
  ASSERT_EQ(c.recv(got, now()), 20);
  got.resize(20);
  EXPECT_EQ(got, d);
}

TEST_F(Tcp, RetransmitWithBackoffThenGiveUp) {
  auto cfg = tcp_cfg();
  cfg.retries2 = 3;
  cfg_override = cfg;
  TcpSocket& c = established();
  auto d = bytes(10);
  c.send(d, now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
  // The handshake measured an RTT of 0 on the manual clock: RTO = the
  // 200 ms floor (Linux TCP_RTO_MIN), then doubling (RFC 6298 (5.5)).
  EXPECT_EQ(c.info().rto_us, 200'000u);
  Duration rto = Duration::millis(200);
  for (int i = 0; i < 3; ++i) {
    advance(rto - Duration::millis(1));
    expect_no_emit();
    advance(Duration::millis(1));
    expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
    rto = rto * 2;
  }
  EXPECT_EQ(counters[Counter::TcpRetransSegs], 3u);
  advance(rto);  // the fourth expiry gives up (retries2 = 3)
  expect_emit({.flags = kRst | kAck, .seq = L + 11, .ack = R + 1});
  EXPECT_EQ(c.state(), TcpState::kClosed);
  EXPECT_EQ(c.take_error(), ETIMEDOUT);
}

TEST_F(Tcp, SynRetransmittedThenTimesOut) {
  auto cfg = tcp_cfg();
  cfg.syn_retries = 2;
  cfg_override = cfg;
  held.emplace_back(tcp());
  TcpSocket& s = held.back();
  s.connect(A("10.0.0.1"), kRemotePort, now());
  expect_emit({.flags = kSyn, .seq = L});
  advance(Duration::seconds(1));
  expect_emit({.flags = kSyn, .seq = L});
  advance(Duration::seconds(2));
  expect_emit({.flags = kSyn, .seq = L});
  advance(Duration::seconds(4));
  expect_no_emit();
  EXPECT_EQ(s.state(), TcpState::kClosed);
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

TEST_F(Tcp, LostSynAckIsResentOnRetransmittedSyn) {
  listening();
  send({.flags = kSyn, .seq = R});
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
  send({.flags = kSyn, .seq = R});
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
}

TEST_F(Tcp, NagleHoldsSmallSegmentsUntilAcked) {
  TcpSocket& c = established();
  c.send(bytes(10), now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
  c.send(bytes(10, 5), now());
  expect_no_emit();  // held: data in flight (RFC 896)
  send({.flags = kAck, .seq = R + 1, .ack = L + 11});
  expect_emit({.flags = kAck | kPsh, .seq = L + 11, .ack = R + 1, .data = bytes(10, 5)});
}

TEST_F(Tcp, NodelaySendsAtOnce) {
  TcpSocket& c = established();
  c.set_nodelay(true);
  c.send(bytes(10), now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
  c.send(bytes(10, 5), now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 11, .ack = R + 1, .data = bytes(10, 5)});
}

TEST_F(Tcp, SendIsCutIntoMssSegmentsWithinTheWindow) {
  TcpSocket& c = established();
  auto d = bytes(5000);
  ASSERT_EQ(c.send(d, now()), 5000);
  uint32_t total = 0;
  for (int round = 0; round < 10 && total < 5000; ++round) {
    while (auto r = next_emit()) {
      EXPECT_LE(r->payload_len, 1460u);
      EXPECT_EQ(r->seq, L + 1 + total);
      total += r->payload_len;
    }
    send({.flags = kAck, .seq = R + 1, .ack = L + 1 + total});  // the window opens
  }
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(c.tx_space(), 64u * 1024);
}

// Linux tcp_bound_to_half_wnd: a segment is at most half the largest
// window the peer offered, so with a window under two MSS the data still
// moves in "full" segments (not one MSS, then a remainder that sender SWS
// avoidance and Nagle hold). Two programs on one stackd hit this: the local
// route's 64 KiB MSS against a 64 KiB ring.
TEST_F(Tcp, SegmentsAreCutToHalfTheLargestWindowOffered) {
  TcpSocket& l = listening();
  send({.flags = kSyn, .seq = R, .win = 2000, .mss = 1460});
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1, .mss = 1460});
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 2000});
  auto a = l.accept();
  ASSERT_TRUE(a);
  held.push_back(std::move(*a));
  TcpSocket& c = held.back();
  const auto d = bytes(5000);
  ASSERT_EQ(c.send(d, now()), 5000);
  auto part = [&](size_t off, size_t n) { return std::vector<uint8_t>(d.begin() + off, d.begin() + off + n); };
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1, .data = part(0, 1000)});
  expect_emit({.flags = kAck, .seq = L + 1001, .ack = R + 1, .data = part(1000, 1000)});
  expect_no_emit();  // the window is full
  send({.flags = kAck, .seq = R + 1, .ack = L + 2001, .win = 2000});
  expect_emit({.flags = kAck, .seq = L + 2001, .ack = R + 1, .data = part(2000, 1000)});
  expect_emit({.flags = kAck, .seq = L + 3001, .ack = R + 1, .data = part(3000, 1000)});
  expect_no_emit();
  send({.flags = kAck, .seq = R + 1, .ack = L + 4001, .win = 2000});
  expect_emit({.flags = kAck | kPsh, .seq = L + 4001, .ack = R + 1, .data = part(4000, 1000)});
  send({.flags = kAck, .seq = R + 1, .ack = L + 5001, .win = 2000});
  expect_no_emit();
}

TEST_F(Tcp, ZeroWindowIsProbed) {
  TcpSocket& c = established();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 0});
  c.send(bytes(10), now());
  expect_no_emit();
  advance(Duration::seconds(1));
  expect_emit({.flags = kAck, .seq = L, .ack = R + 1});  // probe <SEQ=SND.UNA-1>
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 1000});
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
}

TEST_F(Tcp, OptionsNegotiated) {
  auto cfg = tcp_cfg();
  cfg.timestamps = cfg.window_scaling = cfg.sack = true;
  cfg_override = cfg;
  TcpSocket& l = listening();
  send({.flags = kSyn, .seq = R, .mss = 1400, .ws = 7, .sack_perm = true,
        .ts = wire::TcpTimestamps{1000, 0}});
  // 64 KiB receive buffer: shift 1 (RFC 7323 §2.3).
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1, .mss = 1460, .ws = 1,
               .sack_perm = true});
  ASSERT_TRUE(last.options.timestamps);
  EXPECT_EQ(last.options.timestamps->tsecr, 1000u);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 100,
        .ts = wire::TcpTimestamps{1001, last.options.timestamps->tsval}});
  auto c = l.accept();
  ASSERT_TRUE(c);
  auto i = c->info();
  EXPECT_TRUE(i.timestamps);
  EXPECT_TRUE(i.sack);
  EXPECT_TRUE(i.wscale);
  EXPECT_EQ(i.snd_wscale, 7);
  EXPECT_EQ(i.snd_wnd, 100u << 7);
  EXPECT_EQ(i.snd_mss, 1400u - 12);
  // PAWS (RFC 7323 §5.3): an older TSval is dropped and acknowledged.
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 100, .data = bytes(5),
        .ts = wire::TcpTimestamps{900, 0}});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(c->rx_available(), 0u);
  held.push_back(std::move(*c));
}

TEST_F(Tcp, NoOptionsMeansDefaults) {
  auto cfg = tcp_cfg();
  cfg.timestamps = cfg.window_scaling = cfg.sack = true;
  cfg_override = cfg;
  TcpSocket& l = listening();
  send({.flags = kSyn, .seq = R});
  auto r = next_emit();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->options.window_scale);
  EXPECT_FALSE(r->options.timestamps);
  EXPECT_FALSE(r->options.sack_permitted);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1});
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->info().snd_mss, 536u);  // RFC 9293 §3.7.1 default
  EXPECT_FALSE(c->info().wscale);
  held.push_back(std::move(*c));
}

TEST_F(Tcp, OutOfOrderDataIsHeldAndSacked) {
  auto cfg = tcp_cfg();
  cfg.sack = true;
  cfg_override = cfg;
  TcpSocket& l = listening();
  send({.flags = kSyn, .seq = R, .sack_perm = true});
  next_emit();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1});
  auto c = l.accept();
  ASSERT_TRUE(c);
  auto d = bytes(30);
  send({.flags = kAck, .seq = R + 11, .ack = L + 1, .data = std::vector<uint8_t>(d.begin() + 10, d.end())});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});  // duplicate ACK at once
  ASSERT_EQ(last.options.sack_count, 1);
  EXPECT_EQ(last.options.sack[0].left, R + 11);
  EXPECT_EQ(last.options.sack[0].right, R + 31);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = std::vector<uint8_t>(d.begin(), d.begin() + 10)});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 31});  // hole filled: ACK at once
  std::vector<uint8_t> got(64);
  ASSERT_EQ(c->recv(got, now()), 30);
  got.resize(30);
  EXPECT_EQ(got, d);
  held.push_back(std::move(*c));
}

TEST_F(Tcp, FastRetransmitOnThreeDupAcks) {
  TcpSocket& c = established();
  c.set_nodelay(true);
  for (int i = 0; i < 5; ++i) c.send(bytes(1000, static_cast<uint8_t>(i)), now());
  for (int i = 0; i < 5; ++i) next_emit();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1001});
  for (int i = 0; i < 3; ++i) send({.flags = kAck, .seq = R + 1, .ack = L + 1001});
  // The retransmission is re-cut from snd.una: one MSS of the ring.
  auto want = bytes(1000, 1);
  auto next = bytes(460, 2);
  want.insert(want.end(), next.begin(), next.end());
  expect_emit({.flags = kAck, .seq = L + 1001, .ack = R + 1, .data = want});
  EXPECT_EQ(counters[Counter::TcpRetransSegs], 1u);
}

TEST_F(Tcp, IcmpFragNeededLowersMss) {
  TcpSocket& c = established();
  c.send(bytes(1460), now());
  auto r = next_emit();
  ASSERT_TRUE(r);
  ip::IcmpErrorIn e;
  e.type = 3;
  e.code = 4;
  e.info = 1000;
  e.src = A("10.0.0.2");
  e.dst = A("10.0.0.1");
  std::vector<uint8_t> q(8);
  store_be16(q.data(), kLocalPort);
  store_be16(q.data() + 2, kRemotePort);
  store_be32(q.data() + 4, L + 1);
  e.l4 = q;
  tcp().error(e, now());
  auto a = next_emit();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->seq, L + 1);
  EXPECT_EQ(a->payload_len, 960u);
  EXPECT_EQ(c.info().snd_mss, 960u);
  // Out of the connection's sequence space: ignored (RFC 5927 §4.1).
  store_be32(q.data() + 4, L + 100000);
  e.info = 600;
  tcp().error(e, now());
  EXPECT_EQ(c.info().snd_mss, 960u);
}

}  // namespace
}  // namespace stackd::tcp::testing

namespace stackd::tcp::testing {
namespace {

constexpr uint32_t L2 = kLocalIss, R2 = kRemoteIss;

TEST_F(TcpFixture, KeepaliveProbesThenTimesOut) {
  TcpSocket& c = established();
  c.set_keepalive(true, Duration::seconds(10), Duration::seconds(2), 2, now());
  advance(Duration::seconds(10));
  expect_emit({.flags = kAck, .seq = L2, .ack = R2 + 1});  // <SEQ=SND.NXT-1>
  send({.flags = kAck, .seq = R2 + 1, .ack = L2 + 1});     // answered: idle again
  advance(Duration::seconds(2));
  expect_no_emit();
  advance(Duration::seconds(8));
  expect_emit({.flags = kAck, .seq = L2, .ack = R2 + 1});
  advance(Duration::seconds(2));
  expect_emit({.flags = kAck, .seq = L2, .ack = R2 + 1});
  advance(Duration::seconds(2));  // keep_cnt unanswered probes: reset
  expect_emit({.flags = kRst | kAck, .seq = L2 + 1, .ack = R2 + 1});
  EXPECT_EQ(c.take_error(), ETIMEDOUT);
}

TEST_F(TcpFixture, EphemeralPortsDoNotCollide) {
  held.emplace_back(tcp());
  held.emplace_back(tcp());
  held[0].connect(A("10.0.0.1"), 80, now());
  held[1].connect(A("10.0.0.1"), 80, now());
  auto a = next_emit(), b = next_emit();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->src_port, b->src_port);
  for (auto p : {a->src_port, b->src_port}) {
    EXPECT_GE(p, 32768);
    EXPECT_LE(p, 60999);
  }
  EXPECT_EQ(tcp().flows(), 2u);
}

TEST_F(TcpFixture, ChallengeAcksAreRateLimited) {  // RFC 5961 §7
  auto cfg = tcp_cfg();
  cfg.challenge_ack_limit = 2;
  cfg_override = cfg;
  established();
  for (int i = 0; i < 3; ++i) send({.flags = kRst, .seq = R2 + 100});
  expect_emit({.flags = kAck, .seq = L2 + 1, .ack = R2 + 1});
  expect_emit({.flags = kAck, .seq = L2 + 1, .ack = R2 + 1});
  expect_no_emit();
  EXPECT_EQ(drops[DropReason::kTcpChallengeAckLimit], 1u);
  advance(Duration::seconds(1));  // a new second, a new budget
  send({.flags = kSyn, .seq = R2 + 100});
  expect_emit({.flags = kAck, .seq = L2 + 1, .ack = R2 + 1});
}

TEST_F(TcpFixture, CorkHoldsPartialSegmentsUntilUncorked) {
  TcpSocket& c = established();
  c.set_cork(true, now());
  c.send(bytes(10), now());
  expect_no_emit();
  c.set_cork(false, now());
  expect_emit({.flags = kAck | kPsh, .seq = L2 + 1, .ack = R2 + 1, .data = bytes(10)});
}

}  // namespace
}  // namespace stackd::tcp::testing
