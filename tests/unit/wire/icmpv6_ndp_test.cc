#include <gtest/gtest.h>

#include <vector>

#include "hex.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"

namespace stackd::wire {
namespace {

using test::hex;

Ipv6Addr a6(const char* s) { return *Ipv6Addr::parse(s); }

// Checksums below computed independently (Python) over the pseudo-header.
const char* kEcho = "8000 8075 1234 0001 6162636465666768";  // 2001:db8::1 > ::2
const char* kNs =  // fe80::1 > ff02::1:ff00:2, who has fe80::2, SLLA 02:00:00:00:00:01
    "8700 7a97 00000000 fe800000000000000000000000000002 0101 020000000001";
const char* kNa =  // fe80::2 > fe80::1, S|O, TLLA 02:00:00:00:00:02
    "8800 181a 60000000 fe800000000000000000000000000002 0201 020000000002";
const char* kRa =  // fe80::1 > ff02::1: hop 64, O, lifetime 1800, SLLA, MTU 1500, 2001:db8::/64 LA
    "8600 eda9 40 40 0708 00000000 00000000"
    "0101 020000000001"
    "0501 0000 000005dc"
    "0304 40 c0 00278d00 00093a80 00000000 20010db8000000000000000000000000";

TEST(Icmpv6, EchoCaptureRoundTrip) {
  auto m = hex(kEcho);
  auto src = a6("2001:db8::1"), dst = a6("2001:db8::2");
  auto r = Icmpv6Repr::parse(m, src, dst);
  ASSERT_TRUE(r);
  const auto& e = std::get<Icmpv6Echo>(r->msg);
  EXPECT_FALSE(e.reply);
  EXPECT_EQ(e.id, 0x1234);
  EXPECT_EQ(e.seq, 1);
  EXPECT_EQ(e.data.size(), 8u);
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, src, dst);
  EXPECT_EQ(out, m);
  EXPECT_EQ(Icmpv6Repr::parse(m, src, a6("2001:db8::3")).error(), DropReason::kIcmpBadChecksum);
  m[9] ^= 1;
  EXPECT_EQ(Icmpv6Repr::parse(m, src, dst).error(), DropReason::kIcmpBadChecksum);
  EXPECT_TRUE(Icmpv6Repr::parse(m, src, dst, ChecksumCheck::kSkip));
  for (size_t n = 0; n < 8; ++n)
    EXPECT_EQ(Icmpv6Repr::parse(std::span<const uint8_t>(m.data(), n), src, dst).error(),
              DropReason::kIcmpTruncated);
}

TEST(Icmpv6, ErrorMessagesRoundTrip) {
  auto src = a6("2001:db8::fe"), dst = a6("2001:db8::1");
  auto inv = hex("60000000 0010 11 40 20010db8000000000000000000000001"
                 "20010db8000000000000000000000002 14e90035 0010 0000");
  std::vector<Icmpv6Repr> msgs = {
      {Icmpv6DestUnreachable{icmpv6_unreach::kPort, inv}},
      {Icmpv6PacketTooBig{1280, inv}},
      {Icmpv6TimeExceeded{0, inv}},
      {Icmpv6ParamProblem{icmpv6_param::kUnknownNextHeader, 6, inv}},
      {Icmpv6Other{icmpv6_type::kMldQuery, 0, 0x27100000, inv}},
  };
  const uint8_t types[] = {1, 2, 3, 4, 130};
  for (size_t i = 0; i < msgs.size(); ++i) {
    std::vector<uint8_t> out(msgs[i].buffer_len());
    msgs[i].emit(out, src, dst);
    EXPECT_EQ(out[0], types[i]);
    auto p = Icmpv6Repr::parse(out, src, dst);
    ASSERT_TRUE(p) << i;
    EXPECT_EQ(*p, msgs[i]) << i;
  }
  std::vector<uint8_t> out(msgs[1].buffer_len());
  msgs[1].emit(out, src, dst);
  EXPECT_EQ(load_be32(&out[4]), 1280u);
}

TEST(Ndp, NeighborSolicitCapture) {
  auto m = hex(kNs);
  auto src = a6("fe80::1"), dst = a6("ff02::1:ff00:2");
  auto ic = Icmpv6View<const uint8_t>::checked(m);
  ASSERT_TRUE(ic->verify_checksum(src, dst));
  auto r = NdpRepr::parse(*ic);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<NdpNeighborSolicit>(r->msg).target, a6("fe80::2"));
  ASSERT_TRUE(r->options.source_lladdr);
  EXPECT_EQ(r->options.source_lladdr->to_string(), "02:00:00:00:00:01");
  EXPECT_FALSE(r->options.target_lladdr);
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, src, dst);
  EXPECT_EQ(out, m);
}

