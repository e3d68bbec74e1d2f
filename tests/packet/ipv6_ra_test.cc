// Router advertisements (RFC 4861 §6.3.4) with accept_ra: a router
// solicitation once the link-local address is usable, then the default
// route via the router, on-link prefixes and the link MTU, each for its
// lifetime; without accept_ra an advertisement changes nothing.
#include "ipv6_fixture.h"

namespace stackd::testsupport {
namespace {

namespace t6 = wire::icmpv6_type;

const Ipv6Addr kFar = A6("2001:db8:77::5");  // beyond the router

class Ra : public Ipv6Test {
 protected:
  Bytes advert(uint16_t lifetime, std::optional<uint32_t> mtu = std::nullopt,
               uint32_t prefix_lifetime = 0) {
    wire::NdpRepr nd;
    nd.msg = wire::NdpRouterAdvert{64, false, false, lifetime, 0, 0};
    nd.options.source_lladdr = kPeerMac;
    nd.options.mtu = mtu;
    if (prefix_lifetime != 0) {
      nd.options.prefix_count = 1;
      nd.options.prefixes[0] = {64, true, false, prefix_lifetime, prefix_lifetime, A6("fd99::")};
    }
    Bytes m(nd.buffer_len());
    nd.emit(m, kPeerLl, l2::kAllNodes);
    return eth_ipv6(kPeerMac, mcast_mac6(l2::kAllNodes),
                    ipv6_packet({kPeerLl, l2::kAllNodes, wire::ip_proto::kIcmpv6, 255, 0, 0, 0}, m));
  }
  // A ping from `src` (off-link unless a route says otherwise); the frames sent back.
  std::vector<Bytes> ping_from(const Ipv6Addr& src, size_t n = 16) {
    send(eth_ping6(kPeerMac, kStackMac, src, kStackIp6, 1, 1, pattern(n)));
    return run();
  }
};

TEST_F(Ra, SolicitsThenInstallsTheDefaultRouteForItsLifetime) {
  cfg.interfaces[0].accept_ra = true;
  boot();
  advance(Duration::seconds(1));  // DAD passes: a router solicitation follows
  auto tx = take_tx();
  ASSERT_EQ(tx.size(), 1u);
  auto rs = parse6(tx[0]);
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->l4[0], t6::kRouterSolicit);
  EXPECT_EQ(rs->ip.src, kStackLl);
  EXPECT_EQ(rs->ip.dst, l2::kAllRouters);
  EXPECT_EQ(rs->ip.hop_limit, 255);
  // No route to a far host yet: the echo reply cannot leave.
  EXPECT_TRUE(ping_from(kFar).empty());
  EXPECT_EQ(dropped(DropReason::kIp6NoRoute), 1u);
  send(advert(1800, 1400));
  run();
  tx = ping_from(kFar, 1400);  // 1400 + 48 > 1400: fragmented for the advertised MTU
  ASSERT_EQ(tx.size(), 2u);
  auto p = parse6(tx[0]);
  EXPECT_EQ(p->eth_dst, kPeerMac);  // via the router
  EXPECT_EQ(p->ip.dst, kFar);
  EXPECT_LE(tx[0].size() - 14, 1400u);
  advance(Duration::seconds(1801));  // the router lifetime runs out
  EXPECT_TRUE(ping_from(kFar).empty());
  EXPECT_EQ(dropped(DropReason::kIp6NoRoute), 2u);
}

TEST_F(Ra, SolicitsThreeTimesFourSecondsApartUntilAnAdvertisement) {
  cfg.interfaces[0].accept_ra = true;
  boot();
  auto solicitations = [&] {
    size_t n = 0;
    for (const auto& f : take_tx())
      if (auto p = parse6(f); p && p->l4[0] == t6::kRouterSolicit) ++n;
    return n;
  };
  advance(Duration::seconds(1));
  EXPECT_EQ(solicitations(), 1u);
  advance(Duration::seconds(4));
  EXPECT_EQ(solicitations(), 1u);
  advance(Duration::seconds(4));
  EXPECT_EQ(solicitations(), 1u);
  advance(Duration::seconds(4));
  EXPECT_EQ(solicitations(), 0u);  // MAX_RTR_SOLICITATIONS = 3
}

TEST_F(Ra, AdvertisementStopsTheSolicitations) {
  cfg.interfaces[0].accept_ra = true;
  boot();
  advance(Duration::seconds(1));
  take_tx();
  send(advert(1800));
  run();
  advance(Duration::seconds(4));
  advance(Duration::seconds(4));
  EXPECT_TRUE(take_tx().empty());
}

TEST_F(Ra, LifetimeZeroWithdrawsAndPrefixesAreOnLink) {
  cfg.interfaces[0].accept_ra = true;
  ready();
  send(advert(1800, std::nullopt, 600));
  run();
  // fd99::/64 is on-link: the reply is resolved directly (NS for fd99::7).
  peers6.clear();
  auto tx = ping_from(A6("fd99::7"));
  ASSERT_EQ(tx.size(), 1u);
  auto ns = parse6(tx[0]);
  EXPECT_EQ(ns->l4[0], t6::kNeighborSolicit);
  EXPECT_EQ(ns->ip.dst, A6("fd99::7").solicited_node());
  peers6[kPeerLl] = kPeerMac;
  send(advert(0));  // router lifetime 0: no longer a default router
  run();
  EXPECT_TRUE(ping_from(kFar).empty());
  EXPECT_GE(dropped(DropReason::kIp6NoRoute), 1u);
}

TEST_F(Ra, IgnoredWithoutAcceptRa) {
  ready();
  send(advert(1800));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kNdpIgnored), 1u);
  EXPECT_TRUE(ping_from(kFar).empty());
  EXPECT_EQ(dropped(DropReason::kIp6NoRoute), 1u);
}

}  // namespace
}  // namespace stackd::testsupport
