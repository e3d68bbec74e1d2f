// Config reload against a whole stack (StackHarness): the diff, what a
// reload applies (routes, static neighbours, services: the next packet sees
// them), what it leaves for a restart, and an invalid file that changes
// nothing.
#include "app/reload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "ip/fib.h"
#include "l2/link.h"
#include "support/checker.h"
#include "support/stack_harness.h"

namespace stackd::testsupport {
namespace {

using app::Config;
using app::ReloadContext;

constexpr Ipv4Addr kRemote = Ipv4Addr::from_octets(10, 9, 1, 1);
constexpr Ipv4Addr kStaticIp = Ipv4Addr::from_octets(10, 0, 0, 9);
constexpr MacAddr kOtherRouterMac{{0x02, 0, 0, 0, 0, 0xfe}};
constexpr MacAddr kStaticMac{{0x02, 0, 0, 0, 0, 0x09}};

stack::RouteConfig remote_route() { return {*IpPrefix::parse("10.9.0.0/16"), IpAddr(kPeerIp), "", 0, 0}; }
stack::ServiceConfig udp_echo(uint16_t port) {
  stack::ServiceConfig s;
  s.kind = stack::ServiceKind::kEcho;
  s.proto = stack::ServiceProto::kUdp;
  s.port = port;
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class ReloadPacket : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();
    running.stack = cfg;
  }
  ReloadContext ctx() {
    return ReloadContext{"", running, stack(), nullptr, {},
                         [this](const std::string& name, const std::vector<IpPrefix>& v4) {
                           device_calls.emplace_back(name, v4);
                           return device_error;
                         }};
  }
  // A datagram from a host behind a router to the stack's `port`.
  std::vector<Bytes> udp_from_remote(uint16_t port) {
    send(eth_ipv4_udp(kOtherRouterMac, kStackMac, kRemote, kStackIp, 5555, port, pattern(32)));
    return run();
  }
  Config running;
  std::vector<std::pair<std::string, std::vector<IpPrefix>>> device_calls;
  std::string device_error;
};

TEST_F(ReloadPacket, DiffListsOnlyWhatChanged) {
  Config next = running;
  next.stack.routes.push_back(remote_route());
  next.stack.services.push_back(udp_echo(5007));
  next.stack.services.erase(next.stack.services.begin());  // UDP echo 7
  auto d = app::diff_config(running, next);
  EXPECT_EQ(d.routes_added.size(), 1u);
  EXPECT_TRUE(d.routes_removed.empty());
  ASSERT_EQ(d.services_added.size(), 1u);
  EXPECT_EQ(d.services_added[0].port, 5007);
  ASSERT_EQ(d.services_removed.size(), 1u);
  EXPECT_EQ(d.services_removed[0].port, 7);
  EXPECT_TRUE(d.restart_required.empty());
  EXPECT_TRUE(app::diff_config(running, running).empty());
}

TEST_F(ReloadPacket, AddedRouteServiceAndNeighbourServeTheNextPacket) {
  // Before: no route back to the remote host, nothing on 5007.
  EXPECT_TRUE(udp_from_remote(5007).empty());
  EXPECT_EQ(counter(Counter::IpOutNoRoutes), 1u);

  Config next = running;
  next.stack.routes.push_back(remote_route());
  next.stack.services.push_back(udp_echo(5007));
  next.stack.neighbours.push_back({IpAddr(kStaticIp), kStaticMac, "eth0"});
  auto c = ctx();
  auto r = app::apply_config(c, next, now());
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.failed.empty());
  EXPECT_TRUE(contains(r.applied, "route 10.9.0.0/16 via 10.0.0.1 added"));
  EXPECT_TRUE(contains(r.applied, "service echo udp port 5007 started"));
  EXPECT_TRUE(contains(r.applied, "neighbour 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 added"));

  auto tx = udp_from_remote(5007);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Src(kStackMac), Dst(kPeerMac)), Ipv4(Src(kStackIp), Dst(kRemote)),
                           Udp(SrcPort(5007), DstPort(5555))));
  auto n = stack().link().neighbours().find(1, IpAddr(kStaticIp));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->mac, kStaticMac);
  EXPECT_EQ(c.running.stack.routes.size(), 1u);

  // Back to the first configuration: all three go again.
  auto back = app::apply_config(c, running, now());
  ASSERT_TRUE(back.ok);
  EXPECT_EQ(back.applied.size(), 3u);
  EXPECT_TRUE(back.failed.empty());
  EXPECT_EQ(stack().fib().find(*IpPrefix::parse("10.9.0.0/16")), nullptr);
  EXPECT_FALSE(stack().link().neighbours().find(1, IpAddr(kStaticIp)).has_value());
  EXPECT_TRUE(udp_from_remote(5007).empty());
  EXPECT_EQ(counter(Counter::IpOutNoRoutes), 2u);
}

