// Raw IPv4 sockets (raw(7)) over a whole stack: copies of received
// datagrams with their IP header, while TCP/UDP/ICMP go on being served;
// protocol, bind and connect filtering; ICMP_FILTER; IP_HDRINCL sends with
// the fields Linux fills in and malformed headers refused; the queue
// bound and its drop count; and the session's privilege rule (EPERM).
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "session/session_table.h"
#include "support/checker.h"
#include "support/stack_harness.h"
#include "transport/raw.h"
#include "wire/icmpv4.h"
#include "wire/tcp.h"
#include "wire/ipv4.h"

namespace stackd::testsupport {
namespace {

using transport::RawSocket;
namespace t = wire::icmpv4_type;

class RawPacket : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();  // the announcement
    raw_ = std::make_unique<transport::RawLayer>(stack().udp().ip());
  }
  void TearDown() override {
    socks_.clear();
    raw_.reset();
    StackTest::TearDown();
  }
  RawSocket& sock(uint8_t proto, RawSocket::Options o = {}) {
    socks_.push_back(std::make_unique<RawSocket>(*raw_, proto, o));
    return *socks_.back();
  }
  static wire::Ipv4View<const uint8_t> ip_of(const transport::RawDatagram& d) {
    return wire::Ipv4View<const uint8_t>(d.bytes.bytes());
  }
  std::unique_ptr<transport::RawLayer> raw_;
  std::vector<std::unique_ptr<RawSocket>> socks_;
};

TEST_F(RawPacket, IcmpCopyWithHeaderWhileStackStillAnswersEcho) {
  RawSocket& s = sock(wire::ip_proto::kIcmp);
  auto data = pattern(32, 1);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 0x77, 3, data, 0x4242));
  auto tx = run();
  // The stack answered as always (Linux: raw sockets do not steal ICMP echo).
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Icmp(Type(t::kEchoReply), EchoId(0x77), EchoSeq(3))));
  // ... and the raw socket has the request, IP header first.
  auto d = s.recv();
  ASSERT_TRUE(d.has_value());
  auto ip = ip_of(*d);
  EXPECT_EQ(ip.version(), 4);
  EXPECT_EQ(ip.header_len(), 20u);
  EXPECT_EQ(ip.total_len(), d->bytes.size());
  EXPECT_EQ(ip.ident(), 0x4242);
  EXPECT_EQ(ip.src(), kPeerIp);
  EXPECT_EQ(ip.dst(), kStackIp);
  EXPECT_EQ(ip.protocol(), wire::ip_proto::kIcmp);
  EXPECT_TRUE(ip.verify_checksum());
  const auto want = icmp_echo(0x77, 3, data);
  EXPECT_TRUE(std::ranges::equal(ip.payload(), want));
  EXPECT_EQ(d->src, kPeerIp);
  EXPECT_FALSE(s.recv().has_value());
}

TEST_F(RawPacket, ProtocolFilteringUdpAndTcpCopies) {
  RawSocket& icmp = sock(wire::ip_proto::kIcmp);
  RawSocket& udp = sock(wire::ip_proto::kUdp);
  RawSocket& udp2 = sock(wire::ip_proto::kUdp);
  RawSocket& tcp = sock(wire::ip_proto::kTcp);
  auto payload = pattern(10, 5);
  send(eth_ipv4_udp(kPeerMac, kStackMac, kPeerIp, kStackIp, 5000, 7, payload));  // to the echo service
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);  // echoed by the stack: UDP still served
  EXPECT_FALSE(icmp.readable());
  EXPECT_FALSE(tcp.readable());
  // Every matching socket gets its own copy.
  for (RawSocket* s : {&udp, &udp2}) {
    auto d = s->recv();
    ASSERT_TRUE(d.has_value());
    auto ip = ip_of(*d);
    EXPECT_EQ(ip.protocol(), wire::ip_proto::kUdp);
    EXPECT_EQ(ip.total_len(), 20u + 8u + payload.size());
    EXPECT_TRUE(std::ranges::equal(ip.payload(), udp_datagram(kPeerIp, kStackIp, 5000, 7, payload)));
  }
  // A TCP SYN to a closed port: the stack answers RST, the raw socket has the SYN.
  wire::Ipv4Repr h;
  h.src = kPeerIp;
  h.dst = kStackIp;
  h.protocol = wire::ip_proto::kTcp;
  wire::TcpRepr t;
  t.src_port = 5000;
  t.dst_port = 1234;
  t.seq = 77;
  t.flags = wire::tcp_flag::kSyn;
  t.window = 1000;
  Bytes syn(t.buffer_len());
  t.emit(syn, IpAddr(kPeerIp), IpAddr(kStackIp));
  send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(h, syn)));
  tx = run();
  EXPECT_EQ(tx.size(), 1u);  // the RST
  auto d = tcp.recv();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(ip_of(*d).protocol(), wire::ip_proto::kTcp);
  EXPECT_TRUE(std::ranges::equal(ip_of(*d).payload(), syn));
  EXPECT_FALSE(icmp.readable());
}

