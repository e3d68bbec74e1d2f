#include <gtest/gtest.h>

#include "ip_test_util.h"

namespace stackd::ip::testing {
namespace {

constexpr uint8_t kTestProto = 253;  // RFC 3692 experimentation

class Ipv4Input : public IpFixture {
 protected:
  void SetUp() override { ip().register_protocol(kTestProto, handler); }
  buf::PacketBuf good(std::vector<uint8_t> payload = {1, 2, 3, 4, 5, 6, 7, 8}) {
    return packet(hdr(kTestProto), payload);
  }
  RecordingHandler handler;
};

TEST_F(Ipv4Input, DeliversToProtocolHandler) {
  rx(good());
  ASSERT_EQ(handler.inputs.size(), 1u);
  const auto& in = handler.inputs[0];
  EXPECT_EQ(in.payload, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(in.meta.src, A("10.0.0.1"));
  EXPECT_EQ(in.meta.dst, A("10.0.0.2"));
  EXPECT_EQ(in.meta.ifindex, 1);
  EXPECT_EQ(in.meta.ttl, 64);
  EXPECT_FALSE(in.meta.dst_broadcast);
  EXPECT_EQ(counters[Counter::IpInReceives], 1u);
  EXPECT_EQ(counters[Counter::IpInDelivers], 1u);
  EXPECT_EQ(counters[Counter::IpExtInOctets], 28u);
  EXPECT_EQ(drops.total(), 0u);
}

TEST_F(Ipv4Input, TrimsEthernetPadding) {
  rx(packet(hdr(kTestProto), std::vector<uint8_t>{9, 9}, 26));
  ASSERT_EQ(handler.inputs.size(), 1u);
  EXPECT_EQ(handler.inputs[0].payload.size(), 2u);
}

TEST_F(Ipv4Input, TtlZeroIsDeliveredToAHost) {
  auto h = hdr(kTestProto);
  h.ttl = 0;
  rx(packet(h, std::vector<uint8_t>{1}));
  EXPECT_EQ(handler.inputs.size(), 1u);
}

TEST_F(Ipv4Input, WeakHostAcceptsAddressOfOtherInterface) {
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("192.168.1.2")), std::vector<uint8_t>{1}));
  EXPECT_EQ(handler.inputs.size(), 1u);
}

TEST_F(Ipv4Input, HeaderErrors) {
  struct Case {
    const char* name;
    void (*mangle)(buf::PacketBuf&);
    DropReason reason;
    Counter counter;
  };
  const Case cases[] = {
      {"truncated", [](buf::PacketBuf& p) { p.trim(19); }, DropReason::kIpTruncated,
       Counter::IpExtInTruncatedPkts},
      {"version", [](buf::PacketBuf& p) { p.data()[0] = 0x65; }, DropReason::kIpBadVersion,
       Counter::IpInHdrErrors},
      {"ihl", [](buf::PacketBuf& p) { p.data()[0] = 0x44; }, DropReason::kIpBadIhl,
       Counter::IpInHdrErrors},
      {"total length > buffer", [](buf::PacketBuf& p) { store_be16(p.data() + 2, 200); },
       DropReason::kIpBadTotalLength, Counter::IpExtInTruncatedPkts},
      {"total length < ihl", [](buf::PacketBuf& p) { store_be16(p.data() + 2, 12); },
       DropReason::kIpBadTotalLength, Counter::IpExtInTruncatedPkts},
      {"checksum", [](buf::PacketBuf& p) { p.data()[10] ^= 0x55; }, DropReason::kIpBadChecksum,
       Counter::IpInHdrErrors},
  };
  for (const auto& c : cases) {
    DropStats before = drops;
    uint64_t cnt = counters[c.counter];
    buf::PacketBuf p = good();
    c.mangle(p);
    rx(std::move(p));
    EXPECT_EQ(drops[c.reason], before[c.reason] + 1) << c.name;
    EXPECT_EQ(counters[c.counter], cnt + 1) << c.name;
  }
  EXPECT_EQ(counters[Counter::IpExtInCsumErrors], 1u);
  EXPECT_TRUE(handler.inputs.empty());
}

