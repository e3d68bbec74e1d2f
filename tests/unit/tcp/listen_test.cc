// Listen-side robustness and connection lifetime, packet by packet: SYN
// cookies when the SYN queue is full (Linux tcp_syncookies = 1), the
// backlog's overflow counters, SYN-RECEIVED giving up after
// tcp_synack_retries, TIME-WAIT reuse by a new SYN (RFC 6191 / RFC 9293
// §3.10.7.4) and RST in TIME-WAIT (RFC 1337, Linux tcp_rfc1337), and
// TCP_USER_TIMEOUT (RFC 5482).
#include <cerrno>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {
namespace {

constexpr uint32_t L = kLocalIss, R = kRemoteIss;

class Listen : public TcpFixture {
 protected:
  // send() from another source port (another connection of the same peer).
  void send_from(uint16_t port, const Seg& s) {
    wire::TcpRepr h;
    h.src_port = port;
    h.dst_port = kLocalPort;
    h.seq = s.seq;
    h.ack = s.ack;
    h.flags = s.flags;
    h.window = s.win;
    h.options.mss = s.mss;
    h.options.window_scale = s.ws;
    h.options.sack_permitted = s.sack_perm;
    h.options.timestamps = s.ts;
    h.payload_len = static_cast<uint32_t>(s.data.size());
    std::vector<uint8_t> b(h.buffer_len());
    std::copy(s.data.begin(), s.data.end(), b.begin() + static_cast<long>(h.header_len()));
    h.emit(b, IpAddr(A("10.0.0.1")), IpAddr(A("10.0.0.2")));
    tcp();
    rx(packet(hdr(6), b));
  }
  // Everything sent so far is looked at elsewhere (timer retransmissions).
  void skip_emits() { emitted_ = l2.sent.size(); }
  TcpSocket& listening_with(uint32_t backlog) {
    held.emplace_back(tcp());
    TcpSocket& l = held.back();
    EXPECT_EQ(l.bind(Ipv4Addr::any(), kLocalPort), 0);
    EXPECT_EQ(l.listen(backlog), 0);
    return l;
  }
  void with_options() {
    auto c = tcp_cfg();
    c.timestamps = c.window_scaling = c.sack = true;
    cfg_override = c;
  }
  uint64_t ctr(Counter c) const { return counters[c]; }
};

// ------------------------------------------------------------ SYN cookies

TEST_F(Listen, CookieHandshakeCarriesMssWindowScaleSackInTimestamps) {
  with_options();
  TcpSocket& l = listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R, .mss = 1460});  // fills the SYN queue
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);

  send_from(2000, {.flags = kSyn, .seq = R, .mss = 1400, .ws = 7, .sack_perm = true,
                   .ts = wire::TcpTimestamps{5000, 0}});
  auto sa = next_emit();
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->flags, kSyn | kAck);
  EXPECT_EQ(sa->ack, R + 1);
  EXPECT_NE(sa->seq, L) << "a cookie, not the ISS generator's";
  EXPECT_EQ(sa->options.mss, 1460);
  EXPECT_EQ(sa->options.window_scale, 1);  // 64 KiB buffer
  EXPECT_TRUE(sa->options.sack_permitted);
  ASSERT_TRUE(sa->options.timestamps);
  EXPECT_EQ(sa->options.timestamps->tsecr, 5000u);
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesSent), 1u);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u) << "no state kept for a cookie";
  EXPECT_EQ(tcp().flows(), 1u);

  const uint32_t cookie = sa->seq;
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = cookie + 1, .win = 1000,
                   .data = bytes(10),
                   .ts = wire::TcpTimestamps{5001, sa->options.timestamps->tsval}});
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesFailed), 0u);
  auto c = l.accept();  // the cookie connection: the first child is still in SYN-RECEIVED
  ASSERT_TRUE(c);
  held.push_back(std::move(*c));
  TcpSocket& s = held.back();
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  const TcpInfo i = s.info();
  EXPECT_EQ(i.snd_mss, 1380u - 12u) << "largest cookie MSS <= 1400, less the TS option";
  EXPECT_TRUE(i.timestamps);
  EXPECT_TRUE(i.sack);
  EXPECT_TRUE(i.wscale);
  EXPECT_EQ(i.snd_wscale, 7);
  EXPECT_EQ(i.rcv_wscale, 1);
  EXPECT_EQ(i.snd_wnd, 1000u << 7);
  std::vector<uint8_t> got(64);
  ASSERT_EQ(s.recv(got, now()), 10);
  got.resize(10);
  EXPECT_EQ(got, bytes(10));
  // Our data starts right after the cookie, with the peer's TSval echoed.
  s.set_nodelay(true);
  ASSERT_EQ(s.send(bytes(5), now()), 5);
  auto d = next_emit();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->seq, cookie + 1);
  EXPECT_EQ(d->ack, R + 11);
  ASSERT_TRUE(d->options.timestamps);
  EXPECT_EQ(d->options.timestamps->tsecr, 5001u);
  EXPECT_EQ(ctr(Counter::TcpPassiveOpens), 2u);
}

