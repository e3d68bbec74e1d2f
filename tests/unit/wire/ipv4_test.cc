#include "wire/ipv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "hex.h"
#include "wire/ethernet.h"

namespace stackd::wire {
namespace {

using test::hex;

std::vector<uint8_t> ping_ip() {
  auto f = hex(test::kPingFrame);
  return {f.begin() + 14, f.end()};
}

TEST(Ipv4, ParsesCapturedPing) {
  auto p = ping_ip();
  auto v = Ipv4View<const uint8_t>::checked(p);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header_len(), 20u);
  EXPECT_EQ(v->checksum(), 0x0a61);
  EXPECT_TRUE(v->options().empty());
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src.to_string(), "10.0.0.1");
  EXPECT_EQ(r->dst.to_string(), "10.0.0.2");
  EXPECT_EQ(r->protocol, ip_proto::kIcmp);
  EXPECT_EQ(r->ttl, 64);
  EXPECT_EQ(r->payload_len, 64);
  EXPECT_EQ(r->ident, 0x1c46);
  EXPECT_TRUE(r->dont_frag);
  EXPECT_FALSE(r->more_frags);
  EXPECT_EQ(r->frag_offset, 0);
}

TEST(Ipv4, EmitReproducesCapture) {
  auto p = ping_ip();
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r);
  std::vector<uint8_t> out(20);
  r->emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), p.begin()));
}

TEST(Ipv4, FieldsRoundTrip) {
  Ipv4Repr r;
  r.src = *Ipv4Addr::parse("192.0.2.1");
  r.dst = *Ipv4Addr::parse("198.51.100.7");
  r.protocol = ip_proto::kUdp;
  r.ttl = 3;
  r.payload_len = 1480;
  r.ident = 0xbeef;
  r.dscp = 46;
  r.ecn = 1;
  r.more_frags = true;
  r.frag_offset = 8 * 8191;
  std::vector<uint8_t> out(20 + 1480);
  r.emit(out);
  auto v = Ipv4View<const uint8_t>::checked(out);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_fragment());
  EXPECT_EQ(v->dscp(), 46);
  EXPECT_EQ(*Ipv4Repr::parse(out), r);
}

TEST(Ipv4, TrailingLinkPaddingIsNotPayload) {
  auto p = ping_ip();
  p.resize(p.size() + 6, 0);
  auto v = Ipv4View<const uint8_t>::checked(p);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload().size(), 64u);
}

TEST(Ipv4, OptionsAreSkipped) {
  // IHL 6 with a 4-byte Router Alert option (RFC 2113), total 28.
  auto h = hex("4600 001c 0000 0000 0102 0000 0a000001 e0000016 94040000 0102030405060708");
  std::span<uint8_t> hs(h.data(), 24);
  Ipv4View<uint8_t> mv(hs);
  mv.fill_checksum();
  auto v = Ipv4View<const uint8_t>::checked(h);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header_len(), 24u);
  ASSERT_EQ(v->options().size(), 4u);
  EXPECT_EQ(v->options()[0], 0x94);
  ASSERT_EQ(v->payload().size(), 4u);
  EXPECT_EQ(v->payload()[0], 0x01);
  auto r = Ipv4Repr::parse(h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload_len, 4);
}

TEST(Ipv4, EveryTruncation) {
  auto p = ping_ip();
  for (size_t n = 0; n < p.size(); ++n) {
    auto r = Ipv4Repr::parse(std::span<const uint8_t>(p.data(), n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error(), n < 20 ? DropReason::kIpTruncated : DropReason::kIpBadTotalLength) << n;
  }
}

TEST(Ipv4, BadVersionBeforeIhl) {
  auto p = ping_ip();
  p[0] = 0x65;
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadVersion);
  p[0] = 0x63;  // both wrong: version is checked first (RFC 1122 §3.2.1.1)
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadVersion);
}

TEST(Ipv4, BadIhl) {
  auto p = ping_ip();
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    p[0] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadIhl) << int(ihl);
  }
  // IHL 15 = 60 bytes: more than the 24-byte buffer holds.
  p[0] = 0x4f;
  EXPECT_EQ(Ipv4Repr::parse(std::span<const uint8_t>(p.data(), 24)).error(),
            DropReason::kIpTruncated);
  // IHL 15 but total length 40: header longer than the datagram.
  store_be16(&p[2], 40);
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadTotalLength);
}

TEST(Ipv4, BadTotalLength) {
  auto p = ping_ip();
  store_be16(&p[2], 19);
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadTotalLength);
  store_be16(&p[2], static_cast<uint16_t>(p.size() + 1));
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadTotalLength);
  store_be16(&p[2], 20);  // header only, but the checksum is now wrong
  EXPECT_EQ(Ipv4Repr::parse(p).error(), DropReason::kIpBadChecksum);
}

TEST(Ipv4, BadChecksumUnlessOffloaded) {
  auto p = ping_ip();
  for (size_t i = 0; i < 20; ++i) {
    if (i == 0 || i == 2 || i == 3) continue;  // those fail structural checks first
    auto b = p;
    b[i] ^= 0x01;
    EXPECT_EQ(Ipv4Repr::parse(b).error(), DropReason::kIpBadChecksum) << i;
    EXPECT_TRUE(Ipv4Repr::parse(b, ChecksumCheck::kSkip)) << i;
  }
}

TEST(Ipv4, DecrementTtlKeepsChecksumValid) {
  auto p = ping_ip();
  Ipv4View<uint8_t> v(std::span<uint8_t>(p.data(), p.size()));
  for (int i = 0; i < 64; ++i) {
    v.decrement_ttl();
    ASSERT_TRUE(v.verify_checksum()) << i;
  }
  EXPECT_EQ(v.ttl(), 0);
}

TEST(Ipv4, SettersAndConstConversion) {
  auto p = ping_ip();
  Ipv4View<uint8_t> v(std::span<uint8_t>(p.data(), p.size()));
  v.set_src(*Ipv4Addr::parse("10.9.9.9"));
  v.set_dst(*Ipv4Addr::parse("10.8.8.8"));
  v.set_ttl(1);
  v.set_protocol(ip_proto::kTcp);
  v.set_ident(7);
  v.set_dscp_ecn(10, 3);
  v.fill_checksum();
  Ipv4View<const uint8_t> c = v;
  EXPECT_TRUE(c.verify_checksum());
  auto r = Ipv4Repr::parse(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src.to_string(), "10.9.9.9");
  EXPECT_EQ(r->dst.to_string(), "10.8.8.8");
  EXPECT_EQ(r->protocol, ip_proto::kTcp);
  EXPECT_EQ(r->ident, 7);
  EXPECT_EQ(r->dscp, 10);
  EXPECT_EQ(r->ecn, 3);
}

}  // namespace
}  // namespace stackd::wire
