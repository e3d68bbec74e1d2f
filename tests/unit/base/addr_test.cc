#include "base/addr.h"

#include <gtest/gtest.h>

namespace stackd {
namespace {

TEST(Ipv4Addr, ParsesAndPrints) {
  auto a = Ipv4Addr::parse("10.0.0.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->v, 0x0a000002u);
  EXPECT_EQ(a->to_string(), "10.0.0.2");
  EXPECT_FALSE(Ipv4Addr::parse("10.0.0"));
  EXPECT_FALSE(Ipv4Addr::parse("10.0.0.256"));
  EXPECT_FALSE(Ipv4Addr::parse("10.0.0.2 "));
  EXPECT_FALSE(Ipv4Addr::parse("010.0.0.2"));
  EXPECT_FALSE(Ipv4Addr::parse(""));
}

TEST(Ipv4Addr, Classes) {
  EXPECT_TRUE(Ipv4Addr::parse("224.0.0.1")->is_multicast());
  EXPECT_TRUE(Ipv4Addr::parse("255.255.255.255")->is_broadcast());
  EXPECT_TRUE(Ipv4Addr::parse("127.1.2.3")->is_loopback());
  EXPECT_TRUE(Ipv4Addr::parse("240.0.0.1")->is_class_e());
}

TEST(MacAddr, ParsesAndClassifies) {
  auto m = MacAddr::parse("02:00:5e:10:00:01");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:00:5e:10:00:01");
  EXPECT_TRUE(m->is_unicast());
  EXPECT_TRUE(MacAddr::broadcast().is_multicast());
  EXPECT_TRUE(MacAddr::parse("01:00:5e:00:00:01")->is_multicast());
  EXPECT_FALSE(MacAddr::parse("02:00:5e:10:00"));
  EXPECT_FALSE(MacAddr::parse("02:00:5e:10:00:zz"));
}

TEST(IpPrefix, ContainsAndBroadcast) {
  auto p = IpPrefix::parse("10.1.2.3/24");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*Ipv4Addr::parse("10.1.2.200")));
  EXPECT_FALSE(p->contains(*Ipv4Addr::parse("10.1.3.1")));
  EXPECT_EQ(p->v4_broadcast().to_string(), "10.1.2.255");
  EXPECT_EQ(p->network().to_string(), "10.1.2.0/24");
  EXPECT_FALSE(IpPrefix::parse("10.1.2.3/33"));
  auto z = IpPrefix::parse("0.0.0.0/0");
  ASSERT_TRUE(z);
  EXPECT_TRUE(z->contains(*Ipv4Addr::parse("192.0.2.1")));
}

TEST(Ipv6Addr, ParsesAndDerives) {
  auto a = Ipv6Addr::parse("fe80::1:2:3:4");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_link_local());
  EXPECT_EQ(a->solicited_node().to_string(), "ff02::1:ff03:4");
  auto m = Ipv6Addr::v4_mapped(*Ipv4Addr::parse("192.0.2.1"));
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_EQ(m.to_v4().to_string(), "192.0.2.1");
  auto p = IpPrefix::parse("fd00:1::5/64");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*Ipv6Addr::parse("fd00:1::99")));
  EXPECT_FALSE(p->contains(*Ipv6Addr::parse("fd00:2::99")));
  EXPECT_FALSE(p->contains(*Ipv4Addr::parse("10.0.0.1")));
}

}  // namespace
}  // namespace stackd
