// ICMP through the whole stack: echo (RFC 792, RFC 1122 §3.2.2.6),
// fragmented echo (RFC 791 reassembly), reassembly timeout (RFC 792 time
// exceeded code 1), broadcast echo (RFC 1122 §3.2.2.6 MAY ignore: Linux
// icmp_echo_ignore_broadcasts=1).
#include <gtest/gtest.h>

#include <algorithm>

#include "support/checker.h"
#include "support/stack_harness.h"
#include "wire/icmpv4.h"

namespace stackd::testsupport {
namespace {

namespace t = wire::icmpv4_type;

class IcmpPacket : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();  // the announcement
  }
  // The reply to a ping whose fragments were sent, reassembled.
  Bytes reassembled_reply() {
    auto tx = run();
    auto r = reassemble_frames(tx);
    if (!r) {
      ADD_FAILURE() << "reply fragments (" << tx.size() << ") do not reassemble";
      return {};
    }
    return *r;
  }
};

TEST_F(IcmpPacket, EchoReplyIsByteExact) {
  auto data = pattern(56, 3);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 0x1234, 7, data));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Src(kStackMac), Dst(kPeerMac)),
                           Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(wire::ip_proto::kIcmp),
                                Ttl(cfg.ip.default_ttl), MoreFrags(false), FragOffset(0)),
                           Icmp(Type(t::kEchoReply), Code(0), EchoId(0x1234), EchoSeq(7),
                                Payload(data))));
  // The ICMP message, checksum included, is the request with the type
  // changed: exactly what the peer's ping compares.
  auto f = parse_frame(tx[0]);
  auto want = icmp_echo(0x1234, 7, data, true);
  EXPECT_TRUE(std::ranges::equal(f.ip_payload, want));
  EXPECT_EQ(counter(Counter::IcmpInEchos), 1u);
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 1u);
  EXPECT_EQ(counter(Counter::IcmpInMsgs), 1u);
}

TEST_F(IcmpPacket, FragmentedPingGetsFragmentedReply) {
  auto data = pattern(60000, 9);
  auto frags = fragment_frame(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, data));
  ASSERT_EQ(frags.size(), 41u);
  send_all(frags);
  auto tx = run();
  EXPECT_EQ(tx.size(), 41u);
  for (const auto& f : tx)
    EXPECT_TRUE(expect_frame(f, Eth(Dst(kPeerMac)), Ipv4(Dst(kPeerIp), DontFrag(false))));
  auto r = reassemble_frames(tx);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(expect_frame(*r, Icmp(Type(t::kEchoReply), EchoId(1), EchoSeq(1), Payload(data))));
  EXPECT_EQ(counter(Counter::IpReasmReqds), 41u);
  EXPECT_EQ(counter(Counter::IpReasmOKs), 1u);
  EXPECT_EQ(counter(Counter::IpFragOKs), 1u);
  EXPECT_EQ(counter(Counter::IpFragCreates), 41u);
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 1u);
}

TEST_F(IcmpPacket, FragmentsOutOfOrderReassemble) {
  auto data = pattern(60000, 1);
  auto frags = fragment_frame(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 2, 5, data));
  std::reverse(frags.begin(), frags.end());
  std::swap(frags[3], frags[20]);
  send_all(frags);
  auto r = reassembled_reply();
  EXPECT_TRUE(expect_frame(r, Icmp(Type(t::kEchoReply), EchoId(2), EchoSeq(5), Payload(data))));
  EXPECT_EQ(counter(Counter::IpReasmOKs), 1u);
}

TEST_F(IcmpPacket, ExactDuplicateFragmentIsDroppedDatagramStillCompletes) {
  auto data = pattern(4000);
  auto frags = fragment_frame(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 3, 1, data));
  ASSERT_EQ(frags.size(), 3u);
  send(frags[0]);
  send(frags[1]);
  send(frags[1]);
  send(frags[2]);
  auto r = reassembled_reply();
  EXPECT_TRUE(expect_frame(r, Icmp(Type(t::kEchoReply), Payload(data))));
  EXPECT_EQ(dropped(DropReason::kIpFragDuplicate), 1u);
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 1u);
}

