// UDP over IPv6 (RFC 768, RFC 8200 §8.1) through the whole stack: the echo
// service answers over IPv6 (also fragmented both ways), a zero checksum
// is dropped, a closed port gets ICMPv6 port unreachable, and Packet Too
// Big lowers the path MTU of the destination, never below 1280 (RFC 8201).
#include <algorithm>

#include "ipv6_fixture.h"
#include "support/checker.h"
#include "transport/udp.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

namespace stackd::testsupport {
namespace {

namespace ip6 = wire::ip_proto;
namespace t6 = wire::icmpv6_type;

class Udp6 : public Ipv6Test {
 protected:
  void SetUp() override {
    Ipv6Test::SetUp();
    ready();
  }
  // Echo `n` bytes; the reply's UDP bytes (reassembled when fragmented).
  std::optional<Bytes> echo(size_t n, std::vector<Bytes>* frames = nullptr) {
    auto req = eth_udp6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 40000, 7, pattern(n));
    send_all(fragment_frame6(req, 1500, 11));
    auto tx = run();
    if (frames) *frames = tx;
    if (tx.size() == 1 && !parse6(tx[0])->frag) {
      auto l4 = parse6(tx[0])->l4;
      return Bytes(l4.begin(), l4.end());
    }
    return reassemble6(tx);
  }
};

TEST_F(Udp6, EchoAnswersOverIpv6) {
  for (size_t n : {1u, 1452u, 1453u, 65527u}) {
    std::vector<Bytes> frames;
    auto u = echo(n, &frames);
    ASSERT_TRUE(u) << n;
    auto r = wire::UdpRepr::parse(*u, IpAddr(kStackIp6), IpAddr(kPeerIp6));
    ASSERT_TRUE(r) << n;  // the IPv6 pseudo-header checksum is right
    EXPECT_EQ(r->src_port, 7);
    EXPECT_EQ(r->dst_port, 40000);
    EXPECT_TRUE(std::ranges::equal(std::span<const uint8_t>(*u).subspan(8), pattern(n))) << n;
    // 1452 + 8 + 40 fills 1500 exactly; more is fragmented.
    EXPECT_EQ(frames.size() > 1, n > 1452) << n;
  }
  EXPECT_EQ(counter(Counter::Udp6InDatagrams), 4u);
  EXPECT_EQ(counter(Counter::Udp6OutDatagrams), 4u);
  EXPECT_EQ(counter(Counter::UdpInDatagrams), 0u);
}

TEST_F(Udp6, ZeroChecksumIsDropped) {
  auto f = eth_udp6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 40000, 7, pattern(20));
  f[14 + 40 + 6] = f[14 + 40 + 7] = 0;
  send(f);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kUdpZeroChecksumV6), 1u);
  EXPECT_EQ(counter(Counter::Udp6InErrors), 1u);
}

