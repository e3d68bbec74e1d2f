#include <gtest/gtest.h>

#include <cerrno>

#include "udp_fixture.h"

namespace stackd::transport::testing {
namespace {

using Udp = UdpFixture;

TEST_F(Udp, DeliversToBoundSocket) {
  UdpSocket s(udp());
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
  auto payload = bytes(100);
  rx(udp_packet(40000, 5000, payload));
  ASSERT_EQ(s.rx_queued(), 1u);
  auto d = s.recv();
  ASSERT_TRUE(d);
  EXPECT_EQ(std::vector<uint8_t>(d->payload.bytes().begin(), d->payload.bytes().end()), payload);
  EXPECT_EQ(d->src, IpAddr(A("10.0.0.1")));
  EXPECT_EQ(d->src_port, 40000);
  EXPECT_EQ(d->dst, IpAddr(A("10.0.0.2")));
  EXPECT_EQ(d->ifindex, 1);
  EXPECT_EQ(counters[Counter::UdpInDatagrams], 1u);
  EXPECT_FALSE(s.recv());
}

TEST_F(Udp, SpecificAddressBeatsWildcard) {
  UdpSocket any(udp()), spec(udp());
  ASSERT_EQ(any.bind(Ipv4Addr::any(), 53), 0);
  ASSERT_EQ(spec.bind(A("192.168.1.2"), 53), -EADDRINUSE);  // wildcard holds the port
  UdpSocket s2(udp()), any2(udp());
  ASSERT_EQ(s2.bind(A("192.168.1.2"), 54), 0);
  ASSERT_EQ(any2.bind(Ipv4Addr::any(), 54), -EADDRINUSE);
  UdpSocket s3(udp());
  ASSERT_EQ(s3.bind(A("10.0.0.2"), 54), 0);  // another address, same port
  rx(udp_packet(1, 54, bytes(4), A("10.0.0.1"), A("10.0.0.2")));
  rx(udp_packet(1, 54, bytes(4), A("10.0.0.1"), A("192.168.1.2")));
  EXPECT_EQ(s3.rx_queued(), 1u);
  EXPECT_EQ(s2.rx_queued(), 1u);
  UdpSocket bad(udp());
  EXPECT_EQ(bad.bind(A("10.9.9.9"), 1), -EADDRNOTAVAIL);
  EXPECT_EQ(s3.bind(A("10.0.0.2"), 55), -EINVAL);  // already bound
}

TEST_F(Udp, ChecksumAndLengthErrors) {
  UdpSocket s(udp());
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
  buf::PacketBuf p = udp_packet(1, 5000, bytes(20));
  p.data()[20 + 10] ^= 0xff;  // payload byte
  rx(std::move(p));
  EXPECT_EQ(drops[DropReason::kUdpBadChecksum], 1u);
  EXPECT_EQ(counters[Counter::UdpInCsumErrors], 1u);
  p = udp_packet(1, 5000, bytes(20));
  store_be16(p.data() + 20 + 4, 200);  // UDP length beyond the IP payload
  rx(std::move(p));
  EXPECT_EQ(drops[DropReason::kUdpTruncated], 1u);
  p = udp_packet(1, 5000, bytes(20));
  store_be16(p.data() + 20 + 4, 4);  // below the header
  rx(std::move(p));
  EXPECT_EQ(drops[DropReason::kUdpBadLength], 1u);
  rx(packet(hdr(17), bytes(5)));
  EXPECT_EQ(drops[DropReason::kUdpTruncated], 2u);
  EXPECT_EQ(counters[Counter::UdpInErrors], 4u);
  EXPECT_EQ(s.rx_queued(), 0u);
}

TEST_F(Udp, ZeroChecksumMeansNone) {
  UdpSocket s(udp());
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
  buf::PacketBuf p = udp_packet(1, 5000, bytes(20));
  store_be16(p.data() + 20 + 6, 0);
  rx(std::move(p));
  EXPECT_EQ(s.rx_queued(), 1u);
}

TEST_F(Udp, UdpLengthShorterThanIpPayloadIsTrimmed) {
  UdpSocket s(udp());
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
  std::vector<uint8_t> d(8 + 10 + 6);  // 6 trailing bytes beyond the UDP length
  wire::UdpRepr{1, 5000, 10}.emit(std::span(d).first(18), A("10.0.0.1"), A("10.0.0.2"));
  rx(packet(hdr(17), d));
  auto got = s.recv();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload.size(), 10u);
}

TEST_F(Udp, NoPortSendsPortUnreachableWithQuote) {
  auto payload = bytes(30);
  buf::PacketBuf orig = udp_packet(40000, 9999, payload);
  std::vector<uint8_t> orig_bytes(orig.bytes().begin(), orig.bytes().end());
  udp();
  rx(std::move(orig));
  EXPECT_EQ(counters[Counter::UdpNoPorts], 1u);
  EXPECT_EQ(drops[DropReason::kUdpNoPort], 1u);
  ASSERT_EQ(l2.sent.size(), 1u);
  auto o = sent(0);
  EXPECT_EQ(o.ip.dst, A("10.0.0.1"));
  auto icmp = wire::Icmpv4Repr::parse(o.payload);
  ASSERT_TRUE(icmp.ok());
  auto* du = std::get_if<wire::Icmpv4DestUnreachable>(&icmp->msg);
  ASSERT_NE(du, nullptr);
  EXPECT_EQ(du->code, wire::icmpv4_unreach::kPort);
  EXPECT_EQ(std::vector<uint8_t>(du->invoking.begin(), du->invoking.end()), orig_bytes);
}

TEST_F(Udp, NoPortUnreachableForBroadcastOrMulticast) {
  udp();
  rx(udp_packet(1, 9999, bytes(4), A("10.0.0.1"), A("10.0.0.255")), l2::LinkCast::kBroadcast);
  rx(udp_packet(1, 9999, bytes(4), A("10.0.0.1"), A("255.255.255.255")),
     l2::LinkCast::kBroadcast);
  rx(udp_packet(1, 9999, bytes(4), A("10.0.0.1"), A("224.0.0.1")), l2::LinkCast::kMulticast);
  EXPECT_EQ(counters[Counter::UdpNoPorts], 3u);
  EXPECT_TRUE(l2.sent.empty());
}

TEST_F(Udp, ReceiveQueueIsBounded) {
  UdpSocket s(udp(), UdpSocket::Options{.rcv_datagrams = 2, .rcv_bytes = 1 << 20});
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
  for (int i = 0; i < 3; ++i) rx(udp_packet(1, 5000, bytes(10)));
  EXPECT_EQ(s.rx_queued(), 2u);
  EXPECT_EQ(counters[Counter::UdpRcvbufErrors], 1u);
  EXPECT_EQ(drops[DropReason::kUdpRcvbufFull], 1u);
  UdpSocket b(udp(), UdpSocket::Options{.rcv_datagrams = 16, .rcv_bytes = 25});
  ASSERT_EQ(b.bind(Ipv4Addr::any(), 5001), 0);
  for (int i = 0; i < 3; ++i) rx(udp_packet(1, 5001, bytes(10)));
  EXPECT_EQ(b.rx_queued(), 2u);
  EXPECT_EQ(b.rx_bytes(), 20u);
  b.recv();
  rx(udp_packet(1, 5001, bytes(10)));
  EXPECT_EQ(b.rx_queued(), 2u);
}

TEST_F(Udp, ConnectedSocketHearsOnlyItsPeerAndGetsPortUnreachable) {
  UdpSocket s(udp());
  ASSERT_EQ(s.connect(A("10.0.0.1"), 53), 0);
  EXPECT_TRUE(s.bound());
  EXPECT_GE(s.local_port(), kEphemeralLow);
  rx(udp_packet(54, s.local_port(), bytes(4)));  // wrong peer port
  EXPECT_EQ(s.rx_queued(), 0u);
  rx(udp_packet(53, s.local_port(), bytes(4)));
  EXPECT_EQ(s.rx_queued(), 1u);

  // The peer answers our datagram with port unreachable.
  ASSERT_EQ(s.send(bytes(12), clock.now()), 12);
  std::vector<uint8_t> ours(l2.sent.back().pkt.bytes().begin(), l2.sent.back().pkt.bytes().end());
  wire::Icmpv4Repr du{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kPort, 0, ours}};
  rx(packet(hdr(1), icmp_bytes(du)));
  EXPECT_EQ(s.take_error(), ECONNREFUSED);
  EXPECT_EQ(s.take_error(), 0);

