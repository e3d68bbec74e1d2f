// Connection tracking: states per protocol, TCP transitions, timeouts on a
// manual clock, the entry bound.
#include <gtest/gtest.h>

#include "fw_test_util.h"
#include "ip/filter/conntrack.h"

namespace stackd::ip::filter {
namespace {
using namespace testing;
using namespace wire::tcp_flag;

class Ct : public ::testing::Test {
 protected:
  CtConfig cfg;
  ManualClock clock;
  std::unique_ptr<Conntrack> ct_;
  Conntrack& ct() {
    if (!ct_) ct_ = std::make_unique<Conntrack>(cfg);
    return *ct_;
  }
  CtState track(const PacketMeta& m) { return ct().track(m, clock.now()).state; }
  TcpCt tcp_state(const PacketMeta& m) {
    auto e = ct().find({m.src, m.dst, m.sport, m.dport, m.proto}, clock.now());
    return e ? e->tcp : TcpCt::kNone;
  }
};

const PacketMeta kSynOut = tcp("10.0.0.2", 40000, "10.0.0.1", 80, kSyn);

TEST_F(Ct, TcpHandshakeDataAndClose) {
  EXPECT_EQ(track(kSynOut), CtState::kNew);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kSynSent);
  EXPECT_EQ(track(kSynOut), CtState::kNew);  // retransmitted SYN
  EXPECT_EQ(track(reverse(kSynOut, kSyn | kAck)), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kSynRecv);
  PacketMeta ack = kSynOut;
  ack.tcp_flags = kAck;
  EXPECT_EQ(track(ack), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kEstablished);
  EXPECT_EQ(ct().size(), 1u);  // both directions, one entry
  PacketMeta fin = kSynOut;
  fin.tcp_flags = kFin | kAck;
  EXPECT_EQ(track(fin), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kFinWait);
  EXPECT_EQ(track(reverse(kSynOut, kFin | kAck)), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kLastAck);
  EXPECT_EQ(track(ack), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kTimeWait);
  // TIME_WAIT lasts tcp_time_wait (120 s).
  clock.advance(Duration::seconds(119));
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kTimeWait);
  clock.advance(Duration::seconds(2));
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kNone);
}

TEST_F(Ct, TcpInvalidSegments) {
  // A SYN-ACK or a lone FIN with no flow is invalid and creates nothing.
  EXPECT_EQ(track(tcp("1.1.1.1", 1, "10.0.0.2", 2, kSyn | kAck)), CtState::kInvalid);
  EXPECT_EQ(track(tcp("1.1.1.1", 1, "10.0.0.2", 2, kFin)), CtState::kInvalid);
  EXPECT_EQ(track(tcp("1.1.1.1", 1, "10.0.0.2", 2, kRst)), CtState::kInvalid);
  EXPECT_EQ(ct().size(), 0u);
  // SYN-ACK from the opener, data before the SYN-ACK: invalid.
  track(kSynOut);
  PacketMeta wrong = kSynOut;
  wrong.tcp_flags = kSyn | kAck;
  EXPECT_EQ(track(wrong), CtState::kInvalid);
  EXPECT_EQ(track(reverse(kSynOut, kAck)), CtState::kInvalid);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kSynSent);
}

TEST_F(Ct, TcpRstClosesAndSynReopensAfterClose) {
  track(kSynOut);
  track(reverse(kSynOut, kSyn | kAck));
  EXPECT_EQ(track(reverse(kSynOut, kRst)), CtState::kEstablished);
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kClose);
  EXPECT_EQ(track(kSynOut), CtState::kNew);  // the tuple reused by a new connection
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kSynSent);
}

TEST_F(Ct, TcpLoosePickupMidStream) {
  const PacketMeta ack = tcp("10.0.0.1", 5555, "10.0.0.2", 22, kAck);
  EXPECT_EQ(track(ack), CtState::kNew);
  EXPECT_EQ(tcp_state(ack), TcpCt::kEstablished);
  EXPECT_EQ(track(reverse(ack, kAck)), CtState::kEstablished);
  cfg.tcp_loose = false;
  ct_.reset();
  EXPECT_EQ(track(ack), CtState::kInvalid);
}

TEST_F(Ct, TcpTimeoutsAreConfigurable) {
  cfg.tcp_established = Duration::seconds(100);
  track(kSynOut);
  track(reverse(kSynOut, kSyn | kAck));
  PacketMeta ack = kSynOut;
  ack.tcp_flags = kAck;
  track(ack);
  clock.advance(Duration::seconds(99));
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kEstablished);
  clock.advance(Duration::seconds(2));
  EXPECT_EQ(tcp_state(kSynOut), TcpCt::kNone);
  EXPECT_EQ(track(ack), CtState::kNew);  // expired: picked up again
}