TEST(Ndp, NeighborAdvertFlags) {
  auto m = hex(kNa);
  auto r = NdpRepr::parse(Icmpv6View<const uint8_t>(m));
  ASSERT_TRUE(r);
  const auto& na = std::get<NdpNeighborAdvert>(r->msg);
  EXPECT_FALSE(na.router);
  EXPECT_TRUE(na.solicited);
  EXPECT_TRUE(na.override_);
  EXPECT_EQ(r->options.target_lladdr->to_string(), "02:00:00:00:00:02");
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, a6("fe80::2"), a6("fe80::1"));
  EXPECT_EQ(out, m);
  NdpRepr router = *r;
  std::get<NdpNeighborAdvert>(router.msg).router = true;
  router.emit(out, a6("fe80::2"), a6("fe80::1"));
  EXPECT_EQ(out[4], 0xe0);
}

TEST(Ndp, RouterAdvertCapture) {
  auto m = hex(kRa);
  auto src = a6("fe80::1"), dst = a6("ff02::1");
  auto ic = Icmpv6View<const uint8_t>(m);
  ASSERT_TRUE(ic.verify_checksum(src, dst));
  auto r = NdpRepr::parse(ic);
  ASSERT_TRUE(r);
  const auto& ra = std::get<NdpRouterAdvert>(r->msg);
  EXPECT_EQ(ra.cur_hop_limit, 64);
  EXPECT_FALSE(ra.managed);
  EXPECT_TRUE(ra.other);
  EXPECT_EQ(ra.router_lifetime, 1800);
  EXPECT_EQ(r->options.mtu, 1500u);
  ASSERT_EQ(r->options.prefix_count, 1);
  const auto& pi = r->options.prefixes[0];
  EXPECT_EQ(pi.prefix_len, 64);
  EXPECT_TRUE(pi.on_link);
  EXPECT_TRUE(pi.autonomous);
  EXPECT_EQ(pi.valid_lifetime, 2592000u);
  EXPECT_EQ(pi.preferred_lifetime, 604800u);
  EXPECT_EQ(pi.prefix, a6("2001:db8::"));
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, src, dst);
  EXPECT_EQ(out, m);
}

TEST(Ndp, RouterSolicitAndRedirectRoundTrip) {
  auto src = a6("fe80::1"), dst = a6("ff02::2");
  NdpRepr rs{NdpRouterSolicit{}, {}};
  rs.options.source_lladdr = *MacAddr::parse("02:00:00:00:00:01");
  std::vector<uint8_t> out(rs.buffer_len());
  ASSERT_EQ(out.size(), 16u);
  rs.emit(out, src, dst);
  EXPECT_EQ(out[0], icmpv6_type::kRouterSolicit);
  EXPECT_EQ(*NdpRepr::parse(Icmpv6View<const uint8_t>(out)), rs);

  auto inv = hex("6000000000083a40 fe800000000000000000000000000001 20010db8000000000000000000000002"
                 "8000000000000000");
  NdpRepr rd{NdpRedirect{a6("fe80::9"), a6("2001:db8::2")}, {}};
  rd.options.target_lladdr = *MacAddr::parse("02:00:00:00:00:09");
  rd.options.redirected = std::span<const uint8_t>(inv);
  std::vector<uint8_t> o2(rd.buffer_len());
  ASSERT_EQ(o2.size(), 40u + 8 + 8 + inv.size());
  rd.emit(o2, src, dst);
  auto p = NdpRepr::parse(Icmpv6View<const uint8_t>(o2));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, rd);
}

TEST(Ndp, MalformedOptionsAndMessages) {
  auto m = hex(kNs);
  auto b = m;
  b[25] = 0;  // SLLA option length 0 (RFC 4861 §4.6)
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(b)).error(), DropReason::kNdpBadOption);
  b = m;
  b[25] = 2;  // runs past the end
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(b)).error(), DropReason::kNdpBadOption);
  b = m;
  b.push_back(0x01);  // a lone trailing byte
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(b)).error(), DropReason::kNdpBadOption);
  b = m;
  b[1] = 1;  // code != 0
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(b)).error(), DropReason::kNdpInvalid);
  for (size_t n = 8; n < 24; ++n)
    EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(std::span<const uint8_t>(m.data(), n))).error(),
              DropReason::kIcmpTruncated);
  b = m;
  b[0] = icmpv6_type::kEchoRequest;
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(b)).error(), DropReason::kIcmpUnknownType);
  // Unknown options are skipped (nonce, type 14, length 1).
  b = m;
  auto nonce = hex("0e01 010203040506");
  b.insert(b.end(), nonce.begin(), nonce.end());
  auto r = NdpRepr::parse(Icmpv6View<const uint8_t>(b));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->options.source_lladdr);
  // A prefix option of the wrong length.
  auto ra = hex(kRa);
  ra[33] = 3;
  EXPECT_EQ(NdpRepr::parse(Icmpv6View<const uint8_t>(ra)).error(), DropReason::kNdpBadOption);
}

}  // namespace
}  // namespace stackd::wire