  // An unconnected socket is not told (Linux without IP_RECVERR).
  UdpSocket u(udp());
  ASSERT_EQ(u.send_to(A("10.0.0.1"), 53, bytes(12), clock.now()), 12);
  std::vector<uint8_t> q(l2.sent.back().pkt.bytes().begin(), l2.sent.back().pkt.bytes().end());
  wire::Icmpv4Repr du2{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kPort, 0, q}};
  rx(packet(hdr(1), icmp_bytes(du2)));
  EXPECT_EQ(u.take_error(), 0);
}

// iperf3's UDP server: the listener connects to its first client, a new
// socket binds the same (addr, port) with SO_REUSEADDR (Linux allows it);
// the connected one keeps its peer's datagrams and ICMP errors, the new one
// gets everyone else's; closing either leaves the other as it was.
TEST_F(Udp, ReuseaddrBindBesideAConnectedSocket) {
  auto first = std::make_unique<UdpSocket>(udp());
  first->set_reuseaddr(true);
  ASSERT_EQ(first->bind(A("10.0.0.2"), 5201), 0);
  ASSERT_EQ(first->connect(A("10.0.0.1"), 40000), 0);
  UdpSocket plain(udp());
  EXPECT_EQ(plain.bind(A("10.0.0.2"), 5201), -EADDRINUSE);  // without SO_REUSEADDR
  UdpSocket next(udp());
  next.set_reuseaddr(true);
  ASSERT_EQ(next.bind(A("10.0.0.2"), 5201), 0);
  EXPECT_EQ(udp().sockets_bound(), 2u);
  UdpSocket third(udp());
  third.set_reuseaddr(true);
  EXPECT_EQ(third.bind(A("10.0.0.2"), 5201), -EADDRINUSE);  // two unconnected ones conflict

  rx(udp_packet(40000, 5201, bytes(4)));  // the connected socket's peer
  rx(udp_packet(40001, 5201, bytes(5)));  // a new client
  EXPECT_EQ(first->rx_queued(), 1u);
  ASSERT_EQ(next.rx_queued(), 1u);
  EXPECT_EQ(next.recv()->src_port, 40001);

  // Port unreachable for the connected socket's datagram reaches it.
  ASSERT_EQ(first->send(bytes(12), clock.now()), 12);
  std::vector<uint8_t> ours(l2.sent.back().pkt.bytes().begin(), l2.sent.back().pkt.bytes().end());
  rx(packet(hdr(1), icmp_bytes(wire::Icmpv4Repr{
                        wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kPort, 0, ours}})));
  EXPECT_EQ(first->take_error(), ECONNREFUSED);

  // Connected again to another peer: its datagrams follow it.
  ASSERT_EQ(first->connect(A("10.0.0.1"), 40002), 0);
  rx(udp_packet(40002, 5201, bytes(4)));
  rx(udp_packet(40000, 5201, bytes(4)));  // the old peer: now the listener's
  EXPECT_EQ(first->rx_queued(), 2u);
  EXPECT_EQ(next.rx_queued(), 1u);

  first.reset();  // closing the moved-aside socket leaves the listener alone
  EXPECT_EQ(udp().sockets_bound(), 1u);
  rx(udp_packet(40002, 5201, bytes(4)));
  EXPECT_EQ(next.rx_queued(), 2u);
}