TEST_F(IcmpPacket, OverlappingFragmentDropsTheDatagram) {
  auto data = pattern(4000);
  auto frame = eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 3, 1, data);
  auto frags = fragment_frame(frame);
  // A second fragment that starts 8 bytes into the first one's data, with
  // different bytes there (Linux and RFC 5722 discard the whole datagram).
  auto eth = wire::EthernetView<const uint8_t>::checked(frame);
  Bytes ip(eth->payload().begin(), eth->payload().end());
  Bytes shifted(ip.begin(), ip.begin() + 20);
  shifted.insert(shifted.end(), ip.begin() + 20 + 1480 - 8, ip.end());
  shifted[20] ^= 0xff;
  wire::Ipv4View<uint8_t> v(shifted);
  v.set_total_len(static_cast<uint16_t>(shifted.size()));
  auto overlap = fragment_ipv4(shifted, 1500);
  // Re-base: offset 1472, MF set (more follows).
  Bytes o = overlap[0];
  store_be16(o.data() + 6, static_cast<uint16_t>(wire::kIpv4FlagMf | (1472 / 8)));
  wire::Ipv4View<uint8_t>(std::span<uint8_t>(o)).fill_checksum();
  send(frags[0]);
  send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, o));
  send(frags[1]);
  send(frags[2]);
  auto tx = run();
  for (const auto& f : tx)
    EXPECT_FALSE(expect_frame(f, Icmp(Type(t::kEchoReply)))) << "reply to an overlapped datagram";
  EXPECT_GE(dropped(DropReason::kIpFragOverlap), 1u);
  EXPECT_GE(counter(Counter::IpReasmFails), 1u);
  EXPECT_EQ(counter(Counter::IpReasmOKs), 0u);
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 0u);
}

TEST_F(IcmpPacket, ReassemblyTimeoutSendsTimeExceeded) {
  auto data = pattern(3000);
  auto frags = fragment_frame(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 4, 1, data));
  send(frags[0]);  // offset 0 only: RFC 792 needs fragment zero to answer
  EXPECT_TRUE(run().empty());
  advance(cfg.ip.reasm_timeout - Duration::millis(1));
  EXPECT_TRUE(run().empty()) << "time exceeded before the reassembly timeout";
  advance(Duration::millis(1));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(kPeerMac)), Ipv4(Src(kStackIp), Dst(kPeerIp)),
                           Icmp(Type(t::kTimeExceeded),
                                Code(wire::icmpv4_time_exceeded::kFragReassembly))));
  // RFC 792: the quote is the first fragment's IP header and 64 bits of data.
  auto f = parse_frame(tx[0]);
  auto ip0 = std::span<const uint8_t>(frags[0]).subspan(wire::kEthernetHeaderLen, 28);
  ASSERT_GE(f.l4_payload.size(), 28u);
  EXPECT_TRUE(std::ranges::equal(f.l4_payload.first(28), ip0));
  EXPECT_EQ(counter(Counter::IpReasmTimeout), 1u);
  EXPECT_EQ(counter(Counter::IcmpOutTimeExcds), 1u);
}

TEST_F(IcmpPacket, ReassemblyTimeoutWithoutFirstFragmentIsSilent) {
  auto frags = fragment_frame(
      eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 4, 1, pattern(3000)));
  send(frags[1]);
  run();
  advance(cfg.ip.reasm_timeout);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::IpReasmTimeout), 1u);
  EXPECT_EQ(counter(Counter::IcmpOutTimeExcds), 0u);
}

TEST_F(IcmpPacket, EchoToBroadcastIsIgnored) {
  send(eth_icmp_echo(kPeerMac, MacAddr::broadcast(), kPeerIp, kSubnetBroadcast, 1, 1, pattern(8)));
  send(eth_icmp_echo(kPeerMac, MacAddr::broadcast(), kPeerIp, Ipv4Addr::broadcast(), 1, 2,
                     pattern(8)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIcmpEchoToBroadcast), 2u);
  EXPECT_EQ(counter(Counter::IcmpOutEchoReps), 0u);
}

}  // namespace
}  // namespace stackd::testsupport