TEST_F(Listen, CookieWithoutTimestampsCarriesOnlyTheMss) {
  with_options();
  TcpSocket& l = listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R});
  next_emit();
  send_from(2000, {.flags = kSyn, .seq = R, .mss = 1460, .ws = 7, .sack_perm = true});
  auto sa = next_emit();
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->options.mss, 1460);
  EXPECT_FALSE(sa->options.window_scale) << "WS needs the TSval bits (Linux clears it)";
  EXPECT_FALSE(sa->options.sack_permitted);
  EXPECT_FALSE(sa->options.timestamps);
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = sa->seq + 1});
  auto c = l.accept();
  ASSERT_TRUE(c);
  held.push_back(std::move(*c));
  const TcpInfo i = held.back().info();
  EXPECT_EQ(i.snd_mss, 1460u);
  EXPECT_FALSE(i.wscale);
  EXPECT_FALSE(i.sack);
  EXPECT_FALSE(i.timestamps);
}

TEST_F(Listen, ForgedCookieAckIsResetAndCounted) {
  listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R});
  next_emit();
  send_from(2000, {.flags = kSyn, .seq = R, .mss = 1460});
  auto sa = next_emit();
  ASSERT_TRUE(sa);
  // Wrong cookie, and the right cookie for another tuple: Linux counts
  // SyncookiesFailed and LISTEN answers <SEQ=SEG.ACK><CTL=RST>.
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = sa->seq + 2});
  expect_emit({.flags = kRst, .seq = sa->seq + 2});
  send_from(3000, {.flags = kAck, .seq = R + 1, .ack = sa->seq + 1});
  expect_emit({.flags = kRst, .seq = sa->seq + 1});
  // The peer's ISN is in the cookie too.
  send_from(2000, {.flags = kAck, .seq = R + 2, .ack = sa->seq + 1});
  expect_emit({.flags = kRst, .seq = sa->seq + 1});
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesFailed), 3u);
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesRecv), 0u);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
}

TEST_F(Listen, OldCookieIsRefused) {
  TcpSocket& l = listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R});
  send_from(2000, {.flags = kSyn, .seq = R, .mss = 1460});
  next_emit();
  auto sa = next_emit();
  ASSERT_TRUE(sa);
  // 130 s later (two 64 s counter periods) the queue overflows again, so
  // ACKs are still checked as cookies, but this one is too old.
  for (int i = 0; i < 130; ++i) advance(Duration::seconds(1));
  skip_emits();
  send_from(1001, {.flags = kSyn, .seq = R});
  send_from(4000, {.flags = kSyn, .seq = R});
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesSent), 2u);
  skip_emits();
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = sa->seq + 1});
  expect_emit({.flags = kRst, .seq = sa->seq + 1});
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesFailed), 1u);
  EXPECT_FALSE(l.accept());
}

TEST_F(Listen, CookieWithinItsLifetimeIsAccepted) {
  TcpSocket& l = listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R});
  send_from(2000, {.flags = kSyn, .seq = R, .mss = 1460});
  next_emit();
  auto sa = next_emit();
  ASSERT_TRUE(sa);
  for (int i = 0; i < 60; ++i) advance(Duration::seconds(1));  // a slow peer
  skip_emits();
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = sa->seq + 1});
  expect_no_emit();
  auto c = l.accept();
  ASSERT_TRUE(c);
  held.push_back(std::move(*c));
}

