// Neighbor Discovery (RFC 4861) and duplicate address detection (RFC 4862)
// through the whole stack: DAD before an address is used, conflicts found
// by an advertisement or another node's DAD, solicitations answered,
// address resolution, the hop limit 255 rule and unsolicited
// advertisements (§7.2.5).
#include "ipv6_fixture.h"

namespace stackd::testsupport {
namespace {

using l2::Ipv6AddrState;

TEST_F(Ipv6Test, DadProbesEveryAddressFromTheUnspecifiedAddress) {
  boot();
  std::vector<Ipv6Addr> targets;
  for (const auto& f : dad) {
    auto p = parse6(f);
    if (!p) continue;
    ASSERT_EQ(p->upper, wire::ip_proto::kIcmpv6);
    ASSERT_EQ(p->l4[0], wire::icmpv6_type::kNeighborSolicit);
    const Ipv6Addr target = wire::load_ipv6(p->l4.data() + 8);
    EXPECT_TRUE(p->ip.src.is_unspecified());      // RFC 4862 §5.4.2
    EXPECT_EQ(p->ip.dst, target.solicited_node());
    EXPECT_EQ(p->eth_dst, mcast_mac6(target.solicited_node()));
    EXPECT_EQ(p->ip.hop_limit, 255);
    EXPECT_EQ(p->l4.size(), 24u);  // no source link-layer address option
    targets.push_back(target);
  }
  EXPECT_EQ(targets, (std::vector<Ipv6Addr>{kStackLl, kStackIp6}));
  // Tentative: a ping to the address is not answered yet.
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 1, 1, pattern(8)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kIp6Tentative), 1u);
  EXPECT_TRUE(events.empty());
  advance(Duration::seconds(1));
  EXPECT_TRUE(preferred(kStackLl));
  EXPECT_TRUE(preferred(kStackIp6));
}

TEST_F(Ipv6Test, AdvertisementForATentativeAddressIsAConflict) {
  boot();
  // The peer already has fd00::2 and defends it (RFC 4862 §5.4.4).
  send(eth_na(kPeerMac, mcast_mac6(l2::kAllNodes), kPeerLl, l2::kAllNodes, kStackIp6, false, true,
              kPeerMac));
  run();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].addr, kStackIp6);
  EXPECT_EQ(events[0].state, Ipv6AddrState::kDuplicate);
  EXPECT_EQ(dropped(DropReason::kNdpDadConflict), 1u);
  advance(Duration::seconds(1));
  EXPECT_TRUE(preferred(kStackLl));
  EXPECT_FALSE(preferred(kStackIp6));
  take_tx();
  // Never used: no answer to solicitations for it nor to pings.
  send(eth_ns(kPeerMac, kPeerLl, kStackIp6));
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 1, 1, pattern(8)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kNdpNotOurTarget), 1u);
  EXPECT_EQ(dropped(DropReason::kIp6NotForUs), 1u);
}

TEST_F(Ipv6Test, AnotherNodesDadProbeForOurTentativeAddressIsAConflict) {
  boot();
  send(eth_ns(kPeerMac, Ipv6Addr{}, kStackIp6));  // RFC 4862 §5.4.3
  run();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, Ipv6AddrState::kDuplicate);
}

TEST_F(Ipv6Test, SolicitationIsAnsweredWithASolicitedOverridingAdvertisement) {
  ready();
  send(eth_ns(kPeerMac, kPeerLl, kStackIp6));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  auto p = parse6(tx[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->eth_dst, kPeerMac);  // the SLLA it gave, learnt STALE (§7.2.3)
  EXPECT_EQ(p->ip.src, kStackIp6);
  EXPECT_EQ(p->ip.dst, kPeerLl);
  EXPECT_EQ(p->ip.hop_limit, 255);
  auto nd = wire::NdpRepr::parse(wire::Icmpv6View<const uint8_t>(p->l4));
  ASSERT_TRUE(nd);
  auto na = std::get<wire::NdpNeighborAdvert>(nd->msg);
  EXPECT_TRUE(na.solicited);
  EXPECT_TRUE(na.override_);
  EXPECT_FALSE(na.router);
  EXPECT_EQ(na.target, kStackIp6);
  EXPECT_EQ(nd->options.target_lladdr, kStackMac);
  EXPECT_TRUE(wire::Icmpv6View<const uint8_t>(p->l4).verify_checksum(p->ip.src, p->ip.dst));
  EXPECT_EQ(counter(Counter::Icmp6InNeighborSolicits), 1u);
  EXPECT_EQ(counter(Counter::Icmp6OutNeighborAdvertisements), 1u);
}

TEST_F(Ipv6Test, NeighborDiscoveryWithHopLimit254IsDropped) {
  ready();
  send(eth_ns(kPeerMac, kPeerLl, kStackIp6, std::nullopt, 254));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kNdpBadHopLimit), 1u);
}

TEST_F(Ipv6Test, ForwardedAdvertisementCannotFakeADadConflict) {
  boot();
  send(eth_na(kPeerMac, mcast_mac6(l2::kAllNodes), kPeerLl, l2::kAllNodes, kStackIp6, false, true,
              kPeerMac, 254));
  run();
  EXPECT_EQ(dropped(DropReason::kNdpBadHopLimit), 1u);
  advance(Duration::seconds(1));
  EXPECT_TRUE(preferred(kStackIp6));
}

