// The session layer's socket table driven through a client segment in
// ordinary memory, over a whole Stack: requests and responses, generations,
// errno, reclaim, and what a client that scribbles on its segment can and
// cannot break.
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "session/session_table.h"
#include "stack/stack.h"
#include "transport/tcp/tcp_layer.h"
#include "transport/udp.h"

namespace stackd::session {
namespace {

struct CountingWakeups : Wakeups {
  int wakes = 0, signals = 0;
  int fd_readables = 0, fd_writables = 0, fd_shutdowns = 0, fd_closeds = 0;
  void wake(std::atomic<uint32_t>*) override { ++wakes; }
  void signal_channel(uint32_t) override { ++signals; }
  bool fd_readable(uint32_t) override {
    ++fd_readables;
    return true;
  }
  void fd_writable(uint32_t) override { ++fd_writables; }
  void fd_shutdown(uint32_t) override { ++fd_shutdowns; }
  void fd_closed(uint32_t) override { ++fd_closeds; }
};

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : stack_(stack::StackConfig{}), table_(stack_.tcp(), stack_.udp()) {
    geo_ = abi::make_geometry(2, 4, 4096);
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(4096, geo_.segment_bytes));
    std::memset(mem_, 0, geo_.segment_bytes);
    stack_.set_tcp_event_sink([this](uint32_t t) { table_.tcp_event(t); });
    client_ = &table_.attach(SegmentView{mem_, geo_}, wakeups_);
  }
  ~SessionTest() override {
    if (client_ != nullptr) table_.detach(*client_, now_);
    std::free(mem_);
  }

  abi::Channel& chan(uint32_t c = 0) {
    return reinterpret_cast<abi::Channel*>(mem_ + geo_.channels_off)[c];
  }
  abi::SocketShm& sock(uint32_t s) { return reinterpret_cast<abi::SocketShm*>(mem_ + geo_.sockets_off)[s]; }

  // One request on channel 0, served, its response taken.
  abi::Response call(abi::Request r) {
    abi::Channel& c = chan();
    r.tag = ++tag_;
    const uint32_t h = c.req.head.load();
    c.requests[h % abi::kRequestSlots] = r;
    c.req.head.store(h + 1);
    client_->serve_channels(now_);
    abi::Response out{};
    const uint32_t t = c.resp.tail.load();
    EXPECT_EQ(c.resp.head.load(), t + 1) << "no response";
    out = c.responses[t % abi::kResponseSlots];
    c.resp.tail.store(t + 1);
    EXPECT_EQ(out.tag, r.tag);
    return out;
  }
  abi::Response op(abi::Op o, uint32_t s = 0, uint32_t gen = 0, int32_t a0 = 0, int32_t a1 = 0) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(o);
    r.sock = s;
    r.gen = gen;
    r.a[0] = a0;
    r.a[1] = a1;
    return call(r);
  }
  abi::Response bind(uint32_t s, uint32_t gen, uint16_t port) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kBind);
    r.sock = s;
    r.gen = gen;
    abi::WireAddr w{};
    w.family = AF_INET;
    w.port = port;
    std::memcpy(r.data, &w, sizeof(w));
    return call(r);
  }

  abi::Response bind_to(uint32_t s, uint32_t gen, const char* addr, uint16_t port) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kBind);
    r.sock = s;
    r.gen = gen;
    const IpAddr a = *IpAddr::parse(addr);
    abi::WireAddr w = wire_from_endpoint(a, port);
    std::memcpy(r.data, &w, sizeof(w));
    return call(r);
  }
  abi::Response setopt(uint32_t s, uint32_t gen, int32_t level, int32_t name, int32_t v) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kSetsockopt);
    r.sock = s;
    r.gen = gen;
    r.a[0] = level;
    r.a[1] = name;
    r.a[2] = v;
    return call(r);
  }
  abi::WireAddr name_of(uint32_t s, uint32_t gen) {
    auto r = op(abi::Op::kGetName, s, gen, 0);
    EXPECT_EQ(r.result, 0);
    abi::WireAddr w;
    std::memcpy(&w, r.data, sizeof(w));
    return w;
  }

  // A UDP socket connected to 10.0.0.1:9 (no packet leaves for that).
  abi::Response connect_udp(const abi::Response& u) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kConnect);
    r.sock = u.sock;
    r.gen = u.gen;
    abi::WireAddr w{};
    w.family = AF_INET;
    w.port = 9;
    w.addr[0] = 10;
    w.addr[3] = 1;
    std::memcpy(r.data, &w, sizeof(w));
    return call(r);
  }

  stack::Stack stack_;
  SessionTable table_;
  abi::Geometry geo_;
  uint8_t* mem_ = nullptr;
  CountingWakeups wakeups_;
  ClientSockets* client_ = nullptr;
  Instant now_ = Instant::from_nanos(1'000'000'000);
  uint32_t tag_ = 0;
};

