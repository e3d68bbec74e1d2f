// UDP through the whole stack: echo (RFC 862) and discard (RFC 863)
// services, port unreachable (RFC 1122 §4.1.3.1, §3.2.2.1), checksum
// (RFC 768, RFC 1122 §4.1.3.4), broadcast (RFC 1122 §3.2.2: no ICMP error
// about a broadcast datagram).
#include <gtest/gtest.h>

#include <algorithm>

#include "support/checker.h"
#include "support/stack_harness.h"
#include "wire/icmpv4.h"

namespace stackd::testsupport {
namespace {

class UdpPacket : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();
  }
};

class UdpEcho : public UdpPacket, public ::testing::WithParamInterface<size_t> {};

// 1472 fills a 1500-byte MTU exactly; 1473 and the largest datagram
// (65535 - 20 - 8) are fragmented on the way in and on the way out.
TEST_P(UdpEcho, ComesBackByteIdentical) {
  const size_t n = GetParam();
  auto data = pattern(n, static_cast<uint8_t>(n));
  auto frags = fragment_frame(
      eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 7, data, 77));
  const size_t want_frags = frags.size();
  send_all(frags);
  auto tx = run();
  ASSERT_EQ(tx.size(), want_frags);
  for (const auto& f : tx) EXPECT_TRUE(expect_frame(f, Eth(Src(kStackMac), Dst(kPeerMac))));
  auto r = reassemble_frames(tx);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(expect_frame(*r, Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(wire::ip_proto::kUdp)),
                           Udp(SrcPort(7), DstPort(40000), Payload(data))));
  EXPECT_EQ(counter(Counter::UdpInDatagrams), 1u);
  EXPECT_EQ(counter(Counter::UdpOutDatagrams), 1u);
  EXPECT_EQ(counter(Counter::IpReasmOKs), want_frags > 1 ? 1u : 0u);
  EXPECT_EQ(counter(Counter::IpFragCreates), want_frags > 1 ? want_frags : 0u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, UdpEcho, ::testing::Values(1, 1472, 1473, 65507));

TEST_F(UdpPacket, DiscardAnswersNothing) {
  send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 9, pattern(100)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::UdpInDatagrams), 1u);
  EXPECT_EQ(counter(Counter::UdpOutDatagrams), 0u);
}

TEST_F(UdpPacket, ClosedPortGetsPortUnreachableQuotingTheDatagram) {
  auto frame = eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 4444, pattern(100));
  send(frame);
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(kPeerMac)),
                           Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(wire::ip_proto::kIcmp)),
                           Icmp(Type(wire::icmpv4_type::kDestUnreachable),
                                Code(wire::icmpv4_unreach::kPort))));
  // The quote is the invoking IP packet: header and (here all of) the data.
  auto f = parse_frame(tx[0]);
  auto ip = std::span<const uint8_t>(frame).subspan(wire::kEthernetHeaderLen, 20 + 8 + 100);
  ASSERT_GE(f.l4_payload.size(), 28u);
  EXPECT_TRUE(std::ranges::equal(f.l4_payload, ip.first(f.l4_payload.size())));
  EXPECT_EQ(f.l4_payload.size(), ip.size());
  EXPECT_EQ(counter(Counter::UdpNoPorts), 1u);
  EXPECT_EQ(counter(Counter::IcmpOutDestUnreachs), 1u);
}

TEST_F(UdpPacket, BadChecksumIsDroppedAndCounted) {
  auto frame = eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 7, pattern(20));
  frame[wire::kEthernetHeaderLen + 20 + 6] ^= 0x5a;  // UDP checksum
  send(frame);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kUdpBadChecksum), 1u);
  EXPECT_EQ(counter(Counter::UdpInCsumErrors), 1u);
  EXPECT_EQ(counter(Counter::UdpInErrors), 1u);
  EXPECT_EQ(counter(Counter::UdpInDatagrams), 0u);
}

TEST_F(UdpPacket, ZeroChecksumMeansNoneOverIpv4) {
  // RFC 768: an all-zero checksum field means the sender computed none.
  auto frame = eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 7, pattern(20));
  frame[wire::kEthernetHeaderLen + 20 + 6] = 0;
  frame[wire::kEthernetHeaderLen + 20 + 7] = 0;
  send(frame);
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Udp(SrcPort(7), Payload(pattern(20)))));
}

TEST_F(UdpPacket, BroadcastToClosedPortGetsNoIcmpError) {
  send(eth_ipv4_udp(kPeerMac, MacAddr::broadcast(), kPeerIp, kSubnetBroadcast, 40000, 4444,
                    pattern(10)));
  send(eth_ipv4_udp(kPeerMac, MacAddr::broadcast(), kPeerIp, Ipv4Addr::broadcast(), 40000, 4444,
                    pattern(10)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::IcmpOutDestUnreachs), 0u);
  EXPECT_EQ(counter(Counter::IcmpOutMsgs), 0u);
}

}  // namespace
}  // namespace stackd::testsupport
