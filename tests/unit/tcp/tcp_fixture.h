// Packet-level TCP tests (STYLE.md #11): a TcpLayer over the IPv4 layer
// with a fake L2 and a manual clock. Segments are written as templates
// (send(seg) / expect_emit(seg) / expect_no_emit()), fixtures are reached
// through the real handshake, and the ISS is near 2^32 so every test
// crosses the wrap. The teardown checks that TCBs, timers and frames are
// back to baseline.
#pragma once

// Segment templates use designated initializers and leave fields unset.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <vector>

#include "../ip/ip_test_util.h"
#include "transport/tcp/tcp_socket.h"
#include "wire/tcp.h"

namespace stackd::tcp::testing {

using ip::testing::A;
using namespace wire::tcp_flag;

// A segment as the tests write it. Fields left unset are not compared.
struct Seg {
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t win = 65535;
  std::vector<uint8_t> data;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> ws;
  bool sack_perm = false;
  std::optional<wire::TcpTimestamps> ts;
};

inline constexpr uint32_t kLocalIss = 0xfffffff0u;   // ours, wraps after 16 bytes
inline constexpr uint32_t kRemoteIss = 0xffffffe0u;  // the peer's, wraps after 32
inline constexpr uint16_t kLocalPort = 80;
inline constexpr uint16_t kRemotePort = 49152;

class TcpFixture : public ip::testing::IpFixture {
 protected:
  TcpConfig tcp_cfg() {
    TcpConfig c;
    c.use_fixed_iss = true;
    c.fixed_iss = kLocalIss;
    c.snd_buf = 64 * 1024;
    c.rcv_buf = 64 * 1024;
    c.timestamps = false;
    c.window_scaling = false;
    c.sack = false;
    return c;
  }
  TcpLayer& tcp() {
    if (!tcp_) tcp_ = std::make_unique<TcpLayer>(ip(), counters, drops, cfg_override ? *cfg_override : tcp_cfg());
    return *tcp_;
  }
  void TearDown() override {
    if (!tcp_) return;
    // Leak check: whatever the test left open is closed by the owner, the
    // clock runs out every timer, and everything is back to baseline.
    for (auto& s : held) s.abort(clock.now());
    held.clear();
    for (int i = 0; i < 200 && tcp_->timers_armed() != 0; ++i) {
      clock.advance(Duration::seconds(30));
      tcp_->on_timer(clock.now());
    }
    EXPECT_EQ(tcp_->tcbs_in_use(), 0u) << "TCB leak";
    EXPECT_EQ(tcp_->flows(), 0u);
    EXPECT_EQ(tcp_->timers_armed(), 0u);
    l2.sent.clear();
    EXPECT_EQ(pool.in_use(), 0u) << "frame leak";
  }

  void send(const Seg& s) {
    wire::TcpRepr h;
    h.src_port = kRemotePort;
    h.dst_port = kLocalPort;
    h.seq = s.seq;
    h.ack = s.ack;
    h.flags = s.flags;
    h.window = s.win;
    h.options.mss = s.mss;
    h.options.window_scale = s.ws;
    h.options.sack_permitted = s.sack_perm;
    h.options.timestamps = s.ts;
    h.payload_len = static_cast<uint32_t>(s.data.size());
    std::vector<uint8_t> b(h.buffer_len());
    std::copy(s.data.begin(), s.data.end(), b.begin() + static_cast<long>(h.header_len()));
    h.emit(b, IpAddr(A("10.0.0.1")), IpAddr(A("10.0.0.2")));
    tcp();
    rx(packet(hdr(6), b));
  }
  // The next segment stackd sent.
  std::optional<wire::TcpRepr> next_emit(std::vector<uint8_t>* payload = nullptr) {
    if (emitted_ >= l2.sent.size()) return std::nullopt;
    auto o = sent(emitted_++);
    EXPECT_EQ(o.ip.protocol, 6);
    auto r = wire::TcpRepr::parse(o.payload, IpAddr(o.ip.src), IpAddr(o.ip.dst));
    EXPECT_TRUE(r.ok()) << "bad checksum or header";
    if (!r.ok()) return std::nullopt;
    if (payload) payload->assign(o.payload.begin() + static_cast<long>(r->header_len()), o.payload.end());
    return *r;
  }
  void expect_emit(const Seg& e) {
    std::vector<uint8_t> data;
    auto r = next_emit(&data);
    ASSERT_TRUE(r) << "nothing sent";
    EXPECT_EQ(r->flags, e.flags) << "flags";
    EXPECT_EQ(r->seq, e.seq) << "seq";
    if (e.flags & kAck) {
      EXPECT_EQ(r->ack, e.ack) << "ack";
    }
    EXPECT_EQ(data, e.data) << "payload";
    if (e.mss) {
      EXPECT_EQ(r->options.mss, e.mss);
    }
    if (e.ws) {
      EXPECT_EQ(r->options.window_scale, e.ws);
    }
    if (e.sack_perm) {
      EXPECT_TRUE(r->options.sack_permitted);
    }
    last = *r;
  }
  void expect_no_emit() {
    EXPECT_EQ(emitted_, l2.sent.size()) << "unexpected segment";
    emitted_ = l2.sent.size();
  }
  void advance(Duration d) {
    clock.advance(d);
    tcp().on_timer(clock.now());
  }
  Instant now() const { return clock.now(); }
  // Let `d` pass, firing every timer on its deadline (not in one jump).
  void run_for(Duration d) {
    const Instant end = now() + d;
    for (int i = 0; i < 100000; ++i) {
      const Instant at = tcp().poll_at();
      if (at > end) break;
      if (at > now()) clock.advance(at - now());
      tcp().on_timer(now());
    }
    if (end > now()) clock.advance(end - now());
    tcp().on_timer(now());
  }
  // How many segments like `e` (flags, seq) were sent since the last look.
  int count_emits(uint8_t flags, uint32_t seq) {
    int n = 0;
    while (auto r = next_emit()) {
      EXPECT_EQ(r->flags, flags);
      EXPECT_EQ(r->seq, seq);
      ++n;
    }
    return n;
  }
  static std::vector<uint8_t> bytes(size_t n, uint8_t seed = 1) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + seed);
    return v;
  }

  // ---- fixtures reached through the real handshake
  // LISTEN on port 80.
  TcpSocket& listening() {
    held.emplace_back(tcp());
    TcpSocket& l = held.back();
    EXPECT_EQ(l.bind(Ipv4Addr::any(), kLocalPort), 0);
    EXPECT_EQ(l.listen(8), 0);
    return l;
  }
  // Passive open to ESTABLISHED; returns the accepted socket.
  TcpSocket& established() {
    TcpSocket& l = listening();
    send({.flags = kSyn, .seq = kRemoteIss, .mss = 1460});
    expect_emit({.flags = kSyn | kAck, .seq = kLocalIss, .ack = kRemoteIss + 1, .mss = 1460});
    send({.flags = kAck, .seq = kRemoteIss + 1, .ack = kLocalIss + 1});
    expect_no_emit();
    auto c = l.accept();
    EXPECT_TRUE(c);
    held.push_back(std::move(*c));
    return held.back();
  }

  std::optional<TcpConfig> cfg_override;
  std::unique_ptr<TcpLayer> tcp_;
  std::deque<TcpSocket> held;
  size_t emitted_ = 0;
  wire::TcpRepr last;
};

}  // namespace stackd::tcp::testing
