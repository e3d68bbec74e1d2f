// Zero-window probing and giving up without a user timeout (RFC 9293
// §3.8.6.1, RFC 1122 §4.2.2.17; Linux tcp_probe_timer): probes go out on
// the persist timer with a doubling interval up to the maximum RTO; any
// ACK not older than SND.UNA answers them (Linux tcp_ack resets
// icsk_probes_out), and a peer that keeps answering keeps the connection
// however long its window stays shut. When tcp_retries2 probes in a row go
// unanswered the connection is aborted with ETIMEDOUT. ISS near 2^32.
#include <cerrno>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {
namespace {

constexpr uint32_t L = kLocalIss, R = kRemoteIss;

class Persist : public TcpFixture {
 protected:
  void SetUp() override {
    TcpConfig c = tcp_cfg();
    c.retries2 = 5;
    cfg_override = c;
  }
  // Data waits behind the peer's zero window.
  TcpSocket& shut() {
    TcpSocket& s = established();
    send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 0});
    EXPECT_EQ(s.send(bytes(10), now()), 10);
    expect_no_emit();
    return s;
  }
  // Runs the clock until the next segment leaves; its flags, and when.
  std::pair<uint8_t, Instant> next_probe() {
    run_until_emit();
    auto r = next_emit();
    EXPECT_TRUE(r);
    return {r ? r->flags : uint8_t{0}, now()};
  }
  void run_until_emit() {
    for (int i = 0; i < 1000 && emitted_ == l2.sent.size(); ++i) {
      const Instant at = tcp().poll_at();
      if (at == Instant::never()) return;
      if (at > now()) clock.advance(at - now());
      tcp().on_timer(now());
    }
  }
};

TEST_F(Persist, UnansweredProbesGiveUpAfterRetries2) {
  TcpSocket& s = shut();
  const Instant start = now();
  Duration last_gap = Duration::zero();
  Instant last = start;
  for (int p = 0; p < 5; ++p) {
    auto [flags, at] = next_probe();
    EXPECT_EQ(flags, kAck) << "probe " << p;  // <SEQ=SND.UNA-1>, no data
    EXPECT_GT(at - last, last_gap) << "the interval doubles";
    last_gap = at - last;
    last = at;
    EXPECT_EQ(s.state(), TcpState::kEstablished);
  }
  // The sixth expiry finds five unanswered probes: ETIMEDOUT.
  auto [flags, at] = next_probe();
  EXPECT_EQ(flags, kRst | kAck);
  EXPECT_EQ(at - last, last_gap * 2);
  EXPECT_EQ(s.state(), TcpState::kClosed);
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

TEST_F(Persist, AnsweredProbesKeepTheConnectionAsLongAsTheWindowIsShut) {
  TcpSocket& s = shut();
  Instant last = now();
  Duration gap = Duration::zero();
  for (int p = 0; p < 20; ++p) {  // four times retries2
    auto [flags, at] = next_probe();
    ASSERT_EQ(flags, kAck) << "probe " << p;
    gap = at - last;
    last = at;
    send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 0});  // answered, still shut
    expect_no_emit();
  }
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  // Answers reset the count, not the backoff: probes stay at the maximum RTO.
  EXPECT_EQ(gap, tcp().config().rtt.max_rto);
  // Then the peer falls silent: five more unanswered probes, and it is over.
  for (int p = 0; p < 5; ++p) EXPECT_EQ(next_probe().first, kAck);
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  EXPECT_EQ(next_probe().first, kRst | kAck);
  EXPECT_EQ(s.take_error(), ETIMEDOUT);
}

// The window is open but the device's frame pool is out when a reply is
// due, with nothing in flight: no ACK and no RTO would ever send it (a
// redis-server under the shim stalled so, its client waiting for the
// reply). The persist timer sends it, as Linux's probe0 timer
// (tcp_check_probe_timer); still no frame: it is armed again.
TEST_F(Persist, DataThatFoundNoFrameBufferGoesOutOnThePersistTimer) {
  TcpSocket& s = established();
  std::vector<buf::PacketBuf> hoard;  // every free frame of the device
  while (auto f = pool.alloc(64)) hoard.push_back(std::move(f));
  ASSERT_EQ(s.send(bytes(10), now()), 10);
  expect_no_emit();
  EXPECT_GE(drops[DropReason::kNoBuffer], 1u);
  const Instant t0 = now();
  ASSERT_NE(tcp().poll_at(), Instant::never()) << "a timer to try again";
  run_for(tcp().config().rtt.min_rto);  // fires once: still no frame
  expect_no_emit();
  ASSERT_NE(tcp().poll_at(), Instant::never()) << "armed again";
  hoard.clear();
  run_until_emit();
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
  EXPECT_GE(now() - t0, tcp().config().rtt.min_rto);
  EXPECT_EQ(s.state(), TcpState::kEstablished);
  send({.flags = kAck, .seq = R + 1, .ack = L + 11, .win = 1000});
  expect_no_emit();
}

// The same connection is on the frame-starved list: once frames come back
// (the Stack calls retry after each flush) the data leaves at once, with
// no wait for the persist timer; a retry while the pool is still out sends
// nothing and keeps the connection on the list.
TEST_F(Persist, DataThatFoundNoFrameBufferGoesOutWhenFramesComeBack) {
  TcpSocket& s = established();
  std::vector<buf::PacketBuf> hoard;
  while (auto f = pool.alloc(64)) hoard.push_back(std::move(f));
  ASSERT_EQ(s.send(bytes(10), now()), 10);
  expect_no_emit();
  ASSERT_TRUE(tcp().frame_starved());
  tcp().retry_frame_starved(now());
  expect_no_emit();
  ASSERT_TRUE(tcp().frame_starved()) << "still out: kept for the next flush";
  hoard.clear();
  tcp().retry_frame_starved(now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
  EXPECT_FALSE(tcp().frame_starved());
  send({.flags = kAck, .seq = R + 1, .ack = L + 11, .win = 1000});
  expect_no_emit();
}

TEST_F(Persist, AWindowThatOpensEndsProbingAndItsBackoff) {
  TcpSocket& s = shut();
  const Instant t0 = now();
  EXPECT_EQ(next_probe().first, kAck);
  const Duration first = now() - t0;
  EXPECT_EQ(next_probe().first, kAck);
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .win = 1000});  // opens
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = bytes(10)});
  send({.flags = kAck, .seq = R + 1, .ack = L + 11, .win = 0});  // acked, shut again
  ASSERT_EQ(s.send(bytes(5), now()), 5);
  expect_no_emit();
  const Instant t1 = now();
  EXPECT_EQ(next_probe().first, kAck);
  EXPECT_LE(now() - t1, first) << "a new zero window starts from the RTO again";
  EXPECT_EQ(s.state(), TcpState::kEstablished);
}

}  // namespace
}  // namespace stackd::tcp::testing
