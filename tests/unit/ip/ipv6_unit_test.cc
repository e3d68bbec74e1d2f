// Pieces of the IPv6 layer on their own: the path MTU cache (RFC 8201),
// simplified RFC 6724 source selection, and the link-local address from
// a MAC (RFC 4291 Appendix A).
#include <gtest/gtest.h>

#include "ip/ipv6.h"
#include "ip/pmtu6.h"
#include "l2/ipv6_addr.h"

namespace stackd::ip {
namespace {

Ipv6Addr A6(const char* s) { return *Ipv6Addr::parse(s); }

TEST(Pmtu6, LowersNeverBelow1280NeverRaisesAndExpires) {
  Pmtu6Cache c(4);
  ManualClock clock;
  const Ipv6Addr d = A6("fd00::1");
  EXPECT_FALSE(c.lookup(d, clock.now()));
  EXPECT_EQ(c.update(d, 1400, 1500, clock.now()), 1400u);
  EXPECT_EQ(c.lookup(d, clock.now()), 1400u);
  EXPECT_FALSE(c.update(d, 1450, 1500, clock.now()));  // never raised by a report
  EXPECT_EQ(c.update(d, 500, 1500, clock.now()), 1280u);  // RFC 8201 §4: 1280 floor
  EXPECT_FALSE(c.update(d, 100, 1500, clock.now()));      // already at the floor
  clock.advance(Pmtu6Cache::kAge);
  EXPECT_FALSE(c.lookup(d, clock.now()));  // forgotten: rediscovered
}

TEST(Pmtu6, BoundedTable) {
  Pmtu6Cache c(4);
  ManualClock clock;
  for (int i = 0; i < 100; ++i) {
    Ipv6Addr a = A6("fd00::");
    a.b[15] = static_cast<uint8_t>(i);
    c.update(a, 1300, 1500, clock.now());
    EXPECT_LE(c.size(), 4u);
  }
}

TEST(Ipv6Addressing, LinkLocalIsModifiedEui64) {
  EXPECT_EQ(l2::link_local_from_mac(MacAddr{{0x02, 0x5d, 0, 0, 0x12, 0x34}}),
            A6("fe80::5d:ff:fe00:1234"));
  EXPECT_EQ(l2::link_local_from_mac(MacAddr{{0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc}}),
            A6("fe80::21b:21ff:feaa:bbcc"));
}

TEST(Ipv6Addressing, SetupJoinsAllNodesAndSolicitedNodeGroups) {
  l2::Interface i;
  i.ipv6 = true;
  i.mac = MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
  i.addrs.push_back(IpPrefix{A6("fd00::1234:5678"), 64});
  i.addrs.push_back(IpPrefix{Ipv4Addr::from_octets(10, 0, 0, 2), 24});
  l2::ipv6_setup_addresses(i);
  ASSERT_EQ(i.addrs6.size(), 2u);
  EXPECT_EQ(i.addrs6[0].addr, A6("fe80::ff:fe00:2"));
  EXPECT_EQ(i.addrs6[0].state, l2::Ipv6AddrState::kTentative);
  EXPECT_TRUE(i.joined(MacAddr{{0x33, 0x33, 0, 0, 0, 1}}));           // ff02::1
  EXPECT_TRUE(i.joined(MacAddr{{0x33, 0x33, 0xff, 0x34, 0x56, 0x78}}));  // ff02::1:ff34:5678
  EXPECT_TRUE(l2::ipv6_group_member(i, A6("ff02::1:ff34:5678")));
  EXPECT_FALSE(l2::ipv6_group_member(i, A6("ff02::1:ff99:9999")));
  l2::ipv6_setup_addresses(i);  // idempotent
  EXPECT_EQ(i.addrs6.size(), 2u);
}

TEST(Ipv6SourceSelection, ScopeThenLongestPrefix) {
  l2::Interface i;
  auto add = [&](const char* a, l2::Ipv6AddrState s = l2::Ipv6AddrState::kPreferred) {
    i.addrs6.push_back({A6(a), 64, s, 0});
  };
  add("fe80::2");
  add("fd00:1::2");
  add("2001:db8::2");
  add("2001:db8:1::2", l2::Ipv6AddrState::kTentative);  // never a candidate
  // Rule 2: link-local for a link-local destination or a link-scope group.
  EXPECT_EQ(Ipv6Layer::select_source(i, A6("fe80::1")), A6("fe80::2"));
  EXPECT_EQ(Ipv6Layer::select_source(i, A6("ff02::1")), A6("fe80::2"));
  // Rule 8 among global candidates.
  EXPECT_EQ(Ipv6Layer::select_source(i, A6("fd00:1::9")), A6("fd00:1::2"));
  EXPECT_EQ(Ipv6Layer::select_source(i, A6("2001:db8:1::9")), A6("2001:db8::2"));
  // Rule 1: the destination itself.
  EXPECT_EQ(Ipv6Layer::select_source(i, A6("2001:db8::2")), A6("2001:db8::2"));
  // Only a link-local address: it is used (larger-scope rule has nothing better).
  l2::Interface only;
  only.addrs6.push_back({A6("fe80::2"), 64, l2::Ipv6AddrState::kPreferred, 0});
  EXPECT_EQ(Ipv6Layer::select_source(only, A6("2001:db8::1")), A6("fe80::2"));
  l2::Interface none;
  EXPECT_TRUE(Ipv6Layer::select_source(none, A6("fe80::1")).is_unspecified());
}

}  // namespace
}  // namespace stackd::ip
