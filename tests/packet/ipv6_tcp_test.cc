// TCP over IPv6 through the whole stack (RFC 9293 with RFC 8200 §8.1/§8.3
// and RFC 8201 §5.2): the echo service's handshake, data and close over
// IPv6 with the IPv6 pseudo-header checksum both ways, the MSS from the
// link MTU (MTU - 60, never below 1220), a RST for a port nobody listens
// on, Packet Too Big lowering the MSS only when it quotes a sequence
// number in the connection's window, an active open over IPv6, and
// dual-stack listeners (IPv4 accepted on :: unless IPV6_V6ONLY, Linux's
// EADDRINUSE rules between the families; the services' one listener on ::
// serves both).
#include <algorithm>

#include "base/byteorder.h"
#include "ip/filter/filter.h"
#include "ipv6_fixture.h"
#include "transport/tcp/tcp_socket.h"
#include "wire/ethernet.h"
#include "wire/ip_proto.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace stackd::testsupport {
namespace {

using namespace wire::tcp_flag;
namespace ipp = wire::ip_proto;

struct Got {
  wire::TcpRepr h;
  Bytes payload;
  size_t ip_len = 0;         // IP header + TCP segment
  uint8_t hop_limit = 0;     // IPv6 only
  uint8_t traffic_class = 0;
};

wire::TcpRepr seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                  std::optional<uint16_t> mss = std::nullopt) {
  wire::TcpRepr h;
  h.src_port = sport;
  h.dst_port = dport;
  h.seq = seq;
  h.ack = ack;
  h.flags = flags;
  h.window = 65535;
  h.options.mss = mss;
  return h;
}

Bytes tcp_bytes(wire::TcpRepr h, const IpAddr& src, const IpAddr& dst,
                std::span<const uint8_t> payload) {
  h.payload_len = static_cast<uint32_t>(payload.size());
  Bytes b(h.buffer_len());
  std::ranges::copy(payload, b.begin() + static_cast<std::ptrdiff_t>(h.header_len()));
  h.emit(b, src, dst);
  return b;
}

Bytes frame6(const wire::TcpRepr& h, std::span<const uint8_t> payload = {},
             const Ipv6Addr& src = kPeerIp6, const Ipv6Addr& dst = kStackIp6) {
  return eth_ipv6(kPeerMac, kStackMac,
                  ipv6_packet({src, dst, ipp::kTcp, 64, 0, 0, 0},
                              tcp_bytes(h, IpAddr(src), IpAddr(dst), payload)));
}

Bytes frame4(const wire::TcpRepr& h, std::span<const uint8_t> payload = {}) {
  wire::Ipv4Repr ip;
  ip.src = kPeerIp;
  ip.dst = kStackIp;
  ip.protocol = ipp::kTcp;
  return eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4,
                   ipv4_packet(ip, tcp_bytes(h, IpAddr(kPeerIp), IpAddr(kStackIp), payload)));
}

// TCP segments over IPv6 in `tx`, their checksum verified with the IPv6
// pseudo-header (a wrong one fails the test).
std::vector<Got> tcp6_in(const std::vector<Bytes>& tx) {
  std::vector<Got> out;
  for (const auto& f : tx) {
    auto p = parse6(f);
    if (!p || p->upper != ipp::kTcp) continue;
    auto r = wire::TcpRepr::parse(p->l4, IpAddr(p->ip.src), IpAddr(p->ip.dst));
    EXPECT_TRUE(r) << "bad TCP over IPv6";
    if (!r) continue;
    auto pl = p->l4.subspan(r->header_len(), r->payload_len);
    out.push_back({*r, Bytes(pl.begin(), pl.end()), f.size() - 14, p->ip.hop_limit,
                   p->ip.traffic_class});
  }
  return out;
}

std::vector<Got> tcp4_in(const std::vector<Bytes>& tx) {
  std::vector<Got> out;
  for (const auto& f : tx) {
    if (f.size() < 34 || load_be16(f.data() + 12) != 0x0800) continue;
    auto ip = wire::Ipv4Repr::parse(std::span<const uint8_t>(f).subspan(14));
    if (!ip || ip->protocol != ipp::kTcp) continue;
    auto l4 = std::span<const uint8_t>(f).subspan(14 + 20, ip->payload_len);
    auto r = wire::TcpRepr::parse(l4, IpAddr(ip->src), IpAddr(ip->dst));
    EXPECT_TRUE(r);
    if (!r) continue;
    auto pl = l4.subspan(r->header_len(), r->payload_len);
    out.push_back({*r, Bytes(pl.begin(), pl.end()), 20 + l4.size(), 0, 0});
  }
  return out;
}

