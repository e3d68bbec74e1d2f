#include <gtest/gtest.h>

#include <vector>

#include "hex.h"
#include "wire/arp.h"
#include "wire/ethernet.h"

namespace stackd::wire {
namespace {

using test::hex;

// A real ARP request: who-has 192.168.1.1 tell 192.168.1.100, padded to 60.
const char* kArpRequest =
    "ffffffffffff 001122334455 0806"
    "0001 0800 06 04 0001 001122334455 c0a80164 000000000000 c0a80101"
    "000000000000000000000000000000000000";

TEST(Ethernet, ParsesUntagged) {
  auto f = hex(kArpRequest);
  auto r = EthernetRepr::parse(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dst, MacAddr::broadcast());
  EXPECT_EQ(r->src.to_string(), "00:11:22:33:44:55");
  EXPECT_EQ(r->ethertype, EtherType::kArp);
  EXPECT_FALSE(r->vlan_tci);
  EXPECT_EQ(r->header_len(), 14u);
  auto v = EthernetView<const uint8_t>::checked(f);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload().size(), f.size() - 14);
  EXPECT_EQ(v->payload()[0], 0x00);
  EXPECT_EQ(v->payload()[1], 0x01);
}

TEST(Ethernet, ParsesVlanTag) {
  auto f = hex("020000000002 020000000001 8100 a07b 0800 4500");
  auto r = EthernetRepr::parse(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ethertype, EtherType::kIpv4);
  ASSERT_TRUE(r->vlan_tci);
  EXPECT_EQ(*r->vlan_tci, 0xa07b);
  EXPECT_EQ(r->header_len(), 18u);
  auto v = EthernetView<const uint8_t>::checked(f);
  EXPECT_EQ(v->vlan_id(), 0x07b);
  ASSERT_EQ(v->payload().size(), 2u);
  EXPECT_EQ(v->payload()[0], 0x45);
  // Round trip.
  std::vector<uint8_t> out(18);
  r->emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), f.begin()));
}

TEST(Ethernet, EveryTruncationIsRejected) {
  auto f = hex("020000000002 020000000001 8100 a07b 0800");
  for (size_t n = 0; n < f.size(); ++n) {
    auto r = EthernetRepr::parse(std::span<const uint8_t>(f.data(), n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error(), DropReason::kEthTruncated);
  }
  // An untagged header needs 14 only.
  auto g = hex("020000000002 020000000001 0800");
  for (size_t n = 0; n < g.size(); ++n)
    EXPECT_FALSE(EthernetRepr::parse(std::span<const uint8_t>(g.data(), n)));
  EXPECT_TRUE(EthernetRepr::parse(g));
}

TEST(Ethernet, EmitAndSettersRoundTrip) {
  EthernetRepr r{*MacAddr::parse("02:00:00:00:00:09"), *MacAddr::parse("02:00:00:00:00:08"),
                 EtherType::kIpv6, std::nullopt};
  std::vector<uint8_t> out(14);
  r.emit(out);
  EXPECT_EQ(out, hex("020000000009 020000000008 86dd"));
  EXPECT_EQ(*EthernetRepr::parse(out), r);
  EthernetView<uint8_t> v{std::span<uint8_t>(out)};
  v.set_dst(MacAddr::broadcast());
  v.set_src(*MacAddr::parse("02:00:00:00:00:01"));
  v.set_ethertype(EtherType::kArp);
  EXPECT_EQ(out, hex("ffffffffffff 020000000001 0806"));
}

TEST(Arp, ParsesRealRequest) {
  auto f = hex(kArpRequest);
  auto eth = EthernetView<const uint8_t>::checked(f);
  ASSERT_TRUE(eth);
  auto r = ArpRepr::parse(eth->payload());  // with 18 bytes of padding
  ASSERT_TRUE(r);
  EXPECT_EQ(r->op, ArpOp::kRequest);
  EXPECT_EQ(r->sender_mac.to_string(), "00:11:22:33:44:55");
  EXPECT_EQ(r->sender_ip.to_string(), "192.168.1.100");
  EXPECT_TRUE(r->target_mac.is_zero());
  EXPECT_EQ(r->target_ip.to_string(), "192.168.1.1");
  std::vector<uint8_t> out(28);
  r->emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), f.begin() + 14));
}

TEST(Arp, EmitsReply) {
  ArpRepr r{ArpOp::kReply, *MacAddr::parse("02:00:00:00:00:02"), *Ipv4Addr::parse("10.0.0.2"),
            *MacAddr::parse("02:00:00:00:00:01"), *Ipv4Addr::parse("10.0.0.1")};
  std::vector<uint8_t> out(28);
  r.emit(out);
  EXPECT_EQ(out, hex("0001 0800 06 04 0002 020000000002 0a000002 020000000001 0a000001"));
  EXPECT_EQ(*ArpRepr::parse(out), r);
}

TEST(Arp, MalformedReasons) {
  auto a = hex("0001 0800 06 04 0001 001122334455 c0a80164 000000000000 c0a80101");
  for (size_t n = 0; n < a.size(); ++n) {
    auto r = ArpRepr::parse(std::span<const uint8_t>(a.data(), n));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), DropReason::kArpTruncated) << n;
  }
  for (size_t i : {0u, 1u, 2u, 3u, 4u, 5u}) {
    auto b = a;
    b[i] ^= 0x10;
    auto r = ArpRepr::parse(b);
    ASSERT_FALSE(r) << i;
    EXPECT_EQ(r.error(), DropReason::kArpUnsupported) << i;
  }
  for (uint16_t op : {0, 3, 0x0100, 0xffff}) {
    auto b = a;
    store_be16(&b[6], op);
    auto r = ArpRepr::parse(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), DropReason::kArpBadOp);
  }
}

}  // namespace
}  // namespace stackd::wire
