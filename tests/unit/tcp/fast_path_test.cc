// The ESTABLISHED fast path (fast_path.cc) must be exactly the step-by-step
// path of RFC 9293 §3.10.7.4 for the segments it takes. Two connections,
// one with TcpConfig::fast_path on and one with it off, are driven in
// lockstep by the same seeded script (in-order data, full-sized and small,
// PSH, pure ACKs of new data, duplicate ACKs, window changes including a
// zero window, out-of-order and old segments, the application reading and
// writing, time passing so delayed-ACK, RTO and persist timers fire): after
// every step both have sent the same bytes and hold the same TCB. The
// counters differ only in TcpExtTCPHPHits / TcpExtTCPHPAcks /
// TcpExtTCPPureAcks, and the script must have used the fast path often.
// ISS near 2^32 on both sides; each run's teardown checks for leaks.
#include <random>
#include <sstream>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {
namespace {

class Run : public TcpFixture {
 public:
  Run(bool fast, bool options) : options_(options) {
    TcpConfig c = tcp_cfg();
    c.fast_path = fast;
    c.timestamps = c.sack = c.window_scaling = options;
    cfg_override = c;
  }
  void TestBody() override {}
  void finish() { TearDown(); }
  using TcpFixture::advance;
  using TcpFixture::bytes;
  using TcpFixture::counters;
  using TcpFixture::now;
  using TcpFixture::send;

  // Passive open; with options the peer offers WS 0, SACK and timestamps.
  void open() {
    TcpSocket& l = listening();
    Seg syn{.flags = kSyn, .seq = kRemoteIss, .mss = 1460};
    if (options_) {
      syn.ws = 0;
      syn.sack_perm = true;
      syn.ts = wire::TcpTimestamps{1, 0};
    }
    send(syn);
    (void)drain();
    Seg ack{.flags = kAck, .seq = kRemoteIss + 1, .ack = kLocalIss + 1};
    if (options_) ack.ts = wire::TcpTimestamps{2, our_tsval()};
    send(ack);
    auto c = l.accept();
    ASSERT_TRUE(c);
    held.push_back(std::move(*c));
    sock = &held.back();
  }
  // Everything sent since the last call, as TCP segment bytes.
  std::vector<std::vector<uint8_t>> drain() {
    std::vector<std::vector<uint8_t>> out;
    for (; emitted_ < l2.sent.size(); ++emitted_) {
      auto o = sent(emitted_);
      out.emplace_back(o.payload.begin(), o.payload.end());
      auto r = wire::TcpRepr::parse(o.payload, IpAddr(o.ip.src), IpAddr(o.ip.dst));
      if (r && r->options.timestamps) last_tsval_ = r->options.timestamps->tsval;
    }
    return out;
  }
  uint32_t our_tsval() const { return last_tsval_; }
  const Tcb& tcb() { return tcp().tcb(sock->index()); }
  // The TCB's protocol state as one comparable string.
  std::string snapshot() {
    const Tcb& t = tcb();
    std::ostringstream s;
    s << state_name(t.state) << " una " << t.snd.una.raw() << " nxt " << t.snd.nxt.raw() << " max "
      << t.snd_max.raw() << " wnd " << t.snd.wnd << " wl1 " << t.snd.wl1.raw() << " wl2 "
      << t.snd.wl2.raw() << " rnxt " << t.rcv.nxt.raw() << " radv " << t.rcv_adv.raw()
      << " tsr " << t.ts_recent << " cwnd " << t.cc.cwnd << " ssth " << t.cc.ssthresh << " rto "
      << t.rtt.rto().ns << " rcvq " << t.rcv_ring.size() << " sndq " << t.snd_ring.size()
      << " acked " << t.bytes_acked << " rcvd " << t.bytes_received << " probes " << t.probes
      << " lastrcv " << (t.last_rcv - Instant::from_nanos(0)).ns
      << " delack " << t.delack_pending << t.delack_segs << " timers " << tcp().timers_armed()
      << " rings " << tcp().buffer_pool().stats().buffers_in_use;
    for (size_t i = 0; i < kCounterCount; ++i) {
      const auto c = static_cast<Counter>(i);
      if (c == Counter::TcpExtTCPHPHits || c == Counter::TcpExtTCPHPAcks ||
          c == Counter::TcpExtTCPPureAcks)
        continue;
      s << " " << counter_name(c) << "=" << counters[c];
    }
    s << " drops " << drops.total();
    return s.str();
  }

