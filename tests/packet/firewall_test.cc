// The firewall as the stack wires it (ip/filter hooks in IPv4 input):
// rules installed through Stack::firewall() take effect for the next packet,
// and removing them restores the traffic (issue 6: a rule change never
// drops unrelated traffic).
#include <gtest/gtest.h>

#include "ip/filter/filter.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "support/checker.h"
#include "support/stack_harness.h"

namespace stackd::testsupport {
namespace {

class FirewallPacket : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();
  }
  ip::filter::Filter& fw() { return stack().firewall(); }
  std::vector<std::vector<uint8_t>> echo(uint16_t port) {
    send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, port, pattern(32)));
    return run();
  }
};

TEST_F(FirewallPacket, DropRuleStopsOnlyItsTrafficUntilRemoved) {
  ip::filter::Rule r;
  r.match.proto = 17;
  r.match.dport = ip::filter::PortRange{7, 7};
  r.action = ip::filter::Action::kDrop;
  auto h = fw().append(ip::filter::Hook::kInput, r);
  ASSERT_TRUE(h.ok()) << h.error();

  EXPECT_TRUE(echo(7).empty());  // dropped by the rule
  EXPECT_EQ(dropped(DropReason::kIpFirewall), 1u);
  auto rules = fw().list(ip::filter::Hook::kInput);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].counters.packets, 1u);

  // Unrelated traffic (a ping) still flows while the rule is in place.
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, pattern(16)));
  EXPECT_EQ(run().size(), 1u);

  ASSERT_TRUE(fw().remove(*h).ok());
  EXPECT_EQ(echo(7).size(), 1u);  // answered again
}

TEST_F(FirewallPacket, RejectAnswersWithPortUnreachable) {
  ip::filter::Rule r;
  r.match.proto = 17;
  r.action = ip::filter::Action::kReject;
  ASSERT_TRUE(fw().append(ip::filter::Hook::kInput, r).ok());
  auto tx = echo(7);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(1))));
  EXPECT_EQ(counter(Counter::UdpInDatagrams), 0u);
}

// IPv4 `reject` of TCP: the TCP layer answers with a reset as for a closed
// port (RFC 9293 §3.10.7.1), not ICMP port unreachable.
TEST_F(FirewallPacket, RejectAnswersTcpWithRst) {
  ip::filter::Rule r;
  r.match.proto = 6;
  r.action = ip::filter::Action::kReject;
  ASSERT_TRUE(fw().append(ip::filter::Hook::kInput, r).ok());
  wire::TcpRepr h;
  h.src_port = 40000;
  h.dst_port = 7;
  h.seq = 1000;
  h.flags = wire::tcp_flag::kSyn;
  h.window = 65535;
  Bytes seg(h.buffer_len());
  h.emit(seg, IpAddr(kPeerIp), IpAddr(kStackIp));
  wire::Ipv4Repr ip;
  ip.src = kPeerIp;
  ip.dst = kStackIp;
  ip.protocol = 6;
  send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(ip, seg)));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  ASSERT_TRUE(expect_frame(tx[0], Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(6))));
  auto ipr = wire::Ipv4Repr::parse(std::span<const uint8_t>(tx[0]).subspan(14));
  ASSERT_TRUE(ipr);
  auto rst = wire::TcpRepr::parse(std::span<const uint8_t>(tx[0]).subspan(34, ipr->payload_len),
                                  IpAddr(kStackIp), IpAddr(kPeerIp));
  ASSERT_TRUE(rst);
  EXPECT_EQ(rst->flags, wire::tcp_flag::kRst | wire::tcp_flag::kAck);
  EXPECT_EQ(rst->ack, 1001u);
  EXPECT_EQ(counter(Counter::TcpOutRsts), 1u);
}

}  // namespace
}  // namespace stackd::testsupport