TEST_F(SessionTest, SocketOptionsAndCloseReturnEverything) {
  auto s = op(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  ASSERT_EQ(s.result, 0);
  EXPECT_EQ(table_.sockets(), 1u);
  EXPECT_EQ(stack_.tcp().tcbs_in_use(), 1u);
  auto t = op(abi::Op::kGetsockopt, s.sock, s.gen, SOL_SOCKET, SO_TYPE);
  EXPECT_EQ(t.result, static_cast<int>(sizeof(int)));
  EXPECT_EQ(t.val[0], SOCK_STREAM);
  EXPECT_EQ(op(abi::Op::kGetsockopt, s.sock, s.gen, SOL_IP, 4242).result, -ENOPROTOOPT);
  EXPECT_EQ(op(abi::Op::kGetName, s.sock, s.gen, 1).result, -ENOTCONN);
  EXPECT_EQ(op(abi::Op::kClose, s.sock, s.gen).result, 0);
  EXPECT_EQ(table_.sockets(), 0u);
  EXPECT_EQ(stack_.tcp().tcbs_in_use(), 0u);
  // The old generation no longer names anything, even when the slot is reused.
  EXPECT_EQ(op(abi::Op::kClose, s.sock, s.gen).result, -EBADF);
  auto s2 = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  EXPECT_EQ(s2.sock, s.sock);
  EXPECT_NE(s2.gen, s.gen);
  EXPECT_EQ(op(abi::Op::kListen, s2.sock, s.gen).result, -EBADF);
  EXPECT_EQ(op(abi::Op::kListen, s2.sock, s2.gen).result, -EOPNOTSUPP);
}

TEST_F(SessionTest, ErrnoOfBindAndTableExhaustion) {
  auto a = op(abi::Op::kSocket, 0, 0, SOCK_STREAM), b = op(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  EXPECT_EQ(bind(a.sock, a.gen, 8080).result, 0);
  EXPECT_EQ(op(abi::Op::kListen, a.sock, a.gen, 16).result, 0);
  EXPECT_EQ(bind(b.sock, b.gen, 8080).result, -EADDRINUSE);
  EXPECT_NE(sock(a.sock).flags.load() & abi::flag::kListening, 0u);
  op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  EXPECT_EQ(op(abi::Op::kSocket, 0, 0, SOCK_DGRAM).result, -EMFILE);  // 4 slots
  EXPECT_EQ(op(abi::Op::kSocket, 0, 0, 99).result, -ESOCKTNOSUPPORT);
  EXPECT_EQ(table_.udp().sockets_bound(), 0u);
}

TEST_F(SessionTest, ClientGoneReclaimsSocketsListenersAndMemory) {
  auto l = op(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  bind(l.sock, l.gen, 9000);
  op(abi::Op::kListen, l.sock, l.gen, 8);
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  bind(u.sock, u.gen, 9001);
  EXPECT_EQ(stack_.tcp().listeners(), 1u);
  EXPECT_EQ(table_.udp().sockets_bound(), 1u);
  EXPECT_GT(table_.segment_bytes(), 0u);
  table_.detach(*client_, now_);
  client_ = nullptr;
  EXPECT_EQ(stack_.tcp().listeners(), 0u);
  EXPECT_EQ(stack_.tcp().tcbs_in_use(), 0u);
  EXPECT_EQ(table_.udp().sockets_bound(), 0u);
  EXPECT_EQ(table_.clients(), 0u);
  EXPECT_EQ(table_.segment_bytes(), 0u);
}

TEST_F(SessionTest, ScribbledRingIndexBreaksOnlyThatSocket) {
  auto a = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM), b = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  sock(a.sock).tx.head.store(0x7fffffff);  // more than the ring could hold
  abi::Request k{};
  k.op = static_cast<uint32_t>(abi::Op::kKick);
  k.sock = a.sock;
  k.gen = a.gen;
  k.tag = 0;
  abi::Channel& c = chan();
  c.requests[c.req.head.load() % abi::kRequestSlots] = k;
  c.req.head.fetch_add(1);
  client_->serve_channels(now_);
  EXPECT_NE(sock(a.sock).flags.load() & abi::flag::kBroken, 0u);
  EXPECT_EQ(sock(b.sock).flags.load() & abi::flag::kBroken, 0u);
  EXPECT_EQ(bind(a.sock, a.gen, 7001).result, -ECONNRESET);
  auto e = op(abi::Op::kTakeError, a.sock, a.gen);
  EXPECT_EQ(e.val[0], ECONNRESET);
  EXPECT_EQ(bind(b.sock, b.gen, 7000).result, 0);  // the other socket still works
  EXPECT_EQ(op(abi::Op::kClose, a.sock, a.gen).result, 0);
}

TEST_F(SessionTest, ScribbledChannelIndicesAreSurvived) {
  abi::Channel& c = chan();
  c.req.head.store(c.req.tail.load() + 1000);  // impossible: more than the ring
  EXPECT_EQ(client_->serve_channels(now_), 0u);
  // Garbage requests each get an error response; a good one still works.
  abi::Request g;
  std::memset(&g, 0xa5, sizeof(g));
  EXPECT_EQ(call(g).result, -EINVAL);
  EXPECT_EQ(op(abi::Op::kSocket, 0, 0, SOCK_STREAM).result, 0);
  // A client that never reads its responses loses them; the ring never overflows.
  for (uint32_t i = 0; i < abi::kResponseSlots + 5; ++i) {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kGetName);
    r.tag = 1000 + i;
    r.sock = 3;
    c.requests[c.req.head.load() % abi::kRequestSlots] = r;
    c.req.head.fetch_add(1);
  }
  client_->serve_channels(now_);
  EXPECT_EQ(c.resp.head.load() - c.resp.tail.load(), abi::kResponseSlots);
}

// AF_INET6 sockets (a1 = domain): their options with Linux's checks, and
// the addresses they take and show (v4-mapped for IPv4, :: for 0.0.0.0).
TEST_F(SessionTest, Inet6SocketsOptionsNamesAndDualStackBind) {
  auto a = op(abi::Op::kSocket, 0, 0, SOCK_STREAM, AF_INET6);
  ASSERT_EQ(a.result, 0);
  EXPECT_EQ(op(abi::Op::kGetsockopt, a.sock, a.gen, SOL_SOCKET, SO_DOMAIN).val[0], AF_INET6);
  EXPECT_EQ(op(abi::Op::kGetsockopt, a.sock, a.gen, IPPROTO_IPV6, IPV6_V6ONLY).val[0], 0);
  EXPECT_EQ(op(abi::Op::kGetsockopt, a.sock, a.gen, IPPROTO_IPV6, IPV6_UNICAST_HOPS).val[0], 64);
  EXPECT_EQ(setopt(a.sock, a.gen, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 256).result, -EINVAL);
  EXPECT_EQ(setopt(a.sock, a.gen, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9).result, 0);
  EXPECT_EQ(setopt(a.sock, a.gen, IPPROTO_IPV6, IPV6_TCLASS, 0x28).result, 0);
  EXPECT_EQ(op(abi::Op::kGetsockopt, a.sock, a.gen, IPPROTO_IPV6, IPV6_UNICAST_HOPS).val[0], 9);
  EXPECT_EQ(op(abi::Op::kGetsockopt, a.sock, a.gen, IPPROTO_IPV6, IPV6_TCLASS).val[0], 0x28);
  EXPECT_EQ(stack_.tcp().tcb(table_.tcp().tcbs_in_use() - 1).hop_limit, 9);
  // Unbound: getsockname is [::]:0.
  abi::WireAddr w = name_of(a.sock, a.gen);
  EXPECT_EQ(w.family, AF_INET6);
  EXPECT_EQ(w.port, 0);
  // [::]:8080 dual-stack listens; 0.0.0.0:8080 on an AF_INET socket clashes.
  EXPECT_EQ(bind_to(a.sock, a.gen, "::", 8080).result, 0);
  EXPECT_EQ(setopt(a.sock, a.gen, IPPROTO_IPV6, IPV6_V6ONLY, 1).result, -EINVAL);  // after bind
  EXPECT_EQ(op(abi::Op::kListen, a.sock, a.gen, 8).result, 0);
  w = name_of(a.sock, a.gen);
  EXPECT_EQ(w.family, AF_INET6);
  EXPECT_EQ(w.port, 8080);
  auto b = op(abi::Op::kSocket, 0, 0, SOCK_STREAM, AF_INET);
  EXPECT_EQ(bind_to(b.sock, b.gen, "0.0.0.0", 8080).result, -EADDRINUSE);
  EXPECT_EQ(bind_to(b.sock, b.gen, "::", 8081).result, -EAFNOSUPPORT);  // AF_INET takes IPv4 only
  EXPECT_EQ(op(abi::Op::kGetsockopt, b.sock, b.gen, IPPROTO_IPV6, IPV6_V6ONLY).result, -ENOPROTOOPT);
  // A v6only socket: 0.0.0.0:8082 and [::]:8082 coexist; a v4-mapped bind is EINVAL.
  auto c = op(abi::Op::kSocket, 0, 0, SOCK_STREAM, AF_INET6);
  EXPECT_EQ(setopt(c.sock, c.gen, IPPROTO_IPV6, IPV6_V6ONLY, 1).result, 0);
  EXPECT_EQ(bind_to(c.sock, c.gen, "::ffff:0.0.0.0", 8082).result, -EINVAL);
  EXPECT_EQ(bind_to(c.sock, c.gen, "::", 8082).result, 0);
  EXPECT_EQ(op(abi::Op::kListen, c.sock, c.gen, 8).result, 0);
  EXPECT_EQ(bind_to(b.sock, b.gen, "0.0.0.0", 8082).result, 0);
  EXPECT_EQ(op(abi::Op::kListen, b.sock, b.gen, 8).result, 0);
  EXPECT_EQ(stack_.tcp().listeners(), 3u);
  // An AF_INET6 socket given ::ffff:0.0.0.0 binds IPv4's wildcard (shown as ::).
  auto d = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET6);
  EXPECT_EQ(bind_to(d.sock, d.gen, "::ffff:0.0.0.0", 8083).result, 0);
  EXPECT_TRUE(table_.udp().sockets_bound() == 1u);
  w = name_of(d.sock, d.gen);
  EXPECT_EQ(w.family, AF_INET6);
  EXPECT_EQ(op(abi::Op::kSocket, 0, 0, SOCK_STREAM, AF_UNIX).result, -EAFNOSUPPORT);
}