TEST_F(Listen, AckWithoutRecentCookiesIsResetUncounted) {
  listening_with(1);
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = 12345});
  expect_emit({.flags = kRst, .seq = 12345});
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesFailed), 0u);
}

TEST_F(Listen, WithoutCookiesAFullSynQueueDropsTheSyn) {
  auto c = tcp_cfg();
  c.syncookies = false;
  cfg_override = c;
  listening_with(1);
  send_from(1000, {.flags = kSyn, .seq = R});
  next_emit();
  send_from(2000, {.flags = kSyn, .seq = R});
  expect_no_emit();
  EXPECT_EQ(ctr(Counter::TcpExtListenDrops), 1u);
  EXPECT_EQ(ctr(Counter::TcpExtListenOverflows), 0u);
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesSent), 0u);
}

// ------------------------------------------------------ accept queue full

TEST_F(Listen, FullAcceptQueueDropsSynsAndAcksUntilAcceptMakesRoom) {
  TcpSocket& l = listening_with(1);  // Linux: backlog + 1 connections wait
  send_from(1000, {.flags = kSyn, .seq = R});
  auto a = next_emit();
  ASSERT_TRUE(a);
  send_from(1000, {.flags = kAck, .seq = R + 1, .ack = a->seq + 1});  // accept queue: 1
  send_from(2000, {.flags = kSyn, .seq = R});                         // B in SYN-RECEIVED
  auto b = next_emit();
  ASSERT_TRUE(b);
  send_from(3000, {.flags = kSyn, .seq = R});  // SYN queue full: cookie
  auto c = next_emit();
  ASSERT_TRUE(c);
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesSent), 1u);
  send_from(3000, {.flags = kAck, .seq = R + 1, .ack = c->seq + 1});  // accept queue: 2 (full)
  expect_no_emit();
  // B's ACK finds the accept queue full: dropped, B stays in SYN-RECEIVED.
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = b->seq + 1});
  expect_no_emit();
  EXPECT_EQ(ctr(Counter::TcpExtListenOverflows), 1u);
  EXPECT_EQ(ctr(Counter::TcpExtListenDrops), 1u);
  // A new SYN too.
  send_from(4000, {.flags = kSyn, .seq = R});
  expect_no_emit();
  EXPECT_EQ(ctr(Counter::TcpExtListenOverflows), 2u);
  EXPECT_EQ(ctr(Counter::TcpExtListenDrops), 2u);
  // accept() makes room: B's retransmitted ACK completes it.
  for (int i = 0; i < 2; ++i) {
    auto s = l.accept();
    ASSERT_TRUE(s);
    held.push_back(std::move(*s));
  }
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = b->seq + 1});
  auto s = l.accept();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  held.push_back(std::move(*s));
}

TEST_F(Listen, CookieAckIntoAFullAcceptQueueIsDropped) {
  listening_with(0 + 1);
  send_from(1000, {.flags = kSyn, .seq = R});
  auto a = next_emit();
  send_from(1000, {.flags = kAck, .seq = R + 1, .ack = a->seq + 1});
  send_from(2000, {.flags = kSyn, .seq = R});
  auto b = next_emit();
  send_from(3000, {.flags = kSyn, .seq = R});
  auto c = next_emit();
  ASSERT_TRUE(c);
  send_from(2000, {.flags = kAck, .seq = R + 1, .ack = b->seq + 1});  // accept queue: 2 (full)
  send_from(3000, {.flags = kAck, .seq = R + 1, .ack = c->seq + 1});
  expect_no_emit();  // no RST: Linux drops it (the peer's data will retry)
  EXPECT_EQ(ctr(Counter::TcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(ctr(Counter::TcpExtListenOverflows), 1u);
  EXPECT_EQ(tcp().tcbs_in_use(), 3u);
}

// ----------------------------------------------------------- SYN-RECEIVED

TEST_F(Listen, SynReceivedGivesUpAfterFiveSynAckRetries) {  // Linux tcp_synack_retries = 5
  listening_with(8);
  send({.flags = kSyn, .seq = R});
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
  Duration rto = Duration::seconds(1);  // RFC 6298 (2.1), doubling (5.5)
  for (int i = 0; i < 5; ++i) {
    advance(rto - Duration::millis(1));
    expect_no_emit();
    advance(Duration::millis(1));
    expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
    rto = rto * 2;
  }
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
  advance(rto);  // 63 s after the SYN: the child goes, silently
  expect_no_emit();
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);
  EXPECT_EQ(tcp().flows(), 0u);
  // The listener still works.
  send({.flags = kSyn, .seq = R + 1000});
  expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1001});
}