TEST_F(Ct, UdpNewThenEstablishedWithStreamTimeout) {
  const PacketMeta q = udp("10.0.0.2", 3333, "8.8.8.8", 53);
  EXPECT_EQ(track(q), CtState::kNew);
  EXPECT_EQ(track(q), CtState::kNew);  // no reply yet
  clock.advance(Duration::seconds(29));
  EXPECT_EQ(track(reverse(q, 0)), CtState::kEstablished);
  EXPECT_EQ(track(q), CtState::kEstablished);
  // Replied: udp_stream (120 s) instead of udp (30 s).
  clock.advance(Duration::seconds(100));
  EXPECT_EQ(track(reverse(q, 0)), CtState::kEstablished);
  clock.advance(Duration::seconds(121));
  EXPECT_EQ(track(reverse(q, 0)), CtState::kNew);  // expired: a new flow the other way
}

TEST_F(Ct, UdpUnrepliedExpiresAfter30s) {
  const PacketMeta q = udp("10.0.0.2", 3333, "8.8.8.8", 53);
  track(q);
  clock.advance(Duration::seconds(31));
  EXPECT_EQ(track(reverse(q, 0)), CtState::kNew);
}

TEST_F(Ct, IcmpEchoAndErrors) {
  const PacketMeta req = icmp("10.0.0.1", "10.0.0.2", 8, 0, 77);
  EXPECT_EQ(track(icmp("10.0.0.2", "10.0.0.1", 0, 0, 77)), CtState::kInvalid);  // unsolicited reply
  EXPECT_EQ(track(req), CtState::kNew);
  EXPECT_EQ(track(icmp("10.0.0.2", "10.0.0.1", 0, 0, 78)), CtState::kInvalid);  // other id
  EXPECT_EQ(track(icmp("10.0.0.2", "10.0.0.1", 0, 0, 77)), CtState::kEstablished);
  clock.advance(Duration::seconds(31));
  EXPECT_EQ(track(icmp("10.0.0.2", "10.0.0.1", 0, 0, 77)), CtState::kInvalid);  // icmp 30 s

  // An error quoting a tracked UDP flow is related; about anything else, invalid.
  const PacketMeta q = udp("10.0.0.2", 3333, "10.0.0.9", 53);
  track(q);
  PacketMeta err = icmp("10.0.0.9", "10.0.0.2", 3, 3);
  err.has_inner = true;
  err.inner_proto = wire::ip_proto::kUdp;
  err.inner_src = q.src;
  err.inner_dst = q.dst;
  err.inner_sport = q.sport;
  err.inner_dport = q.dport;
  EXPECT_EQ(track(err), CtState::kRelated);
  err.inner_dport = 54;
  EXPECT_EQ(track(err), CtState::kInvalid);
  err.has_inner = false;
  EXPECT_EQ(track(err), CtState::kInvalid);
}

TEST_F(Ct, BoundDropsNewFlowsAndReclaimsExpired) {
  cfg.max_entries = 4;
  for (uint16_t p = 1; p <= 4; ++p)
    EXPECT_EQ(ct().track(udp("10.0.0.1", p, "10.0.0.2", 9), clock.now()).drop,
              DropReason::kCount);
  auto full = ct().track(udp("10.0.0.1", 5, "10.0.0.2", 9), clock.now());
  EXPECT_EQ(full.drop, DropReason::kConntrackFull);
  EXPECT_EQ(ct().full_drops(), 1u);
  EXPECT_EQ(ct().size(), 4u);
  // Existing flows still work at the bound.
  EXPECT_EQ(track(udp("10.0.0.2", 9, "10.0.0.1", 1)), CtState::kEstablished);
  // Once entries expire, a new flow reclaims one.
  clock.advance(Duration::seconds(200));
  EXPECT_EQ(ct().track(udp("10.0.0.1", 5, "10.0.0.2", 9), clock.now()).drop,
            DropReason::kCount);
}

TEST_F(Ct, TimerSweepFreesExpiredEntries) {
  for (uint16_t p = 1; p <= 10; ++p) track(udp("10.0.0.1", p, "10.0.0.2", 9));
  EXPECT_EQ(ct().size(), 10u);
  EXPECT_EQ(ct().poll_at(), clock.now() + cfg.sweep_interval);
  clock.advance(Duration::seconds(31));
  ct().on_timer(clock.now());
  EXPECT_EQ(ct().size(), 0u);
  EXPECT_TRUE(ct().poll_at().is_never());
}

TEST_F(Ct, AbortForgetsACreatedEntry) {
  auto r = ct().track(kSynOut, clock.now());
  ASSERT_TRUE(r.created);
  ct().abort(r.entry);
  EXPECT_EQ(ct().size(), 0u);
}

}  // namespace
}  // namespace stackd::ip::filter