constexpr uint32_t kPeerIss = 0xfffffff0u;  // wraps during the tests

class Tcp6 : public Ipv6Test {
 protected:
  void SetUp() override {
    Ipv6Test::SetUp();
    stack::ServiceConfig echo;
    echo.proto = stack::ServiceProto::kTcp;
    echo.port = 7;
    cfg.services.push_back(echo);
  }
  // SYN (MSS 1440, no other option) from `sport` to the echo service;
  // returns the SYN,ACK.
  Got syn(uint16_t sport, uint16_t dport = 7) {
    send(frame6(seg(sport, dport, kPeerIss, 0, kSyn, 1440)));
    auto g = tcp6_in(run());
    EXPECT_EQ(g.size(), 1u);
    return g.empty() ? Got{} : g[0];
  }
  // RFC 9293 §3.10.7.1, what a closed port answers: a SYN gets
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, an ACK <SEQ=SEG.ACK><CTL=RST>,
  // a RST nothing; over IPv6 and nothing else (no ICMPv6).
  void expect_closed_port_answers(uint16_t sport, uint16_t dport) {
    send(frame6(seg(sport, dport, 5000, 0, kSyn, 1440)));
    auto tx = run();
    auto g = tcp6_in(tx);
    ASSERT_EQ(g.size(), 1u);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(g[0].h.flags, kRst | kAck);
    EXPECT_EQ(g[0].h.src_port, dport);
    EXPECT_EQ(g[0].h.dst_port, sport);
    EXPECT_EQ(g[0].h.seq, 0u);
    EXPECT_EQ(g[0].h.ack, 5001u);
    send(frame6(seg(sport, dport, 5000, 777, kAck)));
    g = tcp6_in(run());
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].h.flags, kRst);
    EXPECT_EQ(g[0].h.seq, 777u);
    send(frame6(seg(sport, dport, 5000, 0, kRst)));
    EXPECT_TRUE(run().empty());
  }
  // The handshake; returns the stack's ISS.
  uint32_t connect(uint16_t sport) {
    Got sa = syn(sport);
    EXPECT_EQ(sa.h.flags, kSyn | kAck);
    send(frame6(seg(sport, 7, kPeerIss + 1, sa.h.seq + 1, kAck)));
    EXPECT_TRUE(run().empty());
    return sa.h.seq;
  }
};

TEST_F(Tcp6, EchoHandshakeDataAndCloseOverIpv6) {
  ready();
  Got sa = syn(40000);
  EXPECT_EQ(sa.h.flags, kSyn | kAck);
  EXPECT_EQ(sa.h.ack, kPeerIss + 1);
  EXPECT_EQ(sa.h.src_port, 7);
  ASSERT_TRUE(sa.h.options.mss);
  EXPECT_EQ(*sa.h.options.mss, 1440);  // 1500 - 40 (IPv6) - 20 (TCP)
  const uint32_t iss = sa.h.seq;
  send(frame6(seg(40000, 7, kPeerIss + 1, iss + 1, kAck)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::TcpPassiveOpens), 1u);
  EXPECT_EQ(counter(Counter::TcpCurrEstab), 1u);

  // 1000 bytes across the sequence-number wrap come back byte for byte.
  const Bytes data = pattern(1000, 3);
  send(frame6(seg(40000, 7, kPeerIss + 1, iss + 1, kAck | kPsh), data));
  auto g = tcp6_in(run());
  std::erase_if(g, [](const Got& x) { return x.payload.empty(); });  // its quick ACK
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.seq, iss + 1);
  EXPECT_EQ(g[0].h.ack, kPeerIss + 1 + 1000);
  EXPECT_EQ(g[0].payload, data);

  // A corrupted checksum (IPv6 pseudo-header) is counted and dropped.
  Bytes bad = frame6(seg(40000, 7, kPeerIss + 1001, iss + 1001, kAck), pattern(10));
  bad[14 + 40 + 16] ^= 0x55;
  send(bad);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::TcpInCsumErrors), 1u);

  // FIN: the echo closes too; the last ACK ends it.
  send(frame6(seg(40000, 7, kPeerIss + 1001, iss + 1001, kAck | kFin)));
  g = tcp6_in(run());
  ASSERT_FALSE(g.empty());
  EXPECT_TRUE(g.back().h.flags & kFin);
  EXPECT_EQ(g.back().h.ack, kPeerIss + 1002);
  send(frame6(seg(40000, 7, kPeerIss + 1002, g.back().h.seq + 1, kAck)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::TcpCurrEstab), 0u);
  EXPECT_EQ(stack().tcp().flows(), 0u);
}