TEST_F(Ipv4Input, BadSourceAddresses) {
  // RFC 1122 §3.2.1.3.
  for (const char* src : {"255.255.255.255", "224.0.0.5", "10.0.0.255", "127.0.0.1", "240.0.0.1"}) {
    rx(packet(hdr(kTestProto, A(src)), std::vector<uint8_t>{1}));
  }
  EXPECT_EQ(drops[DropReason::kIpBadSource], 5u);
  EXPECT_EQ(counters[Counter::IpInAddrErrors], 5u);
  EXPECT_TRUE(handler.inputs.empty());
  // 0.0.0.0 is a legal source (RFC 1122 §3.2.1.3 (a): BOOTP/DHCP).
  rx(packet(hdr(kTestProto, A("0.0.0.0")), std::vector<uint8_t>{1}));
  EXPECT_EQ(handler.inputs.size(), 1u);
}

TEST_F(Ipv4Input, DestinationNotOursIsDropped) {
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("10.0.0.3")), std::vector<uint8_t>{1}));
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("239.1.1.1")), std::vector<uint8_t>{1}));  // not joined
  EXPECT_EQ(drops[DropReason::kIpNotForUs], 2u);
  EXPECT_EQ(counters[Counter::IpInAddrErrors], 2u);
  EXPECT_TRUE(l2.sent.empty());  // no forwarding, no ICMP
}

TEST_F(Ipv4Input, BroadcastAndMulticastDestinations) {
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("255.255.255.255")), std::vector<uint8_t>{1}),
     l2::LinkCast::kBroadcast);
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("10.0.0.255")), std::vector<uint8_t>{1}),
     l2::LinkCast::kBroadcast);
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("224.0.0.1")), std::vector<uint8_t>{1}),
     l2::LinkCast::kMulticast);
  eth.mcast_macs.push_back({{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}});
  rx(packet(hdr(kTestProto, A("10.0.0.1"), A("239.1.1.1")), std::vector<uint8_t>{1}),
     l2::LinkCast::kMulticast);
  ASSERT_EQ(handler.inputs.size(), 4u);
  EXPECT_TRUE(handler.inputs[0].meta.dst_broadcast);
  EXPECT_TRUE(handler.inputs[1].meta.dst_broadcast);
  EXPECT_TRUE(handler.inputs[2].meta.dst_multicast);
  EXPECT_TRUE(handler.inputs[3].meta.dst_multicast);
  EXPECT_EQ(counters[Counter::IpExtInBcastPkts], 2u);
  EXPECT_EQ(counters[Counter::IpExtInMcastPkts], 2u);
}

TEST_F(Ipv4Input, LinkBroadcastWithUnicastDestinationIsMartian) {
  // RFC 1122 §3.3.6.
  rx(good(), l2::LinkCast::kBroadcast);
  EXPECT_EQ(drops[DropReason::kIpMartianDest], 1u);
  EXPECT_TRUE(handler.inputs.empty());
}

TEST_F(Ipv4Input, UnknownProtocolSendsProtocolUnreachable) {
  std::vector<uint8_t> payload(100, 0xab);
  rx(packet(hdr(99), payload));
  EXPECT_EQ(drops[DropReason::kIpUnknownProtocol], 1u);
  EXPECT_EQ(counters[Counter::IpInUnknownProtos], 1u);
  ASSERT_EQ(l2.sent.size(), 1u);
  Out o = sent(0);
  EXPECT_EQ(o.ip.dst, A("10.0.0.1"));
  EXPECT_EQ(o.ip.src, A("10.0.0.2"));
  EXPECT_EQ(o.ip.protocol, 1);
  EXPECT_EQ(o.next_hop, A("10.0.0.1"));
  auto icmp = wire::Icmpv4Repr::parse(o.payload);
  ASSERT_TRUE(icmp.ok());
  auto* du = std::get_if<wire::Icmpv4DestUnreachable>(&icmp->msg);
  ASSERT_NE(du, nullptr);
  EXPECT_EQ(du->code, wire::icmpv4_unreach::kProtocol);
  // The quote: the whole offending datagram (it is under 576 bytes).
  buf::PacketBuf orig = packet(hdr(99), payload);
  EXPECT_TRUE(std::equal(du->invoking.begin(), du->invoking.end(), orig.bytes().begin(),
                         orig.bytes().end()));
  EXPECT_EQ(counters[Counter::IcmpOutDestUnreachs], 1u);
}

