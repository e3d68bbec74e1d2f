#include <gtest/gtest.h>

#include <vector>

#include "hex.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"

namespace stackd::wire {
namespace {

using test::hex;

// 2001:db8::1 > 2001:db8::2: ICMP6 echo request id 0x1234 seq 1 "abcdefgh".
const char* kIp6Echo =
    "60000000 0010 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
    "80008075123400016162636465666768";

TEST(Ipv6, ParsesCapture) {
  auto p = hex(kIp6Echo);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src.to_string(), "2001:db8::1");
  EXPECT_EQ(r->dst.to_string(), "2001:db8::2");
  EXPECT_EQ(r->next_header, ip_proto::kIcmpv6);
  EXPECT_EQ(r->hop_limit, 64);
  EXPECT_EQ(r->payload_len, 16);
  std::vector<uint8_t> out(40);
  r->emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), p.begin()));
}

TEST(Ipv6, TrafficClassAndFlowLabel) {
  Ipv6Repr r;
  r.traffic_class = 0xb8;
  r.flow_label = 0xabcde;
  r.payload_len = 0;
  std::vector<uint8_t> out(40);
  r.emit(out);
  EXPECT_EQ(load_be32(out.data()), 0x6b8abcdeu);
  EXPECT_EQ(*Ipv6Repr::parse(out), r);
}

TEST(Ipv6, Malformed) {
  auto p = hex(kIp6Echo);
  for (size_t n = 0; n < 40; ++n)
    EXPECT_EQ(Ipv6Repr::parse(std::span<const uint8_t>(p.data(), n)).error(),
              DropReason::kIp6Truncated);
  for (size_t n = 40; n < p.size(); ++n)
    EXPECT_EQ(Ipv6Repr::parse(std::span<const uint8_t>(p.data(), n)).error(),
              DropReason::kIp6BadPayloadLength);
  auto b = p;
  b[0] = 0x40;
  EXPECT_EQ(Ipv6Repr::parse(b).error(), DropReason::kIp6BadVersion);
  // Link padding after the payload is not payload.
  b = p;
  b.resize(b.size() + 10);
  EXPECT_EQ(Ipv6View<const uint8_t>::checked(b)->payload().size(), 16u);
}

TEST(Ipv6Ext, OptionReaderWalksTlvs) {
  // Hop-by-Hop: next 58, len 0 (8 bytes): Router Alert (MLD) + PadN(0).
  auto h = hex("3a00 05020000 0100");
  Ipv6OptionReader rd(h);
  auto o = rd.next();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->type, ipv6_opt::kRouterAlert);
  EXPECT_EQ(o->offset, 2u);
  EXPECT_EQ(o->data.size(), 2u);
  EXPECT_EQ(o->action(), Ipv6OptAction::kSkip);
  EXPECT_FALSE(rd.next());
  EXPECT_FALSE(rd.malformed());
  auto r = Ipv6OptionsHeaderRepr::parse(h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->next_header, ip_proto::kIcmpv6);
  std::vector<uint8_t> out(r->header_len());
  r->emit(out);
  EXPECT_EQ(out, h);
}

TEST(Ipv6Ext, UnknownOptionActionBits) {
  // Pad1, Pad1, then types 0x3e (00), 0x7e (01), 0xbe (10) ... over 16 bytes.
  auto h = hex("3b01 0000 3e00 7e00 be00 fe01ff 000000");  // 16 bytes
  Ipv6OptionReader rd(h);
  std::vector<Ipv6OptAction> acts;
  while (auto o = rd.next()) acts.push_back(o->action());
  EXPECT_FALSE(rd.malformed());
  EXPECT_EQ(acts, (std::vector<Ipv6OptAction>{Ipv6OptAction::kSkip, Ipv6OptAction::kDiscard,
                                               Ipv6OptAction::kDiscardIcmp,
                                               Ipv6OptAction::kDiscardIcmpIfUnicast}));
}

TEST(Ipv6Ext, MalformedOptionsAndTruncation) {
  auto h = hex("3a00 05050000 0100");  // Router Alert claims 5 bytes, 4 remain
  EXPECT_EQ(Ipv6OptionsHeaderRepr::parse(h).error(), DropReason::kIp6BadExtHeader);
  auto t = hex("3a00 010000000000");  // PadN whose length byte is the last byte
  t[7] = 1;
  t[6] = 1;
  EXPECT_EQ(Ipv6OptionsHeaderRepr::parse(t).error(), DropReason::kIp6BadExtHeader);
  auto g = hex("3a01 0000 00000000");  // len 1 = 16 bytes, only 8 present
  EXPECT_EQ(Ipv6OptionsHeaderRepr::parse(g).error(), DropReason::kIp6Truncated);
  EXPECT_EQ(Ipv6OptionsHeaderRepr::parse(std::span<const uint8_t>(g.data(), 1)).error(),
            DropReason::kIp6Truncated);
}