// -------------------------------------------------------------- TIME-WAIT

class TimeWait : public Listen {
 protected:
  // We close first: TIME-WAIT on an orphan. With timestamps the peer's
  // last TSval is 1002.
  void to_time_wait(bool ts) {
    if (ts) with_options();
    TcpSocket& l = listening();
    std::optional<wire::TcpTimestamps> t0, t1, t2;
    if (ts) {
      t0 = wire::TcpTimestamps{1000, 0};
    }
    send({.flags = kSyn, .seq = R, .mss = 1460, .ts = t0});
    expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
    const uint32_t our_ts = last.options.timestamps ? last.options.timestamps->tsval : 0;
    if (ts) t1 = wire::TcpTimestamps{1001, our_ts}, t2 = wire::TcpTimestamps{1002, our_ts};
    send({.flags = kAck, .seq = R + 1, .ack = L + 1, .ts = t1});
    auto c = l.accept();
    ASSERT_TRUE(c);
    c->close(now());
    expect_emit({.flags = kFin | kAck, .seq = L + 1, .ack = R + 1});
    send({.flags = kFin | kAck, .seq = R + 1, .ack = L + 2, .ts = t2});
    expect_emit({.flags = kAck, .seq = L + 2, .ack = R + 2});
    ASSERT_EQ(tcp().tcbs_in_use(), 2u);
  }
  static constexpr uint32_t kReuseIss = L + 2 + 65535 + 2;  // Linux: SND.NXT + 65535 + 2
};

TEST_F(TimeWait, SynWithNewerTimestampReopens) {  // RFC 6191 §2
  to_time_wait(true);
  // Even with a sequence number below RCV.NXT: the timestamp decides.
  send({.flags = kSyn, .seq = R - 5000, .mss = 1460, .ts = wire::TcpTimestamps{1003, 0}});
  expect_emit({.flags = kSyn | kAck, .seq = kReuseIss, .ack = R - 5000 + 1});
  ASSERT_TRUE(last.options.timestamps);
  EXPECT_EQ(last.options.timestamps->tsecr, 1003u);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u) << "the TIME-WAIT orphan was replaced by the child";
  send({.flags = kAck, .seq = R - 5000 + 1, .ack = kReuseIss + 1,
        .ts = wire::TcpTimestamps{1004, last.options.timestamps->tsval}});
  auto c = held.front().accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state(), TcpState::kEstablished);
  held.push_back(std::move(*c));
}

TEST_F(TimeWait, SynWithOldTimestampIsAckedAndTimeWaitStays) {
  to_time_wait(true);
  // Higher sequence number, but TSval not newer than TS.Recent (1002).
  send({.flags = kSyn, .seq = R + 100000, .ts = wire::TcpTimestamps{1002, 0}});
  auto a = next_emit();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, kAck);
  EXPECT_EQ(a->seq, L + 2);
  EXPECT_EQ(a->ack, R + 2);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
  advance(Duration::seconds(60));
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);  // TIME-WAIT ran its course
}

TEST_F(TimeWait, SynAboveRcvNxtReopensWithoutTimestamps) {  // RFC 9293 §3.10.7.4 note
  to_time_wait(false);
  send({.flags = kSyn, .seq = R + 100, .mss = 1460});
  expect_emit({.flags = kSyn | kAck, .seq = kReuseIss, .ack = R + 101});
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
}

TEST_F(TimeWait, SynAtOrBelowRcvNxtDoesNotReopen) {
  to_time_wait(false);
  send({.flags = kSyn, .seq = R + 2});  // == RCV.NXT: not above it
  auto a = next_emit();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, kAck);
  send({.flags = kSyn, .seq = R - 100});  // an old duplicate
  a = next_emit();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, kAck);
  EXPECT_EQ(a->ack, R + 2);
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
  EXPECT_EQ(counters[Counter::TcpPassiveOpens], 1u);
}