TEST_F(Tcp6, MssFollowsTheLinkMtuNeverBelow1220) {
  cfg.interfaces[0].mtu = 1400;
  ready();
  Got sa = syn(40001);
  ASSERT_TRUE(sa.h.options.mss);
  EXPECT_EQ(*sa.h.options.mss, 1340);
  EXPECT_EQ(tcp::mss_for_mtu(1280, true), 1220);
  EXPECT_EQ(tcp::mss_for_mtu(1000, true), 1220);  // no IPv6 link is smaller than 1280
  EXPECT_EQ(tcp::mss_for_mtu(9000, true), 8940);
  EXPECT_EQ(tcp::mss_for_mtu(1500, false), 1460);
}

TEST_F(Tcp6, NoListenerGetsRstOverIpv6NotIcmp) {
  ready();
  expect_closed_port_answers(40002, 4444);
  EXPECT_EQ(counter(Counter::TcpOutRsts), 2u);
  EXPECT_EQ(dropped(DropReason::kTcpNoSocket), 3u);  // the SYN, the ACK, the RST
}

// The firewall's `reject` of TCP over IPv6 answers with a reset, as over
// IPv4 and as Linux `reject with tcp reset` (RFC 9293 §3.10.7.1 form), not
// ICMPv6 port unreachable; the listener behind the rule never sees it.
TEST_F(Tcp6, FirewallRejectAnswersTcpWithRstOverIpv6) {
  ready();
  ip::filter::Rule r;
  r.match.proto = ipp::kTcp;
  r.match.dport = ip::filter::PortRange{7, 7};
  r.action = ip::filter::Action::kReject;
  ASSERT_TRUE(stack().firewall().append(ip::filter::Hook::kInput, r).ok());
  const uint64_t in_segs = counter(Counter::TcpInSegs);
  expect_closed_port_answers(40003, 7);
  EXPECT_EQ(counter(Counter::TcpPassiveOpens), 0u);  // the echo listener never saw them
  EXPECT_EQ(counter(Counter::TcpInSegs), in_segs);
  EXPECT_EQ(counter(Counter::TcpOutRsts), 2u);
  EXPECT_EQ(dropped(DropReason::kFwReject), 3u);
}

class Tcp6Ptb : public Tcp6 {
 protected:
  // The echo of 1400 bytes goes out as one 1400-byte segment; returns its frame.
  Bytes echo_1400(uint16_t sport, uint32_t& iss) {
    iss = connect(sport);
    send(frame6(seg(sport, 7, kPeerIss + 1, iss + 1, kAck | kPsh), pattern(1400)));
    for (const Bytes& f : run()) {  // after the quick ACK of the request
      auto g = tcp6_in({f});
      if (!g.empty() && !g[0].payload.empty()) {
        EXPECT_EQ(g[0].payload.size(), 1400u);
        return f;
      }
    }
    ADD_FAILURE() << "no echo";
    return {};
  }
  void ptb(std::span<const uint8_t> sent_frame, uint32_t mtu) {
    const Ipv6Addr router = A6("fd00::fe");
    wire::Icmpv6Repr m{wire::Icmpv6PacketTooBig{mtu, sent_frame.subspan(14, 1232)}};
    Bytes b(m.buffer_len());
    m.emit(b, router, kStackIp6);
    send(eth_ipv6(kPeerMac, kStackMac, ipv6_packet({router, kStackIp6, ipp::kIcmpv6, 64, 0, 0, 0}, b)));
  }
  uint16_t new_connection_mss(uint16_t sport) {
    Got sa = syn(sport);
    return sa.h.options.mss.value_or(0);
  }
};