TEST_F(Ipv4Input, QuoteIsBoundedTo576Bytes) {
  std::vector<uint8_t> payload(1400, 0xcd);
  rx(packet(hdr(99), payload));
  ASSERT_EQ(l2.sent.size(), 1u);
  EXPECT_EQ(l2.sent[0].pkt.size(), 576u);
}

TEST_F(Ipv4Input, NoProtocolUnreachableForBroadcast) {
  rx(packet(hdr(99, A("10.0.0.1"), A("10.0.0.255")), std::vector<uint8_t>(8)),
     l2::LinkCast::kBroadcast);
  rx(packet(hdr(99, A("10.0.0.1"), A("224.0.0.1")), std::vector<uint8_t>(8)),
     l2::LinkCast::kMulticast);
  EXPECT_EQ(drops[DropReason::kIpUnknownProtocol], 2u);
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(Ipv4Input, FragmentsAreReassembledBeforeDelivery) {
  std::vector<uint8_t> data(3000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  auto h = hdr(kTestProto);
  h.ident = 77;
  h.more_frags = true;
  h.frag_offset = 1480;
  rx(packet(h, std::span<const uint8_t>(data).subspan(1480, 1480)));
  h.frag_offset = 2960;
  h.more_frags = false;
  rx(packet(h, std::span<const uint8_t>(data).subspan(2960)));
  EXPECT_TRUE(handler.inputs.empty());
  h.frag_offset = 0;
  h.more_frags = true;
  rx(packet(h, std::span<const uint8_t>(data).first(1480)));
  ASSERT_EQ(handler.inputs.size(), 1u);
  EXPECT_EQ(handler.inputs[0].payload, data);
  EXPECT_TRUE(handler.inputs[0].meta.reassembled);
  EXPECT_EQ(counters[Counter::IpReasmOKs], 1u);
  EXPECT_EQ(counters[Counter::IpInDelivers], 1u);
}

TEST_F(Ipv4Input, ReassemblyTimeoutSendsTimeExceededOnlyWithFirstFragment) {
  auto h = hdr(kTestProto);
  h.ident = 5;
  h.more_frags = true;
  rx(packet(h, std::vector<uint8_t>(16, 1)));  // first fragment of datagram 5
  h.ident = 6;
  h.frag_offset = 16;
  rx(packet(h, std::vector<uint8_t>(16, 2)));  // a non-first fragment of datagram 6
  EXPECT_EQ(ip().poll_at(), clock.now() + cfg.reasm_timeout);
  clock.advance(cfg.reasm_timeout);
  ip().poll(clock.now());
  EXPECT_EQ(counters[Counter::IpReasmTimeout], 2u);
  ASSERT_EQ(l2.sent.size(), 1u);
  Out o = sent(0);
  auto icmp = wire::Icmpv4Repr::parse(o.payload);
  ASSERT_TRUE(icmp.ok());
  auto* te = std::get_if<wire::Icmpv4TimeExceeded>(&icmp->msg);
  ASSERT_NE(te, nullptr);
  EXPECT_EQ(te->code, wire::icmpv4_time_exceeded::kFragReassembly);
  ASSERT_EQ(te->invoking.size(), 28u);  // header + 8 bytes
  wire::Ipv4View<const uint8_t> q(te->invoking);
  EXPECT_EQ(q.ident(), 5);
  EXPECT_EQ(te->invoking[20], 1);
}

TEST_F(Ipv4Input, Ipv6IsCountedAndDropped) {
  buf::PacketBuf p = heap.alloc(40);
  ip().ipv6_input(eth, std::move(p), l2::LinkCast::kUnicast, clock.now());
  EXPECT_EQ(drops[DropReason::kIp6NotSupported], 1u);
}

}  // namespace
}  // namespace stackd::ip::testing