TEST_F(Udp6, ClosedPortGetsPortUnreachable) {
  auto f = eth_udp6(kPeerMac, kStackMac, kPeerIp6, kStackIp6, 40000, 4444, pattern(20));
  send(f);
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  auto p = parse6(tx[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->l4[0], t6::kDestUnreachable);
  EXPECT_EQ(p->l4[1], wire::icmpv6_unreach::kPort);
  // The quote is the invoking packet from its IPv6 header.
  auto ip = std::span<const uint8_t>(f).subspan(14, 40 + 8 + 20);
  EXPECT_TRUE(std::ranges::equal(p->l4.subspan(8), ip));
  EXPECT_EQ(counter(Counter::Udp6NoPorts), 1u);
  EXPECT_EQ(counter(Counter::Icmp6OutDestUnreachs), 1u);
}

TEST_F(Udp6, PacketTooBigLowersThePathMtuNeverBelow1280) {
  // The peer's router says 1000: the stack uses 1280 (RFC 8201 §4).
  auto sent = eth_udp6(kStackMac, kPeerMac, kStackIp6, kPeerIp6, 7, 40000, pattern(1400));
  wire::Icmpv6Repr ptb{wire::Icmpv6PacketTooBig{1000, std::span<const uint8_t>(sent).subspan(14, 1232)}};
  Bytes m(ptb.buffer_len());
  ptb.emit(m, A6("fd00::fe"), kStackIp6);
  send(eth_ipv6(kPeerMac, kStackMac,
                ipv6_packet({A6("fd00::fe"), kStackIp6, ip6::kIcmpv6, 64, 0, 0, 0}, m)));
  run();
  EXPECT_EQ(counter(Counter::Icmp6InPktTooBigs), 1u);
  std::vector<Bytes> frames;
  auto u = echo(1400, &frames);
  ASSERT_TRUE(u);
  ASSERT_EQ(frames.size(), 2u);
  for (const auto& f : frames) EXPECT_LE(f.size() - 14, 1280u);
  EXPECT_EQ(frames[0].size() - 14, 1280u);  // 40 + 8 + 1232 (a multiple of 8)
}

// Dual-stack UDP as Linux: a socket on :: without IPV6_V6ONLY also hears
// IPv4 (the source stays an IPv4 address; the session shows it v4-mapped)
// and sends to IPv4; with IPV6_V6ONLY an IPv4 datagram finds no socket.
TEST_F(Udp6, WildcardV6SocketIsDualStackUnlessV6Only) {
  transport::UdpSocket dual(stack().udp());
  ASSERT_EQ(dual.bind(IpAddr(Ipv6Addr::any()), 5000), 0);
  send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 5000, pattern(20)));
  EXPECT_TRUE(run().empty());
  auto d = dual.recv();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->src == IpAddr(kPeerIp));
  EXPECT_EQ(d->src_port, 40000);
  EXPECT_EQ(d->payload.size(), 20u);
  // An answer to the IPv4 peer goes out as IPv4, from our IPv4 address.
  ASSERT_EQ(dual.send_to(IpAddr(kPeerIp), 40000, pattern(8), now()), 8);
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(17)),
                           Udp(SrcPort(5000), DstPort(40000), Payload(pattern(8)))));

  transport::UdpSocket v6only(stack().udp());
  ASSERT_EQ(v6only.set_v6only(true), 0);
  ASSERT_EQ(v6only.bind(IpAddr(Ipv6Addr::any()), 5001), 0);
  EXPECT_EQ(v6only.set_v6only(false), -EINVAL);  // only before bind
  send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 40000, 5001, pattern(20)));
  tx = run();
  ASSERT_EQ(tx.size(), 1u);  // ICMP port unreachable: nobody hears IPv4 on 5001
  EXPECT_TRUE(expect_frame(tx[0], Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(1))));
  EXPECT_FALSE(v6only.recv());
  EXPECT_EQ(v6only.send_to(IpAddr(kPeerIp), 40000, pattern(8), now()), -EAFNOSUPPORT);

  // An AF_INET6 socket connected to an IPv4 peer binds :: and hears the
  // ICMP port unreachable its datagram draws (Linux: ECONNREFUSED).
  transport::UdpSocket c(stack().udp(), transport::UdpSocket::Options{.v6 = true});
  ASSERT_EQ(c.connect(IpAddr(kPeerIp), 53), 0);
  EXPECT_TRUE(c.local_addr() == IpAddr(Ipv6Addr::any()));
  ASSERT_EQ(c.send(pattern(12), now()), 12);
  tx = run();
  ASSERT_EQ(tx.size(), 1u);
  const Bytes ours(tx[0].begin() + 14, tx[0].end());
  wire::Icmpv4Repr du{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kPort, 0, ours}};
  Bytes icmp(du.buffer_len());
  du.emit(icmp);
  wire::Ipv4Repr ip;
  ip.src = kPeerIp;
  ip.dst = kStackIp;
  ip.protocol = 1;
  send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(ip, icmp)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(c.take_error(), ECONNREFUSED);
}

// Linux's bind conflicts between the families (no SO_REUSEADDR).
TEST_F(Udp6, BindConflictsBetweenFamiliesFollowLinux) {
  auto& udp = stack().udp();
  transport::UdpSocket v4any(udp), dual(udp), v6only(udp), v4addr(udp), dual2(udp);
  ASSERT_EQ(v4any.bind(IpAddr(Ipv4Addr::any()), 6000), 0);
  EXPECT_EQ(dual.bind(IpAddr(Ipv6Addr::any()), 6000), -EADDRINUSE);  // :: covers 0.0.0.0
  ASSERT_EQ(v6only.set_v6only(true), 0);
  EXPECT_EQ(v6only.bind(IpAddr(Ipv6Addr::any()), 6000), 0);          // coexists with IPv4
  ASSERT_EQ(dual2.bind(IpAddr(Ipv6Addr::any()), 6001), 0);
  EXPECT_EQ(v4addr.bind(IpAddr(kStackIp), 6001), -EADDRINUSE);       // the dual :: holds it
  EXPECT_EQ(v4addr.bind(IpAddr(kStackIp), 6002), 0);
  transport::UdpSocket dual3(udp);
  EXPECT_EQ(dual3.bind(IpAddr(Ipv6Addr::any()), 6002), -EADDRINUSE);  // an IPv4 address holds it
}

}  // namespace
}  // namespace stackd::testsupport