TEST_F(Udp, OnlyHardIcmpErrorsAreReported) {
  UdpSocket s(udp());
  ASSERT_EQ(s.connect(A("10.0.0.1"), 53), 0);
  ASSERT_EQ(s.send(bytes(12), clock.now()), 12);
  std::vector<uint8_t> ours(l2.sent.back().pkt.bytes().begin(), l2.sent.back().pkt.bytes().end());
  wire::Icmpv4Repr host{wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kHost, 0, ours}};
  rx(packet(hdr(1), icmp_bytes(host)));
  EXPECT_EQ(s.take_error(), 0);  // soft error (Linux icmp_err_convert)
  wire::Icmpv4Repr admin{
      wire::Icmpv4DestUnreachable{wire::icmpv4_unreach::kAdminProhibited, 0, ours}};
  rx(packet(hdr(1), icmp_bytes(admin)));
  EXPECT_EQ(s.take_error(), EHOSTUNREACH);
}

TEST_F(Udp, SendToBuildsAValidDatagram) {
  UdpSocket s(udp());
  ASSERT_EQ(s.bind(Ipv4Addr::any(), 6000), 0);
  auto payload = bytes(300);
  ASSERT_EQ(s.send_to(A("10.0.0.1"), 7000, payload, clock.now()), 300);
  ASSERT_EQ(l2.sent.size(), 1u);
  auto o = sent(0);
  EXPECT_EQ(o.ip.protocol, 17);
  EXPECT_EQ(o.ip.src, A("10.0.0.2"));
  auto u = wire::UdpRepr::parse(o.payload, IpAddr(o.ip.src), IpAddr(o.ip.dst));  // checksum
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->src_port, 6000);
  EXPECT_EQ(u->dst_port, 7000);
  EXPECT_EQ(std::vector<uint8_t>(o.payload.begin() + 8, o.payload.end()), payload);
  EXPECT_NE(load_be16(o.payload.data() + 6), 0);
  EXPECT_EQ(counters[Counter::UdpOutDatagrams], 1u);
}