TEST_F(Tcp6Ptb, PacketTooBigInWindowLowersTheMssAndResends) {
  ready();
  uint32_t iss = 0;
  Bytes sent = echo_1400(40010, iss);
  ASSERT_FALSE(sent.empty());
  ptb(sent, 1280);
  auto g = tcp6_in(run());
  // RFC 8201 §5.2: resent in segments that fit 1280: 1220 + 180.
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].h.seq, iss + 1);
  EXPECT_EQ(g[0].payload.size(), 1220u);
  EXPECT_EQ(g[0].ip_len, 1280u);
  EXPECT_EQ(g[1].h.seq, iss + 1 + 1220);
  EXPECT_EQ(g[1].payload.size(), 180u);
  Bytes both = g[0].payload;
  both.insert(both.end(), g[1].payload.begin(), g[1].payload.end());
  EXPECT_EQ(both, pattern(1400));
  EXPECT_EQ(counter(Counter::TcpRetransSegs), 2u);
  // The path MTU was recorded: a new connection from the peer offers 1220.
  EXPECT_EQ(new_connection_mss(40011), 1220);
}

TEST_F(Tcp6Ptb, PacketTooBigOutOfWindowIsIgnored) {
  ready();
  uint32_t iss = 0;
  Bytes sent = echo_1400(40020, iss);
  ASSERT_FALSE(sent.empty());
  // A forged report quoting a sequence number the connection never sent.
  store_be32(sent.data() + 14 + 40 + 4, iss + 1 + 500000);
  ptb(sent, 1280);
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(dropped(DropReason::kTcpIcmpOutOfWindow), 1u);
  EXPECT_EQ(counter(Counter::TcpRetransSegs), 0u);
  // Nor did it lower the path MTU for anyone else.
  EXPECT_EQ(new_connection_mss(40021), 1440);
}

TEST_F(Tcp6Ptb, PathMtuLearntByAnotherConnectionShrinksTheMss) {
  ready();
  const uint32_t iss_b = connect(40041);  // B: MSS 1440, idle
  uint32_t iss_a = 0;
  Bytes sent = echo_1400(40040, iss_a);     // A: its segment is too big
  ptb(sent, 1280);
  run();
  // B's next full segment is refused by IPv6 output (never fragmented):
  // B learns the path MTU from it and its retransmission fits.
  send(frame6(seg(40041, 7, kPeerIss + 1, iss_b + 1, kAck | kPsh), pattern(1400)));
  for (const auto& g : tcp6_in(run())) EXPECT_TRUE(g.payload.empty());
  EXPECT_EQ(dropped(DropReason::kIp6PacketTooBig), 1u);
  advance(Duration::seconds(1));  // the RTO (A resends too)
  auto g = tcp6_in(run());
  std::erase_if(g, [](const Got& x) { return x.h.dst_port != 40041; });
  ASSERT_FALSE(g.empty());
  EXPECT_EQ(g[0].h.seq, iss_b + 1);
  EXPECT_EQ(g[0].payload.size(), 1220u);
  EXPECT_EQ(g[0].ip_len, 1280u);
}

TEST_F(Tcp6, ActiveOpenOverIpv6ResolvesTheNeighbourAndCarriesOptions) {
  ready();
  tcp::TcpSocket s(stack().tcp());
  s.set_hop_limit(7);
  s.set_tclass(0x28);
  EXPECT_EQ(s.connect(IpAddr(kPeerIp6), 80, now()), -EINPROGRESS);
  auto g = tcp6_in(run());  // the harness answered the neighbour solicitation
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kSyn);
  EXPECT_EQ(*g[0].h.options.mss, 1440);
  EXPECT_EQ(g[0].hop_limit, 7);
  EXPECT_EQ(g[0].traffic_class, 0x28);
  EXPECT_TRUE(s.local_addr() == IpAddr(kStackIp6));
  const uint16_t lport = g[0].h.src_port;
  send(frame6(seg(80, lport, kPeerIss, g[0].h.seq + 1, kSyn | kAck, 1440)));
  g = tcp6_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kAck);
  EXPECT_EQ(s.state(), tcp::TcpState::kEstablished);
  EXPECT_EQ(s.info().snd_mss, 1440u);
  s.abort(now());
  run();
}

// ---- dual stack

class DualStack : public Tcp6 {
 protected:
  void SetUp() override { Ipv6Test::SetUp(); }  // no services: the tests' own sockets
};

