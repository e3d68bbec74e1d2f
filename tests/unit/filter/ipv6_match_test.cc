// The firewall on IPv6 metadata: ICMPv6 fields read by fill_l4 (echo id,
// the tuple quoted by an error), conntrack of ICMPv6 echo and of errors
// related to a tracked flow, ip6/nfproto and prefix matches, rule
// validation across families, and reject never answering an ICMPv6 error.
#include <gtest/gtest.h>

#include "base/byteorder.h"
#include "fw_test_util.h"
#include "ip/filter/compiled.h"
#include "ip/filter/conntrack.h"

namespace stackd::ip::filter {
namespace {
using namespace testing;

PacketMeta v6(PacketMeta m) {
  m.ip_version = 6;
  return m;
}

PacketMeta icmp6(const char* src, const char* dst, uint8_t type, uint16_t id = 0) {
  PacketMeta m = icmp(src, dst, type, 0, id);
  m.proto = wire::ip_proto::kIcmpv6;
  return v6(m);
}

TEST(Ipv6Meta, FillL4ReadsIcmpv6EchoAndTheErrorsQuote) {
  PacketMeta m;
  m.ip_version = 6;
  m.proto = wire::ip_proto::kIcmpv6;
  std::vector<uint8_t> echo{128, 0, 0, 0, 0x12, 0x34, 0, 1};
  fill_l4(m, echo);
  EXPECT_TRUE(m.has_icmp);
  EXPECT_EQ(m.icmp_type, 128);
  EXPECT_EQ(m.icmp_id, 0x1234);
  EXPECT_FALSE(is_icmp_error(m));

  // Destination unreachable quoting fd00::2 -> fd00::1 UDP 5000 -> 53.
  std::vector<uint8_t> err(8 + 40 + 8, 0);
  err[0] = 1;
  err[1] = 4;
  uint8_t* q = err.data() + 8;
  q[0] = 0x60;
  q[6] = wire::ip_proto::kUdp;
  q[8] = 0xfd, q[23] = 2;   // src fd00::2
  q[24] = 0xfd, q[39] = 1;  // dst fd00::1
  store_be16(q + 40, 5000);
  store_be16(q + 42, 53);
  PacketMeta e;
  e.ip_version = 6;
  e.proto = wire::ip_proto::kIcmpv6;
  fill_l4(e, err);
  EXPECT_TRUE(is_icmp_error(e));
  ASSERT_TRUE(e.has_inner);
  EXPECT_EQ(e.inner_proto, wire::ip_proto::kUdp);
  EXPECT_EQ(e.inner_src, IP("fd00::2"));
  EXPECT_EQ(e.inner_dst, IP("fd00::1"));
  EXPECT_EQ(e.inner_sport, 5000);
  EXPECT_EQ(e.inner_dport, 53);
  // Too short to hold the quoted header: no tuple.
  err.resize(8 + 30);
  PacketMeta s;
  s.proto = wire::ip_proto::kIcmpv6;
  fill_l4(s, err);
  EXPECT_FALSE(s.has_inner);
}

TEST(Ipv6Meta, ConntrackIcmpv6EchoAndRelatedErrors) {
  CtConfig cfg;
  Conntrack ct(cfg);
  ManualClock clock;
  EXPECT_EQ(ct.track(icmp6("fd00::1", "fd00::2", 128, 7), clock.now()).state, CtState::kNew);
  EXPECT_EQ(ct.track(icmp6("fd00::2", "fd00::1", 129, 7), clock.now()).state, CtState::kEstablished);
  // A reply nobody asked for, an ND message: invalid (as Linux).
  EXPECT_EQ(ct.track(icmp6("fd00::2", "fd00::1", 129, 8), clock.now()).state, CtState::kInvalid);
  EXPECT_EQ(ct.track(icmp6("fd00::1", "fd00::2", 135), clock.now()).state, CtState::kInvalid);
  // An error about a tracked UDP flow is related.
  ct.track(v6(udp("fd00::2", 5000, "fd00::1", 53)), clock.now());
  PacketMeta e = icmp6("fd00::9", "fd00::2", 1);
  e.has_inner = true;
  e.inner_proto = wire::ip_proto::kUdp;
  e.inner_src = IP("fd00::2");
  e.inner_dst = IP("fd00::1");
  e.inner_sport = 5000;
  e.inner_dport = 53;
  EXPECT_EQ(ct.track(e, clock.now()).state, CtState::kRelated);
}

TEST(Ipv6Meta, VersionPrefixAndIcmpv6TypeMatches) {
  Rule r = rule(Action::kDrop, wire::ip_proto::kIcmpv6);
  r.match.ip_version = 6;
  r.match.icmp_type = 128;
  r.match.src = PFX("fd00::/64");
  EXPECT_FALSE(validate(r));
  EXPECT_TRUE(r.match.matches(icmp6("fd00::1", "fd00::2", 128), CtState::kNew));
  EXPECT_FALSE(r.match.matches(icmp6("fd01::1", "fd00::2", 128), CtState::kNew));  // other prefix
  EXPECT_FALSE(r.match.matches(icmp6("fd00::1", "fd00::2", 129), CtState::kNew));  // other type
  // A family-less rule matches both; `ip` only IPv4.
  Rule any = rule(Action::kDrop, wire::ip_proto::kUdp);
  EXPECT_TRUE(any.match.matches(v6(udp("fd00::1", 1, "fd00::2", 7)), CtState::kNew));
  EXPECT_TRUE(any.match.matches(udp("10.0.0.1", 1, "10.0.0.2", 7), CtState::kNew));
  any.match.ip_version = 4;
  EXPECT_FALSE(any.match.matches(v6(udp("fd00::1", 1, "fd00::2", 7)), CtState::kNew));
  // An IPv4 prefix never matches an IPv6 address.
  Rule p = rule(Action::kDrop);
  p.match.src = PFX("0.0.0.0/0");
  EXPECT_FALSE(p.match.matches(v6(udp("fd00::1", 1, "fd00::2", 7)), CtState::kNew));
}

TEST(Ipv6Meta, ValidationAcrossFamilies) {
  Rule r = rule(Action::kDrop);
  r.match.ip_version = 6;
  r.match.src = PFX("10.0.0.0/8");
  EXPECT_TRUE(validate(r));
  Rule mixed = rule(Action::kDrop);
  mixed.match.src = PFX("10.0.0.0/8");
  mixed.match.dst = PFX("fd00::/8");
  EXPECT_TRUE(validate(mixed));
  Rule i6 = rule(Action::kDrop, wire::ip_proto::kIcmpv6);
  i6.match.ip_version = 4;
  EXPECT_TRUE(validate(i6));
  Rule t = rule(Action::kDrop, wire::ip_proto::kUdp);
  t.match.icmp_type = 128;
  EXPECT_TRUE(validate(t));
}

TEST(Ipv6Meta, RejectNeverAnswersAnIcmpv6Error) {
  Chain c;
  c.rules.push_back(rule(Action::kReject, wire::ip_proto::kIcmpv6));
  c.rules.back().handle = 1;
  LinearChain chain(c);
  Verdict v = chain.evaluate(icmp6("fd00::1", "fd00::2", 1), CtState::kNew, {});
  EXPECT_EQ(v.kind, Verdict::Kind::kDrop);
  v = chain.evaluate(icmp6("fd00::1", "fd00::2", 128), CtState::kNew, {});
  EXPECT_EQ(v.kind, Verdict::Kind::kRejectIcmp);
}

}  // namespace
}  // namespace stackd::ip::filter