TEST_F(RawPacket, UnknownProtocolTakenByRawSocketIsNoProtocolUnreachable) {
  wire::Ipv4Repr h;
  h.src = kPeerIp;
  h.dst = kStackIp;
  h.protocol = 253;  // RFC 3692 experimental
  auto body = pattern(16, 2);
  auto frame = eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(h, body));
  send(frame);
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);  // without a raw socket: protocol unreachable
  EXPECT_TRUE(expect_frame(tx[0], Icmp(Type(t::kDestUnreachable), Code(2))));
  RawSocket& s = sock(253);
  send(frame);
  EXPECT_TRUE(run().empty());
  auto d = s.recv();
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(std::ranges::equal(ip_of(*d).payload(), body));
}

TEST_F(RawPacket, BindAndConnectFilter) {
  const Ipv4Addr other = Ipv4Addr::from_octets(10, 0, 0, 9);
  peers[other] = MacAddr{{0x02, 0, 0, 0, 0, 0x09}};
  RawSocket& bound = sock(wire::ip_proto::kIcmp);
  RawSocket& conn = sock(wire::ip_proto::kIcmp);
  RawSocket& any = sock(wire::ip_proto::kIcmp);
  EXPECT_EQ(bound.bind(Ipv4Addr::from_octets(10, 0, 0, 77)), -EADDRNOTAVAIL);  // not ours
  ASSERT_EQ(bound.bind(kStackIp), 0);
  ASSERT_EQ(conn.connect(other), 0);
  auto data = pattern(8);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, data));
  // To the subnet broadcast: the bound socket does not hear it (the stack ignores it too).
  send(eth_icmp_echo(kPeerMac, MacAddr::broadcast(), kPeerIp, kSubnetBroadcast, 1, 2, data));
  send(eth_icmp_echo(peers[other], kStackMac, other, kStackIp, 1, 3, data));
  run();
  EXPECT_EQ(any.rx_queued(), 3u);
  EXPECT_EQ(bound.rx_queued(), 2u);
  EXPECT_EQ(conn.rx_queued(), 1u);
  auto d = conn.recv();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(ip_of(*d).src(), other);
  EXPECT_EQ(conn.connect(Ipv4Addr::any()), 0);  // undone: hears everyone again
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 4, data));
  run();
  EXPECT_EQ(conn.rx_queued(), 1u);
}

TEST_F(RawPacket, IcmpFilterDropsChosenTypes) {
  RawSocket& s = sock(wire::ip_proto::kIcmp);
  s.set_icmp_filter(1u << t::kEchoRequest);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, pattern(8)));
  run();
  EXPECT_FALSE(s.readable());
  s.set_icmp_filter(1u << t::kEchoReply);
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 2, pattern(8)));
  run();
  EXPECT_TRUE(s.readable());
}

TEST_F(RawPacket, ReassembledDatagramComesWhole) {
  RawSocket& s = sock(wire::ip_proto::kIcmp);
  auto data = pattern(3000, 4);
  send_all(fragment_frame(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 9, 9, data, 0x99)));
  run();
  auto d = s.recv();
  ASSERT_TRUE(d.has_value());
  auto ip = ip_of(*d);
  EXPECT_EQ(ip.total_len(), 20u + 8u + data.size());
  EXPECT_FALSE(ip.is_fragment());
  EXPECT_TRUE(ip.verify_checksum());
  EXPECT_TRUE(std::ranges::equal(ip.payload(), icmp_echo(9, 9, data)));
  EXPECT_FALSE(s.recv().has_value());
}

TEST_F(RawPacket, QueueBoundDropsAndCounts) {
  RawSocket& s = sock(wire::ip_proto::kIcmp, RawSocket::Options{.rcv_datagrams = 4});
  for (uint16_t i = 0; i < 6; ++i)
    send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, i, pattern(8)));
  EXPECT_EQ(run().size(), 6u);  // all answered by the stack regardless
  EXPECT_EQ(s.rx_queued(), 4u);
  EXPECT_EQ(s.drops(), 2u);
  EXPECT_EQ(dropped(DropReason::kRawRcvbufFull), 2u);
  // The oldest are kept (a full queue drops the newcomer, as Linux).
  auto d = s.recv();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(load_be16(ip_of(*d).payload().data() + 6), 0u);
  // A byte bound too: one more than fits is dropped, an empty queue takes one.
  RawSocket& b = sock(wire::ip_proto::kIcmp, RawSocket::Options{.rcv_datagrams = 64, .rcv_bytes = 100});
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 1, pattern(200)));
  send(eth_icmp_echo(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 2, pattern(8)));
  run();
  EXPECT_EQ(b.rx_queued(), 1u);
  EXPECT_EQ(b.drops(), 1u);
}