TEST_F(DualStack, ListenerOnWildcardV6AcceptsIpv4) {
  ready();
  tcp::TcpSocket l(stack().tcp());
  ASSERT_EQ(l.bind(IpAddr(Ipv6Addr::any()), 8080), 0);
  ASSERT_EQ(l.listen(8), 0);
  send(frame4(seg(41000, 8080, kPeerIss, 0, kSyn, 1460)));
  auto g = tcp4_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kSyn | kAck);
  EXPECT_EQ(*g[0].h.options.mss, 1460);  // an IPv4 connection: MTU - 40
  send(frame4(seg(41000, 8080, kPeerIss + 1, g[0].h.seq + 1, kAck)));
  run();
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->remote_addr() == IpAddr(kPeerIp));  // the session maps it to ::ffff:10.0.0.1
  EXPECT_EQ(c->remote_port(), 41000);
  EXPECT_TRUE(c->local_addr() == IpAddr(kStackIp));
  // IPv6 reaches the same listener.
  send(frame6(seg(41001, 8080, kPeerIss, 0, kSyn, 1440)));
  auto g6 = tcp6_in(run());
  ASSERT_EQ(g6.size(), 1u);
  EXPECT_EQ(g6[0].h.flags, kSyn | kAck);
  c->abort(now());
  l.close(now());
  run();
}

TEST_F(DualStack, V6OnlyListenerRefusesIpv4) {
  ready();
  tcp::TcpSocket l(stack().tcp());
  ASSERT_EQ(l.set_v6only(true), 0);
  ASSERT_EQ(l.bind(IpAddr(Ipv6Addr::any()), 8080), 0);
  EXPECT_EQ(l.set_v6only(false), -EINVAL);  // Linux: only before bind
  ASSERT_EQ(l.listen(8), 0);
  send(frame4(seg(41002, 8080, kPeerIss, 0, kSyn, 1460)));
  auto g = tcp4_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kRst | kAck);
  send(frame6(seg(41003, 8080, kPeerIss, 0, kSyn, 1440)));
  auto g6 = tcp6_in(run());
  ASSERT_EQ(g6.size(), 1u);
  EXPECT_EQ(g6[0].h.flags, kSyn | kAck);
  l.close(now());
  run();
}

// Linux's EADDRINUSE between families (no SO_REUSEADDR): `first` listens,
// then binding `second` (v6only as given) on the same port.
struct BindCase {
  const char* first;
  bool first_v6only;
  const char* second;
  bool second_v6only;
  int expect;
};

TEST_F(DualStack, BindConflictsFollowLinux) {
  ready();
  const BindCase cases[] = {
      {"::", false, "0.0.0.0", false, -EADDRINUSE},
      {"0.0.0.0", false, "::", false, -EADDRINUSE},
      {"10.0.0.2", false, "::", false, -EADDRINUSE},
      {"::", false, "10.0.0.2", false, -EADDRINUSE},
      {"::", true, "0.0.0.0", false, 0},
      {"0.0.0.0", false, "::", true, 0},
      {"fd00::2", false, "0.0.0.0", false, 0},
      {"0.0.0.0", false, "fd00::2", false, 0},
      {"::", true, "fd00::2", false, -EADDRINUSE},
      {"fd00::2", false, "::", true, -EADDRINUSE},
      {"::", true, "::", true, -EADDRINUSE},
  };
  uint16_t port = 9000;
  for (const auto& c : cases) {
    ++port;
    tcp::TcpSocket a(stack().tcp()), b(stack().tcp());
    ASSERT_EQ(a.set_v6only(c.first_v6only), 0);
    ASSERT_EQ(a.bind(*IpAddr::parse(c.first), port), 0) << c.first;
    ASSERT_EQ(a.listen(4), 0);
    ASSERT_EQ(b.set_v6only(c.second_v6only), 0);
    EXPECT_EQ(b.bind(*IpAddr::parse(c.second), port), c.expect)
        << c.first << (c.first_v6only ? " v6only" : "") << " then " << c.second
        << (c.second_v6only ? " v6only" : "");
    a.close(now());
  }
  // Both bound before either listens: the second listen() finds the clash.
  tcp::TcpSocket a(stack().tcp()), b(stack().tcp());
  ASSERT_EQ(a.bind(IpAddr(Ipv6Addr::any()), 9100), 0);
  ASSERT_EQ(b.bind(IpAddr(Ipv4Addr::any()), 9100), 0);
  ASSERT_EQ(a.listen(4), 0);
  EXPECT_EQ(b.listen(4), -EADDRINUSE);
  a.close(now());
  b.close(now());
  run();
}

TEST_F(Tcp6, EchoServiceListensOnBothFamilies) {
  ready();
  EXPECT_EQ(stack().tcp().listeners(), 1u);  // [::]:7, dual-stack
  send(frame4(seg(41010, 7, kPeerIss, 0, kSyn, 1460)));
  auto g = tcp4_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kSyn | kAck);
  EXPECT_EQ(syn(41011).h.flags, kSyn | kAck);
}

