// RecoveryFixture: a connection in ESTABLISHED through the real handshake
// (MSS 1000, "reno", SACK / timestamps / RACK-TLP as asked) and the peer's
// side of loss recovery scripts: ACKs with SACK blocks as offsets from our
// first data octet, and checks of what we send. Used by recovery_test.cc
// (RFC 6675 / 6582) and rack_test.cc (RFC 8985).
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {

constexpr uint32_t L = kLocalIss, R = kRemoteIss;
constexpr uint32_t B = L + 1;  // our first data octet
constexpr uint32_t M = 1000;   // MSS
using Blocks = std::vector<std::pair<uint32_t, uint32_t>>;  // offsets from B

class RecoveryFixture : public TcpFixture {
 protected:
  // With `ts`, RFC 7323 timestamps too (the peer's MSS then leaves
  // segments of M octets after the 12 option octets).
  // With `rack`, RACK-TLP is on (TcpConfig::rack / tlp), and the
  // handshake's ACK comes `rtt` after the SYN,ACK (the first RTT sample).
  TcpSocket& open(bool sack, bool ts = false, bool rack = false, Duration rtt = Duration::zero()) {
    auto cfg = tcp_cfg();
    cfg.sack = sack;
    cfg.timestamps = ts;
    cfg.congestion = "reno";
    cfg.rack = rack;
    cfg.tlp = rack;
    cfg_override = cfg;
    ts_ = ts;
    TcpSocket& l = listening();
    const uint16_t mss = static_cast<uint16_t>(ts ? M + 12 : M);
    std::optional<wire::TcpTimestamps> syn_ts;
    if (ts) syn_ts = wire::TcpTimestamps{peer_ts_++, 0};
    send({.flags = kSyn, .seq = R, .mss = mss, .sack_perm = sack, .ts = syn_ts});
    auto synack = next_emit();
    if (ts && synack && synack->options.timestamps) last_tsval = synack->options.timestamps->tsval;
    if (rtt > Duration::zero()) advance(rtt);
    std::optional<wire::TcpTimestamps> ack_ts;
    if (ts) ack_ts = wire::TcpTimestamps{peer_ts_++, last_tsval};
    send({.flags = kAck, .seq = R + 1, .ack = L + 1, .ts = ack_ts});
    auto c = l.accept();
    EXPECT_TRUE(c);
    held.push_back(std::move(*c));
    TcpSocket& s = held.back();
    s.set_nodelay(true);
    return s;
  }
  // Send `n` segments of data and swallow them (the IW is 10 segments).
  void send_segments(TcpSocket& c, int n) {
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(c.send(bytes(M, static_cast<uint8_t>(i)), now()), M);
      expect_data(B + i * M, M);
    }
  }
  // An ACK from the peer, SACK blocks as offsets from B; with timestamps
  // it echoes `tsecr` (default: our latest TSval).
  void ack(uint32_t a, const Blocks& blocks = {}, std::optional<uint32_t> tsecr = {}) {
    wire::TcpRepr h;
    if (ts_) h.options.timestamps = wire::TcpTimestamps{peer_ts_++, tsecr.value_or(last_tsval)};
    h.src_port = kRemotePort;
    h.dst_port = kLocalPort;
    h.seq = R + 1;
    h.ack = a;
    h.flags = kAck;
    h.window = 65535;
    for (auto [s, e] : blocks)
      h.options.sack[h.options.sack_count++] = {B + s, B + e};
    std::vector<uint8_t> b(h.buffer_len());
    h.emit(b, IpAddr(A("10.0.0.1")), IpAddr(A("10.0.0.2")));
    rx(packet(hdr(6), b));
  }
  void expect_data(uint32_t seq, size_t len) {
    std::vector<uint8_t> data;
    auto r = next_emit(&data);
    ASSERT_TRUE(r) << "nothing sent, wanted seq " << seq - B;
    EXPECT_EQ(r->seq, seq) << "offset " << r->seq - B << " instead of " << seq - B;
    EXPECT_EQ(data.size(), len);
    if (r->options.timestamps) last_tsval = r->options.timestamps->tsval;
  }
  // Send segments k..n-1 (offsets k*M) and swallow them.
  void send_more(TcpSocket& c, int k, int n) {
    for (int i = k; i < n; ++i) {
      EXPECT_EQ(c.send(bytes(M, static_cast<uint8_t>(i)), now()), M);
      expect_data(B + i * M, M);
    }
  }
  Tcb& tcb(TcpSocket& c) { return tcp().tcb(c.index()); }
  uint64_t retrans() const { return counters[Counter::TcpRetransSegs]; }
  bool ts_ = false;
  uint32_t peer_ts_ = 7000;   // the peer's TSval clock
  uint32_t last_tsval = 0;    // our TSval on the last segment looked at
};

}  // namespace stackd::tcp::testing