// UDP AF_INET6 sockets are dual-stack unless IPV6_V6ONLY (which reaches
// the UDP socket): Linux's bind conflicts with AF_INET sockets, and an
// implicit bind (connect to a v4-mapped peer) takes ::, not 0.0.0.0.
TEST_F(SessionTest, Inet6UdpDualStackUnlessV6Only) {
  auto v4 = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET);
  EXPECT_EQ(bind_to(v4.sock, v4.gen, "0.0.0.0", 9000).result, 0);
  auto dual = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET6);
  EXPECT_EQ(bind_to(dual.sock, dual.gen, "::", 9000).result, -EADDRINUSE);
  auto only = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET6);
  EXPECT_EQ(setopt(only.sock, only.gen, IPPROTO_IPV6, IPV6_V6ONLY, 1).result, 0);
  EXPECT_EQ(bind_to(only.sock, only.gen, "::", 9000).result, 0);
  EXPECT_EQ(setopt(only.sock, only.gen, IPPROTO_IPV6, IPV6_V6ONLY, 0).result, -EINVAL);
  op(abi::Op::kClose, v4.sock, v4.gen);
  // The dual-stack socket now takes [::]:9001 and IPv4's 0.0.0.0:9001 with it.
  EXPECT_EQ(bind_to(dual.sock, dual.gen, "::", 9001).result, 0);
  auto v4b = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET);
  EXPECT_EQ(bind_to(v4b.sock, v4b.gen, "0.0.0.0", 9001).result, -EADDRINUSE);
  op(abi::Op::kClose, v4b.sock, v4b.gen);
  op(abi::Op::kClose, only.sock, only.gen);
  // Unbound, connected to ::ffff:10.0.0.1: bound to :: (it can still reach IPv6).
  auto c = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM, AF_INET6);
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kConnect);
  r.sock = c.sock;
  r.gen = c.gen;
  abi::WireAddr w = wire_from_endpoint(*IpAddr::parse("::ffff:10.0.0.1"), 9);
  std::memcpy(r.data, &w, sizeof(w));
  EXPECT_EQ(call(r).result, 0);
  int v6_bound = 0;
  table_.udp().for_each_socket([&](const transport::UdpSocket& u) {
    if (u.connected() && u.local_addr() == IpAddr(Ipv6Addr::any())) ++v6_bound;
  });
  EXPECT_EQ(v6_bound, 1);
}