TEST_F(Tcp6, InWindowSynGetsAChallengeAckOverIpv6) {
  ready();
  const uint32_t iss = connect(40030);
  // RFC 5961 §4.2: a SYN in the window of a synchronized connection.
  send(frame6(seg(40030, 7, kPeerIss + 100, 0, kSyn, 1440)));
  auto g = tcp6_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kAck);
  EXPECT_EQ(g[0].h.seq, iss + 1);
  EXPECT_EQ(g[0].h.ack, kPeerIss + 1);
  EXPECT_EQ(counter(Counter::TcpCurrEstab), 1u);
}

TEST_F(DualStack, SynCookiesOverIpv6) {
  ready();
  tcp::TcpSocket l(stack().tcp());
  ASSERT_EQ(l.bind(IpAddr(Ipv6Addr::any()), 8090), 0);
  ASSERT_EQ(l.listen(1), 0);
  send(frame6(seg(42000, 8090, kPeerIss, 0, kSyn, 1440)));  // fills the SYN queue
  ASSERT_EQ(tcp6_in(run()).size(), 1u);
  send(frame6(seg(42001, 8090, kPeerIss, 0, kSyn, 1440)));
  auto g = tcp6_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.flags, kSyn | kAck);
  EXPECT_EQ(*g[0].h.options.mss, 1440);
  EXPECT_EQ(counter(Counter::TcpExtSyncookiesSent), 1u);
  // The cookie is bound to the IPv6 tuple: from another port it fails.
  send(frame6(seg(42002, 8090, kPeerIss + 1, g[0].h.seq + 1, kAck)));
  auto r = tcp6_in(run());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].h.flags, kRst);
  EXPECT_EQ(counter(Counter::TcpExtSyncookiesFailed), 1u);
  send(frame6(seg(42001, 8090, kPeerIss + 1, g[0].h.seq + 1, kAck)));
  EXPECT_TRUE(run().empty());
  EXPECT_EQ(counter(Counter::TcpExtSyncookiesRecv), 1u);
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->remote_addr() == IpAddr(kPeerIp6));
  EXPECT_EQ(c->remote_port(), 42001);
  EXPECT_EQ(c->state(), tcp::TcpState::kEstablished);
  c->abort(now());
  l.close(now());
  run();
}

TEST_F(DualStack, ActiveCloseOverIpv6WaitsInTimeWaitThenFrees) {
  ready();
  tcp::TcpSocket s(stack().tcp()), s2(stack().tcp());
  ASSERT_EQ(s.connect(IpAddr(kPeerIp6), 80, now()), -EINPROGRESS);
  ASSERT_EQ(s2.connect(IpAddr(kPeerIp6), 80, now()), -EINPROGRESS);
  auto g = tcp6_in(run());
  ASSERT_EQ(g.size(), 2u);
  EXPECT_NE(g[0].h.src_port, g[1].h.src_port);  // RFC 6056 ports per IPv6 tuple
  EXPECT_NE(g[0].h.seq, g[1].h.seq);            // RFC 6528 ISNs per IPv6 tuple
  const uint16_t lport = s.local_port();
  const uint32_t iss = g[0].h.src_port == lport ? g[0].h.seq : g[1].h.seq;
  send(frame6(seg(80, lport, kPeerIss, iss + 1, kSyn | kAck, 1440)));
  run();
  ASSERT_EQ(s.state(), tcp::TcpState::kEstablished);
  s2.abort(now());
  s.close(now());
  g = tcp6_in(run());
  ASSERT_FALSE(g.empty());
  EXPECT_TRUE(g.back().h.flags & kFin);
  send(frame6(seg(80, lport, kPeerIss + 1, iss + 2, kAck | kFin)));
  g = tcp6_in(run());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].h.ack, kPeerIss + 2);
  EXPECT_EQ(stack().tcp().flows(), 1u);  // TIME-WAIT holds the IPv6 tuple
  // A retransmitted FIN is answered again from TIME-WAIT.
  send(frame6(seg(80, lport, kPeerIss + 1, iss + 2, kAck | kFin)));
  EXPECT_EQ(tcp6_in(run()).size(), 1u);
  advance(Duration::seconds(61));
  run();
  EXPECT_EQ(stack().tcp().flows(), 0u);
  EXPECT_EQ(stack().tcp().tcbs_in_use(), 0u);
}

}  // namespace
}  // namespace stackd::testsupport
