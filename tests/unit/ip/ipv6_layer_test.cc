// Ipv6Layer over a fake L2: local delivery of ::1 and our own addresses
// (never ::1 from a link), routing scope of link-local destinations, no
// source before DAD, fragmentation of our own packets to the path MTU, and
// ND messages handed down to l2.
#include <gtest/gtest.h>

#include "ip/ipv6.h"
#include "ip_test_util.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"
#include "wire/ndp.h"

namespace stackd::ip::testing {
namespace {

Ipv6Addr A6(const char* s) { return *Ipv6Addr::parse(s); }

struct Recorder6 final : Ipv6ProtocolHandler {
  std::vector<Ipv6RxMeta> in;
  void input(const Ipv6RxMeta& m, buf::PacketBuf&&, Instant) override {
    in.push_back(m);
    in.back().quote = {};
  }
  void error(const Icmp6ErrorIn&, Instant) override {}
};

class Ipv6LayerTest : public IpFixture {
 protected:
  Ipv6LayerTest() {
    eth.ipv6 = true;
    eth.addrs6.push_back({A6("fe80::2"), 64, l2::Ipv6AddrState::kPreferred, 0});
    eth.addrs6.push_back({A6("fd00::2"), 64, l2::Ipv6AddrState::kPreferred, 0});
    eth.addrs.push_back(*IpPrefix::parse("fd00::2/64"));
    ip6.add_interface(eth);
    ip6.register_protocol(17, rec);
  }
  buf::PacketBuf l4(size_t n) {
    buf::PacketBuf b = heap.alloc(static_cast<uint32_t>(n));
    EXPECT_TRUE(b.append(static_cast<uint32_t>(n)));
    for (size_t i = 0; i < n; ++i) b.data()[i] = static_cast<uint8_t>(i);
    return b;
  }
  TxResult send(const Ipv6Addr& dst, size_t n, uint16_t ifindex = 0) {
    Ipv6TxParams p;
    p.dst = dst;
    p.next_header = 17;
    p.ifindex = ifindex;
    return ip6.output(l4(n), p, clock.now());
  }
  Ipv6Layer ip6{cfg, counters, drops, l2, fib, pool, heap};
  Recorder6 rec;
};

TEST_F(Ipv6LayerTest, LoopbackAndOwnAddressesAreDeliveredLocally) {
  ASSERT_TRUE(send(Ipv6Addr::loopback(), 100).ok());
  ASSERT_TRUE(send(A6("fd00::2"), 100).ok());
  EXPECT_TRUE(l2.sent6.empty());  // never on the wire
  ip6.poll(clock.now());
  ASSERT_EQ(rec.in.size(), 2u);
  EXPECT_EQ(rec.in[0].src, Ipv6Addr::loopback());
  EXPECT_EQ(rec.in[0].dst, Ipv6Addr::loopback());
  EXPECT_EQ(rec.in[1].src, A6("fd00::2"));
}

// As IPv4: ours and ::1 are built on the heap (local delivery's 64 KiB MTU).
TEST_F(Ipv6LayerTest, PoolToOwnAddressOrLoopbackIsTheHeap) {
  EXPECT_EQ(&ip6.pool_to(A6("fd00::2"), 1), &heap);
  EXPECT_EQ(&ip6.pool_to(Ipv6Addr::loopback(), 1), &heap);
  EXPECT_EQ(&ip6.pool_to(A6("fd00::1"), 1), &pool);
}

TEST_F(Ipv6LayerTest, LoopbackFromALinkIsDropped) {
  wire::Ipv6Repr h{A6("fd00::1"), Ipv6Addr::loopback(), 17, 64, 8, 0, 0};
  buf::PacketBuf b = heap.alloc(48);
  ASSERT_TRUE(b.append(48));
  h.emit(b.bytes());
  ip6.ipv6_input(eth, std::move(b), l2::LinkCast::kUnicast, clock.now());
  EXPECT_TRUE(rec.in.empty());
  EXPECT_EQ(drops[DropReason::kIp6BadSource], 1u);
}

TEST_F(Ipv6LayerTest, LinkLocalDestinationUsesTheLinkLocalSource) {
  ASSERT_TRUE(send(A6("fe80::1"), 10).ok());
  ASSERT_EQ(l2.sent6.size(), 1u);
  auto h = wire::Ipv6Repr::parse(l2.sent6[0].pkt.bytes());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->src, A6("fe80::2"));
  EXPECT_EQ(l2.sent6[0].next_hop, A6("fe80::1"));
  EXPECT_EQ(h->hop_limit, 64);
}

TEST_F(Ipv6LayerTest, NoSourceBeforeDad) {
  for (auto& a : eth.addrs6) a.state = l2::Ipv6AddrState::kTentative;
  auto r = send(A6("fd00::1"), 10);
  EXPECT_EQ(r.reason, DropReason::kIp6NoRoute);
  EXPECT_EQ(counters[Counter::Ip6OutNoRoutes], 1u);
}

TEST_F(Ipv6LayerTest, OwnPacketsAreFragmentedToThePathMtu) {
  ip6.pmtu().update(A6("fd00::1"), 1280, 1500, clock.now());
  ASSERT_TRUE(send(A6("fd00::1"), 3000).ok());
  ASSERT_EQ(l2.sent6.size(), 3u);  // 1232 + 1232 + 536
  uint32_t ident = 0;
  for (size_t i = 0; i < 3; ++i) {
    auto bytes = l2.sent6[i].pkt.bytes();
    EXPECT_LE(bytes.size(), 1280u);
    auto h = *wire::Ipv6Repr::parse(bytes);
    EXPECT_EQ(h.next_header, wire::ip_proto::kIpv6Frag);
    auto f = *wire::Ipv6FragRepr::parse(bytes.subspan(40));
    EXPECT_EQ(f.next_header, 17);
    EXPECT_EQ(f.frag_offset, i * 1232);
    EXPECT_EQ(f.more_frags, i < 2);
    if (i == 0) ident = f.ident;
    EXPECT_EQ(f.ident, ident);
  }
  EXPECT_EQ(counters[Counter::Ip6FragCreates], 3u);
  Ipv6TxParams p;
  p.dst = A6("fd00::1");
  p.next_header = 17;
  p.dont_frag = true;
  auto r = ip6.output(l4(3000), p, clock.now());
  EXPECT_EQ(r.reason, DropReason::kIp6PacketTooBig);
  EXPECT_EQ(r.mtu, 1280u);
}

TEST_F(Ipv6LayerTest, NeighborDiscoveryIsHandedToL2) {
  wire::NdpRepr nd;
  nd.msg = wire::NdpNeighborSolicit{A6("fd00::2")};
  nd.options.source_lladdr = MacAddr{{2, 0, 0, 0, 0, 1}};
  std::vector<uint8_t> m(nd.buffer_len());
  const Ipv6Addr dst = A6("fd00::2").solicited_node();
  nd.emit(m, A6("fe80::1"), dst);
  wire::Ipv6Repr h{A6("fe80::1"), dst, wire::ip_proto::kIcmpv6, 255,
                   static_cast<uint16_t>(m.size()), 0, 0};
  buf::PacketBuf b = heap.alloc(static_cast<uint32_t>(40 + m.size()));
  ASSERT_TRUE(b.append(static_cast<uint32_t>(40 + m.size())));
  h.emit(b.bytes());
  std::copy(m.begin(), m.end(), b.data() + 40);
  eth.mcast_macs.push_back(MacAddr{{0x33, 0x33, 0xff, 0, 0, 2}});
  ip6.ipv6_input(eth, std::move(b), l2::LinkCast::kMulticast, clock.now());
  ASSERT_EQ(l2.nd.size(), 1u);
  EXPECT_EQ(l2.nd[0], m);
  EXPECT_EQ(counters[Counter::Icmp6InNeighborSolicits], 1u);
}

}  // namespace
}  // namespace stackd::ip::testing