TEST_F(ReloadPacket, ServiceOnABusyPortFailsAndTheRestApplies) {
  Config next = running;
  stack::ServiceConfig discard_on_7 = udp_echo(7);
  discard_on_7.kind = stack::ServiceKind::kDiscard;  // 7 is the echo's, which stays
  next.stack.services.push_back(discard_on_7);
  next.stack.routes.push_back(remote_route());
  auto c = ctx();
  auto r = app::apply_config(c, next, now());
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_NE(r.failed[0].find("service discard udp port 7"), std::string::npos);
  EXPECT_EQ(r.applied.size(), 1u);
  // The running configuration does not claim the service that did not start.
  EXPECT_EQ(c.running.stack.services.size(), running.stack.services.size());
}

TEST_F(ReloadPacket, Ipv4AddressesChangeAtRunTime) {
  constexpr Ipv4Addr kNewIp = Ipv4Addr::from_octets(10, 0, 1, 2);
  auto to_new = [&] { return eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kNewIp, 5555, 7, pattern(16)); };
  send(to_new());
  EXPECT_TRUE(run().empty());  // not ours yet

  Config next = running;
  next.stack.interfaces[0].addrs.push_back(*IpPrefix::parse("10.0.1.2/24"));
  auto c = ctx();
  auto r = app::apply_config(c, next, now());
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.restart_required.empty());
  EXPECT_TRUE(contains(r.applied, "interface eth0 IPv4 addresses 10.0.0.2/24,10.0.1.2/24"));
  ASSERT_EQ(device_calls.size(), 1u);  // the device's steering first
  EXPECT_EQ(device_calls[0].second.size(), 2u);
  ASSERT_NE(stack().fib().find(*IpPrefix::parse("10.0.1.0/24")), nullptr);  // connected route
  // Announced (RFC 5227 §3), and the next packet to it is answered from it.
  poll();  // the announcements leave with the next burst
  auto tx = take_tx();
  EXPECT_TRUE(std::any_of(tx.begin(), tx.end(), [](const Bytes& f) { return f.size() > 13 && f[12] == 0x08 && f[13] == 0x06; }));
  send(to_new());
  tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(kPeerMac)), Ipv4(Src(kNewIp), Dst(kPeerIp)), Udp(SrcPort(7))));
  EXPECT_EQ(c.running.stack.interfaces[0].addrs.size(), 2u);

  // Removed again: the connected route goes, the address is not ours.
  auto back = app::apply_config(c, running, now());
  EXPECT_TRUE(contains(back.applied, "interface eth0 IPv4 addresses 10.0.0.2/24"));
  EXPECT_EQ(stack().fib().find(*IpPrefix::parse("10.0.1.0/24")), nullptr);
  ASSERT_NE(stack().fib().find(*IpPrefix::parse("10.0.0.0/24")), nullptr);
  poll();
  take_tx();
  send(to_new());
  EXPECT_TRUE(run().empty());
}

TEST_F(ReloadPacket, AddressChangeTheDeviceRefusesChangesNothing) {
  device_error = "af_xdp: map update failed";
  Config next = running;
  next.stack.interfaces[0].addrs.push_back(*IpPrefix::parse("10.0.1.2/24"));
  auto c = ctx();
  auto r = app::apply_config(c, next, now());
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_NE(r.failed[0].find("af_xdp: map update failed"), std::string::npos);
  EXPECT_EQ(stack().fib().find(*IpPrefix::parse("10.0.1.0/24")), nullptr);
  EXPECT_EQ(c.running.stack.interfaces[0].addrs.size(), 1u);
}

TEST_F(ReloadPacket, InterfaceAndTcpChangesWaitForARestart) {
  Config next = running;
  next.stack.interfaces[0].mtu = 9000;
  next.stack.interfaces[0].addrs.push_back(*IpPrefix::parse("fd00::2/64"));
  next.stack.tcp.congestion = "reno";
  auto c = ctx();
  auto r = app::apply_config(c, next, now());
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.applied.empty());
  EXPECT_TRUE(contains(r.restart_required, "interface[0].mtu (1500 -> 9000)"));
  EXPECT_TRUE(contains(r.restart_required, "interface[0].addresses (IPv6)"));
  EXPECT_TRUE(contains(r.restart_required, "tcp.congestion"));
  EXPECT_EQ(c.running.stack.interfaces[0].mtu, 1500u);
  EXPECT_EQ(c.running.stack.tcp.congestion, running.stack.tcp.congestion);
  EXPECT_EQ(r.summary(), "reloaded: 0 change(s) applied, 3 need a restart");
}

TEST_F(ReloadPacket, InvalidFileChangesNothingAndNamesTheLine) {
  char path[] = "/tmp/stackd-reload-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "[[interface]]\nname = \"eth0\"\nbackend = \"tap\"\naddresses = [\"10.0.0.2/24\"]\n"
                         "[[route]]\nto = \"10.9.0.0/16\"\nvia = \"10.0.0.1\"\nmetric = -1\n";
  auto c = ctx();
  c.path = path;
  auto r = app::reload(c, now());
  std::remove(path);
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].line, 8u);
  EXPECT_EQ(r.errors[0].file, path);
  EXPECT_EQ(stack().fib().find(*IpPrefix::parse("10.9.0.0/16")), nullptr);
  EXPECT_EQ(c.running.stack.routes.size(), 0u);
  EXPECT_NE(r.summary().find("running configuration kept"), std::string::npos);
}

}  // namespace
}  // namespace stackd::testsupport
