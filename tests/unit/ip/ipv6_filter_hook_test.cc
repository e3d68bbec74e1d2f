// The firewall hooks in Ipv6Layer: input after the extension headers and
// before the upper layer, output before fragmentation (one verdict for the
// whole datagram), reject as ICMPv6 port unreachable (RFC 4443 §3.1 code 4),
// `ip` (v4-only) rules not applied to IPv6.
#include <gtest/gtest.h>

#include "ip/filter/filter.h"
#include "ip/ipv6.h"
#include "ip_test_util.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

namespace stackd::ip::testing {
namespace {
using filter::Action;
using filter::Hook;

Ipv6Addr A6(const char* s) { return *Ipv6Addr::parse(s); }

struct Count6 final : Ipv6ProtocolHandler {
  size_t n = 0;
  void input(const Ipv6RxMeta&, buf::PacketBuf&&, Instant) override { ++n; }
  void error(const Icmp6ErrorIn&, Instant) override {}
};

class Ipv6Hooks : public IpFixture {
 protected:
  Ipv6Hooks() {
    eth.ipv6 = true;
    eth.addrs6.push_back({A6("fe80::2"), 64, l2::Ipv6AddrState::kPreferred, 0});
    eth.addrs6.push_back({A6("fd00::2"), 64, l2::Ipv6AddrState::kPreferred, 0});
    eth.addrs.push_back(*IpPrefix::parse("fd00::2/64"));
    ip6.add_interface(eth);
    ip6.register_protocol(17, udp);
    ip6.set_filter(&fw);
  }
  // fd00::1 -> fd00::2 UDP sport 1000 -> dport.
  void rx_udp(uint16_t dport) {
    constexpr uint32_t kLen = 40 + 8 + 4;
    buf::PacketBuf b = heap.alloc(kLen);
    ASSERT_TRUE(b.append(kLen));
    std::memset(b.data(), 0, kLen);
    wire::Ipv6Repr h{A6("fd00::1"), A6("fd00::2"), 17, 64, 12, 0, 0};
    h.emit(b.bytes());
    store_be16(b.data() + 40, 1000);
    store_be16(b.data() + 42, dport);
    store_be16(b.data() + 44, 12);
    ip6.ipv6_input(eth, std::move(b), l2::LinkCast::kUnicast, clock.now());
  }
  TxResult tx_udp(uint16_t dport, size_t n) {
    buf::PacketBuf b = heap.alloc(static_cast<uint32_t>(n));
    EXPECT_TRUE(b.append(static_cast<uint32_t>(n)));
    std::memset(b.data(), 0, n);
    store_be16(b.data(), 1000);
    store_be16(b.data() + 2, dport);
    Ipv6TxParams p;
    p.dst = A6("fd00::1");
    p.next_header = 17;
    return ip6.output(std::move(b), p, clock.now());
  }
  filter::Rule udp_rule(Action a, uint16_t port, uint8_t version = 0) {
    filter::Rule r;
    r.action = a;
    r.match.proto = 17;
    r.match.ip_version = version;
    r.match.dport = filter::PortRange{port, port};
    return r;
  }
  Ipv6Layer ip6{cfg, counters, drops, l2, fib, pool, heap};
  Count6 udp;
  filter::Filter fw;
};

TEST_F(Ipv6Hooks, InputDropStopsTheUpperLayerAndCounts) {
  ASSERT_TRUE(fw.append(Hook::kInput, udp_rule(Action::kDrop, 53, 6)));
  rx_udp(53);
  rx_udp(54);
  EXPECT_EQ(udp.n, 1u);
  EXPECT_EQ(drops[DropReason::kIpFirewall], 1u);
  EXPECT_EQ(fw.list(Hook::kInput)[0].counters.packets, 1u);
  EXPECT_EQ(fw.list(Hook::kInput)[0].counters.bytes, 52u);  // IPv6 header + UDP + 4
  EXPECT_TRUE(l2.sent6.empty());
}

TEST_F(Ipv6Hooks, Ipv4OnlyRulesDoNotApply) {
  ASSERT_TRUE(fw.append(Hook::kInput, udp_rule(Action::kDrop, 53, 4)));
  rx_udp(53);
  EXPECT_EQ(udp.n, 1u);
}

TEST_F(Ipv6Hooks, InputRejectSendsPortUnreachable) {
  ASSERT_TRUE(fw.append(Hook::kInput, udp_rule(Action::kReject, 53)));
  rx_udp(53);
  EXPECT_EQ(udp.n, 0u);
  EXPECT_EQ(drops[DropReason::kFwReject], 1u);
  ASSERT_EQ(l2.sent6.size(), 1u);
  auto bytes = l2.sent6[0].pkt.bytes();
  auto h = wire::Ipv6Repr::parse(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->next_header, wire::ip_proto::kIcmpv6);
  EXPECT_EQ(h->dst, A6("fd00::1"));
  EXPECT_EQ(bytes[40], 1);  // destination unreachable
  EXPECT_EQ(bytes[41], 4);  // port unreachable
}

TEST_F(Ipv6Hooks, OutputDropFailsTheSenderBeforeFragmentation) {
  ASSERT_TRUE(fw.append(Hook::kOutput, udp_rule(Action::kDrop, 7)));
  auto r = tx_udp(7, 3000);  // would be 3 fragments
  EXPECT_EQ(r.reason, DropReason::kIpFirewall);
  EXPECT_TRUE(l2.sent6.empty());
  EXPECT_EQ(fw.list(Hook::kOutput)[0].counters.packets, 1u);  // one verdict per datagram
  ASSERT_TRUE(tx_udp(8, 100).ok());
  EXPECT_EQ(l2.sent6.size(), 1u);
}

}  // namespace
}  // namespace stackd::ip::testing
