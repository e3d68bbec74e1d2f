// Ethernet input: which frames are ours and where they go; the IPv4
// multicast mapping (RFC 1112 §6.4).
#include "l2/ethernet.h"

#include "l2_fixture.h"

namespace stackd::l2::test {
namespace {

using EthernetInput = L2Test;

const Bytes kPayload = {0x45, 0, 0, 20, 1, 2, 3, 4};

TEST_F(EthernetInput, UnicastToUsGoesToIpv4WithHeaderPulled) {
  receive({.dst = kOurMac, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  ASSERT_EQ(l3.got.size(), 1u);
  EXPECT_FALSE(l3.got[0].v6);
  EXPECT_EQ(l3.got[0].bytes, kPayload);
  EXPECT_EQ(l3.got[0].cast, LinkCast::kUnicast);
  EXPECT_EQ(iface.stats.rx_packets, 1u);
  EXPECT_EQ(iface.stats.rx_bytes, 14u + kPayload.size());
  EXPECT_EQ(drops.total(), 0u);
}

TEST_F(EthernetInput, BroadcastIsAcceptedAsBroadcast) {
  receive({.dst = kBroadcast, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  ASSERT_EQ(l3.got.size(), 1u);
  EXPECT_EQ(l3.got[0].cast, LinkCast::kBroadcast);
}

TEST_F(EthernetInput, JoinedMulticastIsAcceptedOthersDropped) {
  MacAddr joined = ipv4_multicast_mac(Ipv4Addr::from_octets(224, 0, 0, 1));
  MacAddr other = ipv4_multicast_mac(Ipv4Addr::from_octets(224, 0, 0, 251));
  iface.mcast_macs.push_back(joined);
  receive({.dst = joined, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  ASSERT_EQ(l3.got.size(), 1u);
  EXPECT_EQ(l3.got[0].cast, LinkCast::kMulticast);
  EXPECT_EQ(iface.stats.rx_multicast, 1u);

  receive({.dst = other, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  EXPECT_EQ(l3.got.size(), 1u);
  EXPECT_EQ(drops[DropReason::kEthMulticastNotJoined], 1u);
  EXPECT_EQ(iface.stats.rx_dropped, 1u);
}

TEST_F(EthernetInput, Ipv6GoesToIpv6) {
  receive({.dst = kOurMac, .src = kPeerMac, .type = kTypeIpv6, .payload = kPayload});
  ASSERT_EQ(l3.got.size(), 1u);
  EXPECT_TRUE(l3.got[0].v6);
}

TEST_F(EthernetInput, UnicastToAnotherMacIsNotForUs) {
  receive({.dst = kOtherMac, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  EXPECT_TRUE(l3.got.empty());
  EXPECT_EQ(drops[DropReason::kEthNotForUs], 1u);
  EXPECT_EQ(iface.stats.rx_dropped, 1u);
}

// IEEE 802.3 §3.2.3: a source address is never a group address.
TEST_F(EthernetInput, MulticastOrBroadcastSourceIsDropped) {
  receive({.dst = kOurMac, .src = kBroadcast, .type = kTypeIpv4, .payload = kPayload});
  receive({.dst = kOurMac, .src = {{0x01, 0, 0x5e, 0, 0, 1}}, .type = kTypeIpv4, .payload = kPayload});
  EXPECT_TRUE(l3.got.empty());
  EXPECT_EQ(drops[DropReason::kEthSrcMulticast], 2u);
}

TEST_F(EthernetInput, ShorterThanAHeaderIsTruncated) {
  Bytes f = EthFrame{.dst = kOurMac, .src = kPeerMac, .type = kTypeIpv4, .payload = {}}.bytes();
  f.pop_back();
  receive(f);
  EXPECT_EQ(drops[DropReason::kEthTruncated], 1u);
  EXPECT_TRUE(l3.got.empty());
}

TEST_F(EthernetInput, UnknownEtherTypeIsDropped) {
  receive({.dst = kOurMac, .src = kPeerMac, .type = 0x88cc /* LLDP */, .payload = kPayload});
  receive({.dst = kOurMac, .src = kPeerMac, .type = 0x0040 /* 802.3 length */, .payload = kPayload});
  EXPECT_EQ(drops[DropReason::kEthUnknownType], 2u);
  EXPECT_TRUE(l3.got.empty());
}

TEST_F(EthernetInput, TaggedFramesAreDroppedWithoutVlans) {
  Bytes tagged = {0x00, 0x05, 0x08, 0x00};  // 802.1Q TCI (VID 5), then IPv4
  tagged.insert(tagged.end(), kPayload.begin(), kPayload.end());
  receive({.dst = kOurMac, .src = kPeerMac, .type = 0x8100, .payload = tagged});
  receive({.dst = kOurMac, .src = kPeerMac, .type = 0x88a8, .payload = tagged});
  EXPECT_EQ(drops[DropReason::kEthVlanNotConfigured], 2u);
  EXPECT_TRUE(l3.got.empty());
}

TEST_F(EthernetInput, DownInterfaceDropsEverything) {
  iface.up = false;
  receive({.dst = kOurMac, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  EXPECT_EQ(drops[DropReason::kIfaceDown], 1u);
  EXPECT_TRUE(l3.got.empty());
}

TEST_F(EthernetInput, WithoutL3HandlerIpIsDropped) {
  link->set_l3_handler(nullptr);
  receive({.dst = kOurMac, .src = kPeerMac, .type = kTypeIpv4, .payload = kPayload});
  EXPECT_EQ(drops[DropReason::kEthUnknownType], 1u);
}

// RFC 1112 §6.4: 01-00-5E-00-00-00 plus the low-order 23 bits.
TEST(Ipv4MulticastMac, PlacesLow23Bits) {
  EXPECT_EQ(ipv4_multicast_mac(Ipv4Addr::from_octets(224, 0, 0, 251)),
            (MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}));
  // The 24th bit (0x80 of the second octet) is not carried.
  EXPECT_EQ(ipv4_multicast_mac(Ipv4Addr::from_octets(239, 255, 255, 250)),
            (MacAddr{{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}}));
  EXPECT_EQ(ipv4_multicast_mac(Ipv4Addr::from_octets(224, 128, 1, 2)),
            ipv4_multicast_mac(Ipv4Addr::from_octets(224, 0, 1, 2)));
}

}  // namespace
}  // namespace stackd::l2::test