TEST_F(RawPacket, SendBuildsHeaderWithProtocolAndTtl) {
  RawSocket& s = sock(wire::ip_proto::kIcmp);
  s.set_ttl(7);
  auto msg = icmp_echo(0x55, 1, pattern(20));
  ASSERT_EQ(s.send_to(kPeerIp, msg, now()), static_cast<int>(msg.size()));
  auto tx = run();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_TRUE(expect_frame(tx[0], Eth(Dst(kPeerMac)),
                           Ipv4(Src(kStackIp), Dst(kPeerIp), Proto(wire::ip_proto::kIcmp), Ttl(7)),
                           Icmp(Type(t::kEchoRequest), EchoId(0x55), EchoSeq(1))));
  EXPECT_EQ(s.send(msg, now()), -EDESTADDRREQ);
}

Bytes raw_header(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, size_t payload, uint16_t ident) {
  Bytes b(20 + payload, 0xab);
  b[0] = 0x45;
  b[1] = 0;
  store_be16(b.data() + 2, 0x1111);  // wrong: Linux fills the total length in
  store_be16(b.data() + 4, ident);
  store_be16(b.data() + 6, 0);
  b[8] = 33;
  b[9] = proto;
  store_be16(b.data() + 10, 0xdead);  // wrong: filled in
  wire::store_ipv4(b.data() + 12, src);
  wire::store_ipv4(b.data() + 16, dst);
  return b;
}

TEST_F(RawPacket, HdrinclFillsLengthIdSourceChecksum) {
  RawSocket& s = sock(transport::kIpprotoRaw);
  EXPECT_TRUE(s.hdrincl());  // always for IPPROTO_RAW
  auto dgram = raw_header(Ipv4Addr::any(), kPeerIp, 253, 12, 0);
  ASSERT_EQ(s.send_to(kPeerIp, dgram, now()), static_cast<int>(dgram.size()));
  auto spoofed = raw_header(Ipv4Addr::from_octets(10, 0, 0, 50), kPeerIp, 253, 4, 0x7777);
  ASSERT_EQ(s.send_to(kPeerIp, spoofed, now()), static_cast<int>(spoofed.size()));
  auto tx = run();
  ASSERT_EQ(tx.size(), 2u);
  auto f = parse_frame(tx[0]);
  wire::Ipv4View<const uint8_t> ip(std::span<const uint8_t>(tx[0]).subspan(14));
  EXPECT_EQ(ip.total_len(), dgram.size());
  EXPECT_NE(ip.ident(), 0);
  EXPECT_EQ(ip.src(), kStackIp);
  EXPECT_EQ(ip.ttl(), 33);  // the sender's
  EXPECT_EQ(ip.protocol(), 253);
  EXPECT_TRUE(ip.verify_checksum());
  wire::Ipv4View<const uint8_t> ip2(std::span<const uint8_t>(tx[1]).subspan(14));
  EXPECT_EQ(ip2.src(), Ipv4Addr::from_octets(10, 0, 0, 50));  // kept as given
  EXPECT_EQ(ip2.ident(), 0x7777);
  EXPECT_TRUE(ip2.verify_checksum());
}

TEST_F(RawPacket, HdrinclRejectsMalformed) {
  RawSocket& s = sock(wire::ip_proto::kIcmp);
  s.set_hdrincl(true);
  Bytes tiny(12, 0x45);
  EXPECT_EQ(s.send_to(kPeerIp, tiny, now()), -EINVAL);
  auto bad_version = raw_header(kStackIp, kPeerIp, 1, 8, 1);
  bad_version[0] = 0x65;
  EXPECT_EQ(s.send_to(kPeerIp, bad_version, now()), -EINVAL);
  auto bad_ihl = raw_header(kStackIp, kPeerIp, 1, 8, 1);
  bad_ihl[0] = 0x44;
  EXPECT_EQ(s.send_to(kPeerIp, bad_ihl, now()), -EINVAL);
  auto long_ihl = raw_header(kStackIp, kPeerIp, 1, 8, 1);
  long_ihl[0] = 0x4f;  // 60 bytes of header in 28
  EXPECT_EQ(s.send_to(kPeerIp, long_ihl, now()), -EINVAL);
  auto big = raw_header(kStackIp, kPeerIp, 1, 1600, 1);  // over the MTU: no fragmentation
  EXPECT_EQ(s.send_to(kPeerIp, big, now()), -EMSGSIZE);
  Bytes huge(70000, 0);
  huge[0] = 0x45;
  EXPECT_EQ(s.send_to(kPeerIp, huge, now()), -EMSGSIZE);
  EXPECT_TRUE(run().empty());
}

