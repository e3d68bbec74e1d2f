// TCP between two sockets of the same stack, to its own address (IPv4,
// IPv6 global, ::1): local delivery through the IP layers' loopback queues
// (ip/README.md), never a device frame. The local route's MTU is 64 KiB,
// so a segment is larger than any device frame: it must be built on the
// heap (ip pool_to), not in the device's tx pool, or every data segment
// is dropped as `no_buffer` while the handshake (small segments) succeeds
// and the connection stalls (the shim's "two programs on one stackd"
// failure). Both directions at once, byte-exact, then an orderly close.
#include <algorithm>

#include "ipv6_fixture.h"
#include "transport/tcp/tcp_socket.h"

namespace stackd::testsupport {
namespace {

constexpr uint16_t kPort = 5000;
constexpr size_t kBytes = 300000;  // several 64 KiB segments and ring-fulls each way

Bytes data(uint8_t seed) {
  Bytes d(kBytes);
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i * 131 + seed + i / 997);
  return d;
}

class LocalTcp : public Ipv6Test {
 protected:

  // One direction's progress: what is left to send and what arrived.
  struct Flow {
    Bytes out;
    size_t sent = 0;
    Bytes in;
  };
  static void pump(tcp::TcpSocket& s, Flow& f, Instant now) {
    if (f.sent < f.out.size()) {
      const int64_t n = s.send(std::span<const uint8_t>(f.out).subspan(f.sent), now);
      if (n > 0) f.sent += static_cast<size_t>(n);
    }
    std::array<uint8_t, 16384> b;
    for (int64_t n; (n = s.recv(b, now)) > 0;) f.in.insert(f.in.end(), b.begin(), b.begin() + n);
  }

  // A listener on the wildcard, a client to `dst`: the handshake, then
  // kBytes each way byte-exact, then close; nothing ever reaches the device.
  void exchange(const IpAddr& listen_on, const IpAddr& dst, uint16_t expect_mss) {
    tcp::TcpSocket l(stack().tcp());
    ASSERT_EQ(l.bind(listen_on, kPort), 0);
    ASSERT_EQ(l.listen(8), 0);
    tcp::TcpSocket c(stack().tcp());
    ASSERT_EQ(c.connect(dst, kPort, now()), -EINPROGRESS);
    EXPECT_TRUE(run().empty());  // no ARP, no ND, no frame at all
    ASSERT_EQ(c.state(), tcp::TcpState::kEstablished);
    auto a = l.accept();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->remote_addr(), dst);  // the source is the destination itself
    EXPECT_EQ(a->local_addr(), dst);
    EXPECT_EQ(a->remote_port(), c.local_port());
    // The local route's MTU (64 KiB) sizes both ends' segments.
    EXPECT_EQ(c.info().rcv_mss, expect_mss);
    EXPECT_EQ(a->info().rcv_mss, expect_mss);

    Flow c_side{data(1), 0, {}}, s_side{data(2), 0, {}};  // what each end sends / receives
    const Instant start = now();
    for (int i = 0; i < 5000 && (c_side.in.size() < kBytes || s_side.in.size() < kBytes); ++i) {
      pump(c, c_side, now());
      pump(*a, s_side, now());
      advance(Duration::millis(1));
    }
    EXPECT_EQ(s_side.in.size(), kBytes);
    EXPECT_EQ(c_side.in.size(), kBytes);
    EXPECT_TRUE(s_side.in == c_side.out) << "client -> server bytes differ";
    EXPECT_TRUE(c_side.in == s_side.out) << "server -> client bytes differ";
    // Nothing is lost on the way, so nothing is resent: well under one RTO.
    EXPECT_LT((now() - start).as_seconds(), 1.0);
    EXPECT_EQ(c.info().total_retrans + a->info().total_retrans, 0u);
    EXPECT_GT(c.info().snd_mss, 1460u);  // larger than any Ethernet segment

    c.close(now());
    a->close(now());
    for (int i = 0; i < 100; ++i) advance(Duration::millis(10));
    EXPECT_TRUE(take_tx().empty());
    EXPECT_EQ(dropped(DropReason::kNoBuffer), 0u);
    EXPECT_EQ(dropped(DropReason::kIpLoopbackFull), 0u);
    EXPECT_EQ(counter(Counter::TcpActiveOpens), 1u);
    EXPECT_EQ(counter(Counter::TcpPassiveOpens), 1u);
    EXPECT_EQ(counter(Counter::TcpRetransSegs), 0u);
    EXPECT_EQ(counter(Counter::TcpCurrEstab), 0u);
    // Every looped segment went back to the heap.
    EXPECT_EQ(stack().ipv4().heap_pool().in_use(), 0u);
  }
};

TEST_F(LocalTcp, Ipv4ToOwnAddress) {
  ready();
  exchange(IpAddr(Ipv4Addr::any()), IpAddr(kStackIp), 65535 - 40);
  EXPECT_GT(counter(Counter::IpOutRequests), 10u);
  EXPECT_EQ(counter(Counter::IpOutRequests), counter(Counter::IpInDelivers));
}

TEST_F(LocalTcp, Ipv6ToOwnAddress) {
  ready();
  exchange(IpAddr(Ipv6Addr::any()), IpAddr(kStackIp6), 65535 - 60);
  EXPECT_GT(counter(Counter::Ip6OutRequests), 10u);
  EXPECT_EQ(counter(Counter::Ip6OutRequests), counter(Counter::Ip6InDelivers));
}

TEST_F(LocalTcp, Ipv6Loopback) {
  ready();
  exchange(IpAddr(Ipv6Addr::any()), IpAddr(Ipv6Addr::loopback()), 65535 - 60);
}

}  // namespace
}  // namespace stackd::testsupport