TEST(Ipv6Ext, RoutingHeaderTypeExposed) {
  // RH0 with one address (len 2 = 24 bytes), segments left 1.
  auto h = hex("06 02 00 01 00000000 20010db8000000000000000000000009");
  auto r = Ipv6RoutingRepr::parse(h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->routing_type, ipv6_routing::kType0);
  EXPECT_EQ(r->segments_left, 1);
  EXPECT_EQ(r->data.size(), 20u);
  std::vector<uint8_t> out(r->header_len());
  r->emit(out);
  EXPECT_EQ(out, h);
  EXPECT_EQ(Ipv6RoutingRepr::parse(std::span<const uint8_t>(h.data(), 23)).error(),
            DropReason::kIp6Truncated);
}

TEST(Ipv6Ext, FragmentHeader) {
  auto h = hex("11 00 05a9 deadbeef");  // UDP, offset 1448 (181*8), M=1
  auto r = Ipv6FragRepr::parse(h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->next_header, ip_proto::kUdp);
  EXPECT_EQ(r->frag_offset, 1448);
  EXPECT_TRUE(r->more_frags);
  EXPECT_EQ(r->ident, 0xdeadbeefu);
  std::vector<uint8_t> out(8);
  r->emit(out);
  EXPECT_EQ(out, h);
  EXPECT_EQ(Ipv6FragRepr::parse(std::span<const uint8_t>(h.data(), 7)).error(),
            DropReason::kIp6Truncated);
}

TEST(Ipv6Ext, ChainWalker) {
  // HbH(8) -> DestOpts(8) -> Routing(8, type 2 w/o data is not valid but
  // structure is fine) -> Fragment offset 0 -> TCP.
  auto p = hex("3c00 0100 00000000"   // HbH, next 60
               "2b00 0104 00000000"   // DestOpts, next 43
               "2c00 0200 00000000"   // Routing type 2, next 44
               "0600 0001 00000001"   // Fragment offset 0 M=1, next TCP
               "aabbccdd");
  auto c = walk_ipv6_chain(ip_proto::kHopByHop, p);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->upper_protocol, ip_proto::kTcp);
  EXPECT_EQ(c->upper_offset, 32u);
  EXPECT_FALSE(c->non_first_fragment);
  ASSERT_EQ(c->ext_count, 4);
  ASSERT_NE(c->find(ip_proto::kIpv6Frag), nullptr);
  EXPECT_EQ(c->find(ip_proto::kIpv6Frag)->offset, 24);
  EXPECT_EQ(c->find(ip_proto::kIpv6Route)->offset, 16);
  // Depth bound.
  EXPECT_EQ(walk_ipv6_chain(ip_proto::kHopByHop, p, 3).error(), DropReason::kIp6ExtChainTooLong);
  // Length bound.
  EXPECT_EQ(walk_ipv6_chain(ip_proto::kHopByHop, p, 8, 24).error(),
            DropReason::kIp6ExtChainTooLong);
  // Truncated in the middle of a header.
  for (size_t n = 0; n < 32; ++n)
    EXPECT_EQ(walk_ipv6_chain(ip_proto::kHopByHop, std::span<const uint8_t>(p.data(), n)).error(),
              DropReason::kIp6Truncated)
        << n;
  // Non-first fragment: stop at the fragment header.
  auto q = p;
  q[26] = 0x01;  // offset 256*8... -> non-zero
  auto c2 = walk_ipv6_chain(ip_proto::kHopByHop, q);
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->non_first_fragment);
  EXPECT_EQ(c2->upper_protocol, ip_proto::kTcp);
  EXPECT_EQ(c2->upper_offset, 32u);
  // Hop-by-Hop not first.
  auto h2 = hex("0000 0100 00000000 0600 0100 00000000");
  EXPECT_EQ(walk_ipv6_chain(ip_proto::kIpv6Opts, h2).error(), DropReason::kIp6BadExtHeader);
  // No Next Header ends the chain.
  auto nn = hex("3b00 0100 00000000");
  auto c3 = walk_ipv6_chain(ip_proto::kIpv6Opts, nn);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->upper_protocol, ip_proto::kIpv6NoNext);
  // No extension headers at all.
  auto c4 = walk_ipv6_chain(ip_proto::kUdp, {});
  ASSERT_TRUE(c4);
  EXPECT_EQ(c4->upper_offset, 0u);
  EXPECT_EQ(c4->ext_count, 0);
}

TEST(Ipv6Ext, ChainOfManyDestOptsIsBounded) {
  std::vector<uint8_t> p;
  for (int i = 0; i < 20; ++i) {
    auto h = hex("3c00 0104 00000000");
    p.insert(p.end(), h.begin(), h.end());
  }
  EXPECT_EQ(walk_ipv6_chain(ip_proto::kIpv6Opts, p).error(), DropReason::kIp6ExtChainTooLong);
}

}  // namespace
}  // namespace stackd::wire