TEST(SessionAddr, V6ViewMapsIpv4AndBack) {
  const IpAddr v4(Ipv4Addr::from_octets(10, 0, 0, 1));
  EXPECT_TRUE(v6_view(v4) == IpAddr(*Ipv6Addr::parse("::ffff:10.0.0.1")));
  EXPECT_TRUE(v6_view(IpAddr(Ipv4Addr::any())) == IpAddr(Ipv6Addr::any()));
  EXPECT_TRUE(from_v6_view(v6_view(v4)) == v4);
  const IpAddr v6(*Ipv6Addr::parse("fd00::1"));
  EXPECT_TRUE(v6_view(v6) == v6);
  EXPECT_TRUE(from_v6_view(v6) == v6);
}

// ---- socket fds (abi/attach.h "Socket fds")

// A connected UDP socket with an fd: sockets start writable, not readable.
TEST_F(SessionTest, SocketFdStartsWritableAndUnsignalled) {
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_EQ(u.result, 0);
  EXPECT_FALSE(client_->attach_fd(u.sock, u.gen + 1, now_));  // another generation: refused
  ASSERT_TRUE(client_->attach_fd(u.sock, u.gen, now_));
  EXPECT_FALSE(client_->attach_fd(u.sock, u.gen, now_));  // one fd per socket
  EXPECT_EQ(wakeups_.fd_readables, 0);
  EXPECT_EQ(wakeups_.fd_writables, 1);  // whatever the client filled before: emptied
  EXPECT_EQ(sock(u.sock).fd_tx_clogged.load(), 0u);
  EXPECT_EQ(sock(u.sock).fd_rx_signals.load(), 0u);
}

