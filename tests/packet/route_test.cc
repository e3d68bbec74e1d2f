// Routing through the whole stack: a static route via an on-link gateway
// (RFC 1122 §3.3.1.2: the next hop, not the destination, is resolved).
#include <gtest/gtest.h>

#include "support/checker.h"
#include "support/stack_harness.h"

namespace stackd::testsupport {
namespace {

constexpr Ipv4Addr kRemote = Ipv4Addr::from_octets(10, 9, 1, 1);
constexpr MacAddr kOtherRouterMac{{0x02, 0, 0, 0, 0, 0xfe}};

using RoutePacket = StackTest;

TEST_F(RoutePacket, ReplyToRemoteHostGoesToTheGateway) {
  cfg.routes.push_back({*IpPrefix::parse("10.9.0.0/16"), IpAddr(kPeerIp), "", 0, 0});
  start();
  take_tx();
  // The request arrives through another router; the reply must follow our
  // route, not the frame's source MAC. Only the gateway answers ARP.
  auto data = pattern(32);
  send(eth_ipv4_udp(kOtherRouterMac, kStackMac, kRemote, kStackIp, 5555, 7, data));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Src(kStackMac), Dst(kPeerMac)),
                           Ipv4(Src(kStackIp), Dst(kRemote)),
                           Udp(SrcPort(7), DstPort(5555), Payload(data))));
  EXPECT_EQ(counter(Counter::ArpOutRequests), 1u);
}

TEST_F(RoutePacket, NoRouteToRemoteHostSendsNothing) {
  start();
  take_tx();
  send(eth_ipv4_udp(kOtherRouterMac, kStackMac, kRemote, kStackIp, 5555, 7, pattern(32)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::IpOutNoRoutes), 1u);
}

}  // namespace
}  // namespace stackd::testsupport
