#include <gtest/gtest.h>

#include "ip_test_util.h"

namespace stackd::ip::testing {
namespace {

using IcmpTest = IpFixture;

TEST_F(IcmpTest, EchoRequestGetsReply) {
  auto req = echo_request(0x4242, 7, 56);
  rx(packet(hdr(1), req));
  ASSERT_EQ(l2.sent.size(), 1u);
  Out o = sent(0);  // re-parses: IP checksum verified
  EXPECT_EQ(o.ip.src, A("10.0.0.2"));
  EXPECT_EQ(o.ip.dst, A("10.0.0.1"));
  EXPECT_EQ(o.ip.ttl, cfg.default_ttl);
  EXPECT_EQ(o.next_hop, A("10.0.0.1"));
  auto icmp = wire::Icmpv4Repr::parse(o.payload);  // ICMP checksum verified
  ASSERT_TRUE(icmp.ok());
  auto* e = std::get_if<wire::Icmpv4Echo>(&icmp->msg);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->reply);
  EXPECT_EQ(e->id, 0x4242);
  EXPECT_EQ(e->seq, 7);
  EXPECT_TRUE(std::equal(e->data.begin(), e->data.end(), req.begin() + 8, req.end()));
  EXPECT_EQ(counters[Counter::IcmpInEchos], 1u);
  EXPECT_EQ(counters[Counter::IcmpOutEchoReps], 1u);
  EXPECT_EQ(counters[Counter::IcmpInMsgs], 1u);
  EXPECT_EQ(counters[Counter::IcmpOutMsgs], 1u);
}

TEST_F(IcmpTest, EchoRepliesAreNotRateLimited) {
  for (int i = 0; i < 20; ++i) rx(packet(hdr(1), echo_request(1, static_cast<uint16_t>(i), 8)));
  EXPECT_EQ(l2.sent.size(), 20u);
}

TEST_F(IcmpTest, EchoToBroadcastIsIgnored) {
  rx(packet(hdr(1, A("10.0.0.1"), A("10.0.0.255")), echo_request(1, 1, 8)),
     l2::LinkCast::kBroadcast);
  rx(packet(hdr(1, A("10.0.0.1"), A("255.255.255.255")), echo_request(1, 1, 8)),
     l2::LinkCast::kBroadcast);
  rx(packet(hdr(1, A("10.0.0.1"), A("224.0.0.1")), echo_request(1, 1, 8)),
     l2::LinkCast::kMulticast);
  EXPECT_EQ(drops[DropReason::kIcmpEchoToBroadcast], 3u);
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(IcmpTest, BadChecksumAndTruncated) {
  auto req = echo_request(1, 1, 8);
  req[9] ^= 1;
  rx(packet(hdr(1), req));
  rx(packet(hdr(1), std::vector<uint8_t>{8, 0, 0}));
  EXPECT_EQ(drops[DropReason::kIcmpBadChecksum], 1u);
  EXPECT_EQ(drops[DropReason::kIcmpTruncated], 1u);
  EXPECT_EQ(counters[Counter::IcmpInCsumErrors], 1u);
  EXPECT_EQ(counters[Counter::IcmpInErrors], 2u);
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(IcmpTest, UnknownTypeDropped) {
  wire::Icmpv4Repr r{wire::Icmpv4Other{42, 0, 0, {}}};
  rx(packet(hdr(1), icmp_bytes(r)));
  EXPECT_EQ(drops[DropReason::kIcmpUnknownType], 1u);
}

TEST_F(IcmpTest, ReceivedErrorsGoToTheQuotedProtocol) {
  RecordingHandler udp;
  ip().register_protocol(17, udp);
  // A datagram we sent: 10.0.0.2:5000 -> 10.0.0.1:53.
  std::vector<uint8_t> l4 = {0x13, 0x88, 0x00, 0x35, 0x00, 0x10, 0x00, 0x00};
  buf::PacketBuf quoted = packet(hdr(17, A("10.0.0.2"), A("10.0.0.1")), l4);
  std::vector<uint8_t> q(quoted.bytes().begin(), quoted.bytes().end());
  wire::Icmpv4Repr du{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kPort, 0, q}};
  rx(packet(hdr(1), icmp_bytes(du)));
  wire::Icmpv4Repr fn{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kFragNeeded, 1400, q}};
  rx(packet(hdr(1), icmp_bytes(fn)));
  wire::Icmpv4Repr te{wire::Icmpv4TimeExceeded{0, q}};
  rx(packet(hdr(1), icmp_bytes(te)));
  ASSERT_EQ(udp.errors.size(), 3u);
  EXPECT_EQ(udp.errors[0].type, 3);
  EXPECT_EQ(udp.errors[0].code, 3);
  EXPECT_EQ(udp.errors[0].src, A("10.0.0.2"));
  EXPECT_EQ(udp.errors[0].dst, A("10.0.0.1"));
  EXPECT_EQ(udp.errors[0].reporter, A("10.0.0.1"));
  EXPECT_EQ(udp.error_l4[0], l4);
  EXPECT_EQ(udp.errors[1].info, 1400u);
  EXPECT_EQ(udp.errors[2].type, 11);
  EXPECT_EQ(counters[Counter::IcmpInDestUnreachs], 2u);
  EXPECT_EQ(counters[Counter::IcmpInTimeExcds], 1u);
  // A quote shorter than header + 8 bytes is not dispatched.
  wire::Icmpv4Repr bad{wire::Icmpv4DestUnreachable{3, 0, std::span(q).first(24)}};
  rx(packet(hdr(1), icmp_bytes(bad)));
  EXPECT_EQ(udp.errors.size(), 3u);
  EXPECT_EQ(drops[DropReason::kIcmpTruncated], 1u);
}

class IcmpErrorRules : public IpFixture {
 protected:
  Ipv4RxMeta about(const wire::Ipv4Repr& h, std::vector<uint8_t> payload) {
    buf::PacketBuf p = packet(h, payload);
    quote_.assign(p.bytes().begin(), p.bytes().end());
    Ipv4RxMeta m;
    m.src = h.src;
    m.dst = h.dst;
    m.protocol = h.protocol;
    m.ifindex = 1;
    m.quote = quote_;
    return m;
  }
  std::vector<uint8_t> quote_;
};

TEST_F(IcmpErrorRules, NeverAboutAnIcmpError) {
  std::vector<uint8_t> invoking(28);
  wire::Icmpv4Repr te{wire::Icmpv4TimeExceeded{0, invoking}};
  auto m = about(hdr(1), icmp_bytes(te));
  EXPECT_FALSE(ip().icmp().send_dest_unreachable(3, m, clock.now()));
  // ... but an error about an echo request is fine.
  auto m2 = about(hdr(1), echo_request(1, 1, 8));
  EXPECT_TRUE(ip().icmp().send_dest_unreachable(3, m2, clock.now()));
  EXPECT_EQ(l2.sent.size(), 1u);
}

TEST_F(IcmpErrorRules, NeverAboutANonFirstFragment) {
  auto h = hdr(17);
  h.frag_offset = 1480;
  auto m = about(h, std::vector<uint8_t>(16));
  EXPECT_FALSE(ip().icmp().send_dest_unreachable(3, m, clock.now()));
  h.frag_offset = 0;
  h.more_frags = true;
  auto m2 = about(h, std::vector<uint8_t>(16));
  EXPECT_TRUE(ip().icmp().send_dest_unreachable(3, m2, clock.now()));
}

TEST_F(IcmpErrorRules, NeverAboutBroadcastOrNonUnicastSource) {
  auto m = about(hdr(17), std::vector<uint8_t>(8));
  m.dst_broadcast = true;
  EXPECT_FALSE(ip().icmp().send_dest_unreachable(3, m, clock.now()));
  m = about(hdr(17), std::vector<uint8_t>(8));
  m.cast = l2::LinkCast::kMulticast;
  EXPECT_FALSE(ip().icmp().send_dest_unreachable(3, m, clock.now()));
  for (const char* src : {"0.0.0.0", "10.0.0.255", "224.1.1.1", "127.0.0.1"}) {
    m = about(hdr(17, A(src)), std::vector<uint8_t>(8));
    EXPECT_FALSE(ip().icmp().send_dest_unreachable(3, m, clock.now())) << src;
  }
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(IcmpErrorRules, RateLimitedPerHostAndGlobally) {
  auto m = about(hdr(17), std::vector<uint8_t>(8));
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += ip().icmp().send_dest_unreachable(3, m, clock.now());
  EXPECT_EQ(ok, 6);  // burst of six per host (Linux XRLIM_BURST_FACTOR)
  EXPECT_EQ(counters[Counter::IcmpOutRateLimitHost], 4u);
  EXPECT_EQ(drops[DropReason::kIcmpRateLimited], 4u);
  clock.advance(Duration::millis(cfg.icmp_ratelimit_ms));
  EXPECT_TRUE(ip().icmp().send_dest_unreachable(3, m, clock.now()));
  // The global bucket: many hosts at once.
  int sent_global = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    auto mi = about(hdr(17, Ipv4Addr{A("10.0.0.10").v + (i % 200)}), std::vector<uint8_t>(8));
    sent_global += ip().icmp().send_dest_unreachable(3, mi, clock.now());
  }
  EXPECT_LT(sent_global, 200);
  EXPECT_GT(counters[Counter::IcmpOutRateLimitGlobal], 0u);
}

TEST_F(IcmpErrorRules, FragmentationNeededCarriesMtu) {
  auto m = about(hdr(17), std::vector<uint8_t>(8));
  ASSERT_TRUE(ip().icmp().send_dest_unreachable(wire::icmpv4_unreach::kFragNeeded, m,
                                                clock.now(), 1280));
  auto icmp = wire::Icmpv4Repr::parse(sent(0).payload);
  ASSERT_TRUE(icmp.ok());
  auto* du = std::get_if<wire::Icmpv4DestUnreachable>(&icmp->msg);
  ASSERT_NE(du, nullptr);
  EXPECT_EQ(du->code, 4);
  EXPECT_EQ(du->next_hop_mtu, 1280);
}

}  // namespace
}  // namespace stackd::ip::testing