// End of stream: one counted byte (readable) and B's write side shut, once.
TEST_F(SessionTest, SocketFdEndOfStreamSignalsOnce) {
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_TRUE(client_->attach_fd(u.sock, u.gen, now_));
  ASSERT_EQ(connect_udp(u).result, 0);
  ASSERT_EQ(op(abi::Op::kShutdown, u.sock, u.gen, SHUT_RD).result, 0);
  EXPECT_EQ(wakeups_.fd_readables, 1);
  EXPECT_EQ(sock(u.sock).fd_rx_signals.load(), 1u);  // the client owes itself one byte
  EXPECT_EQ(wakeups_.fd_shutdowns, 1);
  client_->sync(u.sock, now_);
  client_->sync(u.sock, now_);
  EXPECT_EQ(wakeups_.fd_readables, 1);  // nothing new arrived: no new edge
  EXPECT_EQ(wakeups_.fd_shutdowns, 1);
}

// A client emptying its fd (kFdParking) gets no byte it would not read;
// once it re-armed (0) and kicked, the next look signals.
TEST_F(SessionTest, SocketFdParkedClientIsNotSignalled) {
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_TRUE(client_->attach_fd(u.sock, u.gen, now_));
  sock(u.sock).fd_rx_signals.store(abi::kFdParking);
  ASSERT_EQ(connect_udp(u).result, 0);
  ASSERT_EQ(op(abi::Op::kShutdown, u.sock, u.gen, SHUT_RD).result, 0);
  EXPECT_EQ(wakeups_.fd_readables, 0);
  EXPECT_EQ(sock(u.sock).fd_rx_signals.load(), abi::kFdParking);
  sock(u.sock).fd_rx_signals.store(0);
  client_->sync(u.sock, now_);
  EXPECT_EQ(wakeups_.fd_readables, 1);
  EXPECT_EQ(sock(u.sock).fd_rx_signals.load(), 1u);
}

// The fd's last close (B hung up) closes the socket; B is closed once.
TEST_F(SessionTest, SocketFdReleasedClosesTheSocket) {
  auto t = op(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_TRUE(client_->attach_fd(t.sock, t.gen, now_));
  client_->fd_released(u.sock, now_);  // no fd: nothing happens
  EXPECT_EQ(table_.sockets(), 2u);
  client_->fd_released(t.sock, now_);
  EXPECT_EQ(table_.sockets(), 1u);
  EXPECT_EQ(stack_.tcp().tcbs_in_use(), 0u);
  EXPECT_EQ(wakeups_.fd_closeds, 1);
  EXPECT_EQ(op(abi::Op::kClose, t.sock, t.gen).result, -EBADF);
  client_->fd_released(t.sock, now_);  // a late event: harmless
  EXPECT_EQ(wakeups_.fd_closeds, 1);
}

// A not-writable socket whose client filled its fd is emptied when room
// comes, once.
TEST_F(SessionTest, SocketFdCloggedIsEmptiedWhenWritable) {
  auto u = op(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_TRUE(client_->attach_fd(u.sock, u.gen, now_));
  EXPECT_EQ(wakeups_.fd_writables, 1);
  sock(u.sock).fd_tx_clogged.store(1);
  client_->sync(u.sock, now_);
  EXPECT_EQ(wakeups_.fd_writables, 2);
  EXPECT_EQ(sock(u.sock).fd_tx_clogged.load(), 0u);
  client_->sync(u.sock, now_);
  EXPECT_EQ(wakeups_.fd_writables, 2);
}

}  // namespace
}  // namespace stackd::session