// The session: SOCK_RAW only for a client with the privilege, Linux's errno.
struct NoWakeups : session::Wakeups {
  void wake(std::atomic<uint32_t>*) override {}
  void signal_channel(uint32_t) override {}
  bool fd_readable(uint32_t) override { return true; }
  void fd_writable(uint32_t) override {}
  void fd_shutdown(uint32_t) override {}
  void fd_closed(uint32_t) override {}
};

class RawSession : public ::testing::Test {
 protected:
  RawSession() : stack_(stack::StackConfig{}), table_(stack_.tcp(), stack_.udp()) {
    geo_ = abi::make_geometry(1, 4, 4096);
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(4096, geo_.segment_bytes));
    std::memset(mem_, 0, geo_.segment_bytes);
    client_ = &table_.attach(session::SegmentView{mem_, geo_}, wakeups_);
  }
  ~RawSession() override {
    table_.detach(*client_, Instant{});
    std::free(mem_);
  }
  abi::Response call(abi::Request r) {
    auto& c = reinterpret_cast<abi::Channel*>(mem_ + geo_.channels_off)[0];
    r.tag = ++tag_;
    const uint32_t h = c.req.head.load();
    c.requests[h % abi::kRequestSlots] = r;
    c.req.head.store(h + 1);
    client_->serve_channels(Instant{});
    const uint32_t tl = c.resp.tail.load();
    abi::Response out = c.responses[tl % abi::kResponseSlots];
    c.resp.tail.store(tl + 1);
    return out;
  }
  int socket(int type, int domain, int proto) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kSocket);
    r.a[0] = type;
    r.a[1] = domain;
    r.a[2] = proto;
    last_ = call(r);
    return last_.result;
  }
  int setopt(int level, int name, int v) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kSetsockopt);
    r.sock = last_.sock;
    r.gen = last_.gen;
    r.a[0] = level;
    r.a[1] = name;
    r.a[2] = v;
    return call(r).result;
  }
  stack::Stack stack_;
  session::SessionTable table_;
  abi::Geometry geo_;
  uint8_t* mem_ = nullptr;
  NoWakeups wakeups_;
  session::ClientSockets* client_ = nullptr;
  uint32_t tag_ = 0;
  abi::Response last_{};
};

TEST_F(RawSession, UnprivilegedClientGetsEperm) {
  client_->set_peer({1234, 1000, false});
  EXPECT_EQ(socket(SOCK_RAW, AF_INET, IPPROTO_ICMP), -EPERM);
  EXPECT_EQ(socket(SOCK_RAW, AF_INET, 0), -EPROTONOSUPPORT);  // checked first, as Linux
  EXPECT_EQ(socket(SOCK_RAW, AF_INET, 256), -EINVAL);
  EXPECT_EQ(client_->sockets_open(), 0u);
  EXPECT_EQ(table_.raw().sockets(), 0u);
}

TEST_F(RawSession, PrivilegedClientGetsRawSocketAndOptions) {
  client_->set_peer({1234, 0, true});
  EXPECT_EQ(socket(SOCK_RAW, AF_INET6, IPPROTO_ICMPV6), -ESOCKTNOSUPPORT);
  ASSERT_EQ(socket(SOCK_RAW, AF_INET, IPPROTO_ICMP), 0);
  EXPECT_EQ(table_.raw().sockets(), 1u);
  EXPECT_EQ(setopt(IPPROTO_IP, IP_HDRINCL, 1), 0);
  EXPECT_EQ(setopt(SOL_RAW, ICMP_FILTER, 1 << 8), 0);
  EXPECT_EQ(setopt(IPPROTO_IP, IP_TTL, 0), -EINVAL);
  EXPECT_EQ(setopt(IPPROTO_IP, IP_TTL, 9), 0);
  ASSERT_EQ(socket(SOCK_RAW, AF_INET, IPPROTO_UDP), 0);
  EXPECT_EQ(setopt(SOL_RAW, ICMP_FILTER, 1), -EOPNOTSUPP);  // not an ICMP socket
  EXPECT_EQ(table_.raw().sockets(), 2u);
  client_->reclaim(Instant{});
  EXPECT_EQ(table_.raw().sockets(), 0u);
}

}  // namespace
}  // namespace stackd::testsupport