  bool options_;
  TcpSocket* sock = nullptr;
  uint32_t last_tsval_ = 0;
};

void lockstep(bool options, uint32_t seed) {
  Run a(true, options), b(false, options);
  a.open();
  b.open();
  ASSERT_EQ(a.snapshot(), b.snapshot());
  std::mt19937 rng(seed);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  uint32_t peer_seq = kRemoteIss + 1, peer_ack = kLocalIss + 1, peer_ts = 10;
  uint16_t peer_win = 65535;
  std::vector<uint8_t> buf(70000);
  auto both_send = [&](Seg s) {
    if (options) s.ts = wire::TcpTimestamps{peer_ts++, a.our_tsval()};
    a.send(s);
    b.send(s);
  };
  for (int step = 0; step < 3000; ++step) {
    const uint32_t snd_max = a.tcb().snd_max.raw();
    // The peer sends from what we acknowledged (it "retransmits" what the
    // window cut off), so in-order data is always possible.
    peer_seq = a.tcb().rcv.nxt.raw();
    const uint32_t r = pick(100);
    if (r < 40 || r >= 98) {  // in-order data: full-sized or small, PSH sometimes
      const uint32_t len = pick(2) ? 1460 - (options ? 12 : 0) : 1 + pick(1400);
      Seg s{.flags = static_cast<uint8_t>(kAck | (r >= 98 || pick(4) == 0 ? kPsh : 0)),
            .seq = peer_seq, .ack = peer_ack, .win = peer_win,
            .data = Run::bytes(len, static_cast<uint8_t>(step))};
      both_send(s);
      peer_seq += len;
    } else if (r < 60) {  // a pure ACK, of new data when there is some
      if (snd_max != peer_ack) peer_ack += 1 + pick(snd_max - peer_ack);
      both_send({.flags = kAck, .seq = peer_seq, .ack = peer_ack, .win = peer_win});
    } else if (r < 63) {  // the peer's window changes (and mostly opens again)
      const uint16_t wins[] = {65535, 65535, 30000, 4000, 0};
      peer_win = wins[pick(5)];
      both_send({.flags = kAck, .seq = peer_seq, .ack = peer_ack, .win = peer_win});
    } else if (r < 70) {  // a duplicate ACK
      both_send({.flags = kAck, .seq = peer_seq, .ack = peer_ack, .win = peer_win});
    } else if (r < 71) {  // out of order: a segment beyond a hole
      both_send({.flags = kAck, .seq = peer_seq + 1000, .ack = peer_ack, .win = peer_win,
                 .data = Run::bytes(500, 9)});
    } else if (r < 76) {  // an old segment (partly or wholly received)
      both_send({.flags = kAck, .seq = peer_seq - 200, .ack = peer_ack, .win = peer_win,
                 .data = Run::bytes(100 + pick(200), 3)});
    } else if (r < 88) {  // the application reads and writes
      const size_t rd = pick(3) == 0 ? 0 : 1 + pick(40000);
      const size_t wr = pick(2) == 0 ? 0 : 1 + pick(20000);
      const int64_t ra = a.sock->recv(std::span(buf).first(rd), a.now());
      const int64_t rb = b.sock->recv(std::span(buf).first(rd), b.now());
      ASSERT_EQ(ra, rb);
      std::vector<uint8_t> d = Run::bytes(wr, static_cast<uint8_t>(step));
      ASSERT_EQ(a.sock->send(d, a.now()), b.sock->send(d, b.now()));
    } else {  // time passes: delayed ACK, RTO, persist
      const Duration d = Duration::millis(1 + pick(pick(4) == 0 ? 400 : 50));
      a.advance(d);
      b.advance(d);
    }
    ASSERT_EQ(a.drain(), b.drain()) << "step " << step;
    ASSERT_EQ(a.snapshot(), b.snapshot()) << "step " << step;
    if (a.tcb().state != TcpState::kEstablished) break;
  }
  // The script exercised the fast path, and only where it is enabled.
  // (Seeds 1-6: 73-216 data segments and 470-560 ACKs of ~1,100 and ~1,000
  // took it; the rest met a full receive window, a hole, a window change.)
  EXPECT_GT(a.counters[Counter::TcpExtTCPHPHits], 50u);
  EXPECT_GT(a.counters[Counter::TcpExtTCPHPAcks], 300u);
  EXPECT_EQ(b.counters[Counter::TcpExtTCPHPHits], 0u);
  EXPECT_EQ(b.counters[Counter::TcpExtTCPHPAcks], 0u);
  EXPECT_GT(b.counters[Counter::TcpExtTCPPureAcks], a.counters[Counter::TcpExtTCPPureAcks]);
  a.finish();
  b.finish();
}

TEST(FastPath, SameOutcomeAsTheStepsWithoutOptions) {
  for (uint32_t seed : {1u, 2u, 3u}) lockstep(false, seed);
}

TEST(FastPath, SameOutcomeAsTheStepsWithTimestampsSackAndScaling) {
  for (uint32_t seed : {4u, 5u, 6u}) lockstep(true, seed);
}

}  // namespace
}  // namespace stackd::tcp::testing