TEST_F(Ipv6Test, UnsolicitedAdvertisementCreatesNoEntry) {
  ready();
  // §7.2.5: no entry for fd00::1 -> silently discarded.
  send(eth_na(kPeerMac, mcast_mac6(l2::kAllNodes), kPeerIp6, l2::kAllNodes, kPeerIp6, false, true,
              kPeerMac));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kNdpUnsolicitedNoEntry), 1u);
  // So the first packet to it still needs resolution: a solicitation.
  peers6.clear();
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 1, 1, pattern(8)));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  auto p = parse6(tx[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], wire::icmpv6_type::kNeighborSolicit);
  EXPECT_EQ(p->ip.dst, kPeerIp6.solicited_node());
  EXPECT_EQ(p->ip.src, kStackLl);
}

TEST_F(Ipv6Test, ResolutionHoldsThePacketUntilTheAdvertisement) {
  ready();
  peers6.clear();  // answer by hand
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 1, pattern(16)));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);  // the solicitation only
  send(eth_na(kPeerMac, kStackMac, kPeerIp6, kStackLl, kPeerIp6, true, true, kPeerMac));
  tx = run();
  ASSERT_EQ(tx.size(), 1u);
  auto p = parse6(tx[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->eth_dst, kPeerMac);
  EXPECT_EQ(p->l4[0], wire::icmpv6_type::kEchoReply);
}

TEST_F(Ipv6Test, UnsolicitedAdvertisementWithoutOverrideKeepsTheAddress) {
  ready();
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 1, pattern(16)));
  run();  // fd00::1 resolved to kPeerMac (REACHABLE)
  const MacAddr other{{0x02, 0, 0, 0, 0, 0x99}};
  // O clear, different address: the cached one stays (§7.2.5).
  send(eth_na(other, kStackMac, kPeerIp6, kStackIp6, kPeerIp6, false, false, other));
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 2, pattern(16)));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(parse6(tx[0])->eth_dst, kPeerMac);
  // O set: the new address is taken.
  send(eth_na(other, kStackMac, kPeerIp6, kStackIp6, kPeerIp6, false, true, other));
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 3, pattern(16)));
  tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(parse6(tx[0])->eth_dst, other);
}

TEST_F(Ipv6Test, UnreachabilityDetectionProbesByUnicast) {
  ready();
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 1, pattern(16)));
  ASSERT_EQ(run().size(), 1u);  // resolved (REACHABLE), the reply sent
  advance(Duration::seconds(31));  // RFC 4861 §7.3.3: REACHABLE -> STALE, nothing sent
  EXPECT_TRUE(take_tx().empty());
  send(eth_ping6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 7, 2, pattern(16)));
  poll();
  ASSERT_EQ(take_tx().size(), 1u);  // STALE is usable: sent at once (-> DELAY)
  advance(Duration::seconds(5));  // DELAY_FIRST_PROBE_TIME -> PROBE
  auto tx = take_tx();
  ASSERT_EQ(tx.size(), 1u);
  auto p = parse6(tx[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], wire::icmpv6_type::kNeighborSolicit);
  EXPECT_EQ(p->eth_dst, kPeerMac);  // unicast to the cached address
  EXPECT_EQ(p->ip.dst, kPeerIp6);
}

TEST_F(Ipv6Test, FragmentedNeighborDiscoveryIsDropped) {
  ready();
  // RFC 6980 §5: a solicitation in two fragments is not answered.
  auto ns = eth_ns(kPeerMac, kPeerLl, kStackIp6);
  auto eth = std::span<const uint8_t>(ns).first(14);
  auto ip = std::span<const uint8_t>(ns).subspan(14, 40 + 32);
  Bytes fh1(8), fh2(8);
  wire::Ipv6FragRepr{wire::ip_proto::kIcmpv6, 0, true, 5}.emit(fh1);
  wire::Ipv6FragRepr{wire::ip_proto::kIcmpv6, 16, false, 5}.emit(fh2);
  auto hdr = [&](size_t len) {
    auto h = *wire::Ipv6Repr::parse(ip);
    h.next_header = wire::ip_proto::kIpv6Frag;
    return ipv6_packet(h, Bytes(len, 0));
  };
  Bytes p1 = hdr(8 + 16), p2 = hdr(8 + 16);
  std::copy(fh1.begin(), fh1.end(), p1.begin() + 40);
  std::copy(ip.begin() + 40, ip.begin() + 56, p1.begin() + 48);
  std::copy(fh2.begin(), fh2.end(), p2.begin() + 40);
  std::copy(ip.begin() + 56, ip.begin() + 72, p2.begin() + 48);
  send(cat({eth, p1}));
  send(cat({eth, p2}));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::Ip6ReasmOKs), 1u);
  EXPECT_EQ(dropped(DropReason::kNdpInvalid), 1u);
}

}  // namespace
}  // namespace stackd::testsupport