TEST_F(TimeWait, ExactRstEndsTimeWaitByDefault) {  // Linux tcp_rfc1337 = 0
  to_time_wait(false);
  send({.flags = kRst, .seq = R + 2});
  expect_no_emit();
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);
}

TEST_F(TimeWait, Rfc1337IgnoresRstInTimeWait) {
  auto c = tcp_cfg();
  c.rfc1337 = true;
  cfg_override = c;
  to_time_wait(false);
  send({.flags = kRst, .seq = R + 2});
  expect_no_emit();
  EXPECT_EQ(tcp().tcbs_in_use(), 2u);
  advance(Duration::seconds(60));
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);
}

// ------------------------------------------------------ TCP_USER_TIMEOUT

TEST_F(Listen, UserTimeoutAbortsUnackedDataInheritedFromListener) {  // RFC 5482
  TcpSocket& l = listening_with(8);
  EXPECT_EQ(l.set_user_timeout(-1), -EINVAL);
  ASSERT_EQ(l.set_user_timeout(2500), 0);
  send({.flags = kSyn, .seq = R, .mss = 1460});
  next_emit();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1});  // RTT ~0: RTO 200 ms (floor)
  auto c = l.accept();
  ASSERT_TRUE(c);
  held.push_back(std::move(*c));
  TcpSocket& s = held.back();
  s.send(bytes(100), now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(100)});
  // Retransmissions at 0.2, 0.6, 1.4 s; the next (3.0 s) is clamped to 2.5 s.
  run_for(Duration::millis(2499));
  EXPECT_EQ(count_emits(kAck | kPsh, L + 1), 3);
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  run_for(Duration::millis(1));
  expect_emit({.flags = kRst | kAck, .seq = L + 101, .ack = R + 1});
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

TEST_F(Listen, UserTimeoutOverridesTheRetryCount) {
  auto cfg = tcp_cfg();
  cfg.retries2 = 1;  // without the user timeout: give up at the second RTO
  cfg_override = cfg;
  TcpSocket& s = established();
  ASSERT_EQ(s.set_user_timeout(10000), 0);
  s.send(bytes(100), now());
  next_emit();
  // RTOs at 0.2, 0.6, 1.4, 3.0, 6.2 s; the next (12.6 s) is clamped to 10 s.
  run_for(Duration::seconds(10) - Duration::millis(1));
  EXPECT_EQ(count_emits(kAck | kPsh, L + 1), 5);
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  run_for(Duration::millis(1));
  expect_emit({.flags = kRst | kAck, .seq = L + 101, .ack = R + 1});
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

TEST_F(Listen, UserTimeoutAbortsAShutZeroWindow) {  // Linux tcp_probe_timer
  TcpSocket& s = established();
  ASSERT_EQ(s.set_user_timeout(5000), 0);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 0});
  s.send(bytes(10), now());
  expect_no_emit();
  run_for(Duration::millis(200));  // first probe: the user timeout counts from here
  expect_emit({.flags = kAck, .seq = L, .ack = R + 1});
  // The peer answers the probe, but its window stays shut.
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 0});
  // Probes at 0.6, 1.4, 3.0 s; the next (6.2 s) is clamped to 5.2 s.
  run_for(Duration::millis(4999));
  EXPECT_EQ(count_emits(kAck, L), 3);
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  run_for(Duration::millis(1));
  expect_emit({.flags = kRst | kAck, .seq = L + 1, .ack = R + 1});
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

TEST_F(Listen, UserTimeoutBoundsTheConnectAttempt) {
  held.emplace_back(tcp());
  TcpSocket& s = held.back();
  ASSERT_EQ(s.bind(Ipv4Addr::any(), kLocalPort), 0);
  ASSERT_EQ(s.set_user_timeout(2000), 0);
  s.connect(A("10.0.0.1"), kRemotePort, now());
  expect_emit({.flags = kSyn, .seq = L});
  advance(Duration::seconds(1));
  expect_emit({.flags = kSyn, .seq = L});
  advance(Duration::seconds(1));  // clamped from 3 s
  expect_no_emit();
  EXPECT_EQ(s.state(), TcpState::kClosed);
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

}  // namespace
}  // namespace stackd::tcp::testing