TEST_F(Udp, SendErrors) {
  UdpSocket s(udp());
  EXPECT_EQ(s.send_to(A("10.0.0.1"), 0, bytes(1), clock.now()), -EINVAL);
  EXPECT_EQ(s.send_to(A("10.0.0.1"), 1, bytes(kUdpMaxPayload + 1), clock.now()), -EMSGSIZE);
  EXPECT_EQ(s.send_to(A("8.8.8.8"), 1, bytes(1), clock.now()), -ENETUNREACH);
  EXPECT_EQ(s.send(bytes(1), clock.now()), -EDESTADDRREQ);
  EXPECT_EQ(counters[Counter::IpOutNoRoutes], 1u);
}

TEST_F(Udp, EphemeralPortsAreDistinct) {
  UdpSocket a(udp()), b(udp());
  ASSERT_EQ(a.bind(Ipv4Addr::any(), 0), 0);
  ASSERT_EQ(b.bind(Ipv4Addr::any(), 0), 0);
  EXPECT_NE(a.local_port(), b.local_port());
  EXPECT_GE(a.local_port(), kEphemeralLow);
  EXPECT_LE(b.local_port(), kEphemeralHigh);
  UdpSocket c(udp());  // autobind on first send
  ASSERT_EQ(c.send_to(A("10.0.0.1"), 9, bytes(1), clock.now()), 1);
  EXPECT_TRUE(c.bound());
  EXPECT_NE(c.local_port(), a.local_port());
}

TEST_F(Udp, UnbindOnDestruction) {
  {
    UdpSocket s(udp());
    ASSERT_EQ(s.bind(Ipv4Addr::any(), 5000), 0);
    EXPECT_EQ(udp().sockets_bound(), 1u);
  }
  EXPECT_EQ(udp().sockets_bound(), 0u);
  UdpSocket s2(udp());
  EXPECT_EQ(s2.bind(Ipv4Addr::any(), 5000), 0);
}

TEST_F(Udp, MaximumDatagramIsFragmentedAndReassembles) {
  UdpSocket s(udp());
  auto payload = bytes(kUdpMaxPayload);
  ASSERT_EQ(s.send_to(A("10.0.0.1"), 7000, payload, clock.now()),
            static_cast<int>(kUdpMaxPayload));
  EXPECT_EQ(l2.sent.size(), (65515u + 1479) / 1480);
  auto whole = reassemble_sent();
  ASSERT_TRUE(whole);
  auto u = wire::UdpRepr::parse(whole->payload.bytes(), IpAddr(A("10.0.0.2")),
                                IpAddr(A("10.0.0.1")));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->payload_len, kUdpMaxPayload);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), whole->payload.bytes().begin() + 8));
}

TEST_F(Udp, LocalDeliveryBetweenTwoSockets) {
  UdpSocket a(udp()), b(udp());
  ASSERT_EQ(b.bind(A("10.0.0.2"), 5000), 0);
  ASSERT_EQ(a.send_to(A("10.0.0.2"), 5000, bytes(20000), clock.now()), 20000);
  EXPECT_TRUE(l2.sent.empty());
  ip().poll(clock.now());
  auto d = b.recv();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->payload.size(), 20000u);
  EXPECT_EQ(d->src_port, a.local_port());
}

}  // namespace
}  // namespace stackd::transport::testing
