// The firewall hooks in Ipv4Layer: input after the checks and before
// demux, output before fragmentation, reject as ICMP port unreachable or
// through the registered TCP reset handler.
#include <gtest/gtest.h>

#include "../ip/ip_test_util.h"
#include "ip/filter/filter.h"
#include "wire/tcp.h"
#include "wire/udp.h"

namespace stackd::ip {
namespace {
using namespace ip::testing;
using filter::Action;
using filter::Hook;
using filter::PortRange;

struct ResetRecorder final : TcpRejectHandler {
  std::vector<uint16_t> dports;
  void send_reset(const Ipv4RxMeta&, std::span<const uint8_t> seg, Instant) override {
    dports.push_back(load_be16(seg.data() + 2));
  }
};

class Hooks : public IpFixture {
 protected:
  Hooks() {
    ip().register_protocol(17, udp_h);
    ip().register_protocol(6, tcp_h);
    ip().set_filter(&fw);
  }
  static std::vector<uint8_t> l4(uint16_t sport, uint16_t dport, uint8_t flags = 0,
                                 size_t len = 20) {
    std::vector<uint8_t> v(len, 0);
    store_be16(v.data(), sport);
    store_be16(v.data() + 2, dport);
    if (len >= 14) v[12] = 5 << 4, v[13] = flags;
    return v;
  }
  filter::Rule port_rule(Action a, uint8_t proto, uint16_t port) {
    filter::Rule r;
    r.action = a;
    r.match.proto = proto;
    r.match.dport = PortRange{port, port};
    return r;
  }
  RecordingHandler udp_h, tcp_h;
  filter::Filter fw;
};

TEST_F(Hooks, InputDropStopsDemuxAndCounts) {
  fw.append(Hook::kInput, port_rule(Action::kDrop, 17, 53));
  rx(packet(hdr(17), l4(1000, 53, 0, 8)));
  rx(packet(hdr(17), l4(1000, 54, 0, 8)));
  ASSERT_EQ(udp_h.inputs.size(), 1u);
  EXPECT_EQ(drops[DropReason::kIpFirewall], 1u);
  EXPECT_EQ(fw.list(Hook::kInput)[0].counters.packets, 1u);
  EXPECT_EQ(fw.list(Hook::kInput)[0].counters.bytes, 28u);  // IP header + UDP
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(Hooks, InputRejectUdpSendsPortUnreachable) {
  fw.append(Hook::kInput, port_rule(Action::kReject, 17, 53));
  rx(packet(hdr(17), l4(1000, 53, 0, 8)));
  EXPECT_TRUE(udp_h.inputs.empty());
  EXPECT_EQ(drops[DropReason::kFwReject], 1u);
  ASSERT_EQ(l2.sent.size(), 1u);
  Out o = sent(0);
  EXPECT_EQ(o.ip.protocol, 1);
  EXPECT_EQ(o.ip.dst, A("10.0.0.1"));
  EXPECT_EQ(o.payload[0], 3);  // destination unreachable
  EXPECT_EQ(o.payload[1], 3);  // port
}

TEST_F(Hooks, InputRejectTcpUsesTheResetHandlerOrFallsBackToIcmp) {
  fw.append(Hook::kInput, port_rule(Action::kReject, 6, 23));
  rx(packet(hdr(6), l4(1000, 23, wire::tcp_flag::kSyn)));
  ASSERT_EQ(l2.sent.size(), 1u);  // no handler: ICMP port unreachable
  EXPECT_EQ(sent(0).payload[0], 3);
  ResetRecorder rst;
  ip().set_tcp_reject_handler(&rst);
  rx(packet(hdr(6), l4(1000, 23, wire::tcp_flag::kSyn)));
  EXPECT_EQ(rst.dports, std::vector<uint16_t>{23});
  EXPECT_EQ(l2.sent.size(), 1u);  // nothing more from IP
  EXPECT_TRUE(tcp_h.inputs.empty());
}

TEST_F(Hooks, InputSeesReassembledDatagrams) {
  fw.append(Hook::kInput, port_rule(Action::kDrop, 17, 53));
  std::vector<uint8_t> whole = l4(1000, 53, 0, 8);
  whole.resize(40, 0xab);
  wire::Ipv4Repr h1 = hdr(17);
  h1.more_frags = true;
  rx(packet(h1, std::span(whole).first(24)));
  wire::Ipv4Repr h2 = hdr(17);
  h2.frag_offset = 24;
  rx(packet(h2, std::span(whole).subspan(24)));
  EXPECT_TRUE(udp_h.inputs.empty());
  EXPECT_EQ(drops[DropReason::kIpFirewall], 1u);
  EXPECT_EQ(fw.list(Hook::kInput)[0].counters.bytes, 60u);
}

TEST_F(Hooks, OutputDropFailsTheSender) {
  fw.append(Hook::kOutput, port_rule(Action::kDrop, 17, 9));
  Ipv4TxParams p;
  p.dst = A("10.0.0.1");
  p.protocol = 17;
  auto payload = [&](uint16_t dport) {
    auto v = l4(5000, dport, 0, 8);
    buf::PacketBuf b = heap.alloc(64);
    EXPECT_TRUE(b.append(8));
    std::copy(v.begin(), v.end(), b.data());
    return b;
  };
  TxResult r = ip().output(payload(9), p, clock.now());
  EXPECT_EQ(r.reason, DropReason::kIpFirewall);
  EXPECT_TRUE(l2.sent.empty());
  EXPECT_TRUE(ip().output(payload(10), p, clock.now()).ok());
  EXPECT_EQ(l2.sent.size(), 1u);
}

TEST_F(Hooks, OutputHookRunsBeforeFragmentation) {
  // One verdict and one count for a datagram that leaves in 2 fragments.
  filter::Rule count;
  count.action = Action::kContinue;
  count.match.proto = 17;
  fw.append(Hook::kOutput, count);
  Ipv4TxParams p;
  p.dst = A("10.0.0.1");
  p.protocol = 17;
  buf::PacketBuf b = heap.alloc(2000);
  ASSERT_TRUE(b.append(2000));
  auto v = l4(5000, 9, 0, 8);
  std::copy(v.begin(), v.end(), b.data());
  ASSERT_TRUE(ip().output(std::move(b), p, clock.now()).ok());
  EXPECT_EQ(l2.sent.size(), 2u);
  EXPECT_EQ(fw.list(Hook::kOutput)[0].counters, (filter::RuleCounters{1, 2020}));
}

TEST_F(Hooks, EstablishedOnlyPolicyLetsRepliesIn) {
  // ct state established,related accept; policy drop (input).
  filter::Rule est;
  est.action = Action::kAccept;
  est.match.ct_states = filter::ct_bit(filter::CtState::kEstablished) |
                        filter::ct_bit(filter::CtState::kRelated);
  fw.append(Hook::kInput, est);
  fw.set_policy(Hook::kInput, Action::kDrop);
  rx(packet(hdr(17), l4(53, 4000, 0, 8)));  // unsolicited: dropped
  EXPECT_TRUE(udp_h.inputs.empty());
  Ipv4TxParams p;
  p.dst = A("10.0.0.1");
  p.protocol = 17;
  buf::PacketBuf b = heap.alloc(64);
  ASSERT_TRUE(b.append(8));
  auto q = l4(4000, 53, 0, 8);
  std::copy(q.begin(), q.end(), b.data());
  ASSERT_TRUE(ip().output(std::move(b), p, clock.now()).ok());
  rx(packet(hdr(17), l4(53, 4000, 0, 8)));  // the reply: established
  EXPECT_EQ(udp_h.inputs.size(), 1u);
}

TEST_F(Hooks, NoFilterOrEmptyFilterChangesNothing) {
  rx(packet(hdr(17), l4(1000, 53, 0, 8)));
  ip().set_filter(nullptr);
  rx(packet(hdr(17), l4(1000, 53, 0, 8)));
  EXPECT_EQ(udp_h.inputs.size(), 2u);
  EXPECT_EQ(drops.total(), 0u);
}

}  // namespace
}  // namespace stackd::ip
