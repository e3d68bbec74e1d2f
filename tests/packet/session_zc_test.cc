// Zero copy between a client's rings and TCP, through the session over a
// whole Stack and a Linux-like peer written by hand (STYLE.md #11/#12): TCP
// sends straight out of the client's tx ring and the peer's ACK gives the
// client its space back (the tx tail); received payload, out of order too,
// lands straight in the client's rx ring; the client's indices are checked
// every time (a hostile tail or head breaks that socket only, and no window
// ever offers more than the ring); a closed socket's unacknowledged bytes
// outlive the client's memory.
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/byteorder.h"
#include "session/session_table.h"
#include "support/stack_harness.h"
#include "wire/ethernet.h"
#include "wire/ip_proto.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace stackd::session {
namespace {

using namespace testsupport;
using namespace wire::tcp_flag;

struct CountingWakeups : Wakeups {
  int wakes = 0;
  void wake(std::atomic<uint32_t>*) override { ++wakes; }
  void signal_channel(uint32_t) override {}
};

constexpr uint16_t kPeerPort = 5000;
constexpr uint32_t kPeerIss = 0xfffff000u;  // the peer's data crosses 2^32

struct Seg {
  wire::TcpRepr h;
  Bytes data;
};

class SessionZeroCopy : public ::testing::Test {
 protected:
  // 16 KiB: under 64 KiB, so a window field could offer more than the ring.
  explicit SessionZeroCopy(uint32_t ring = 16384) : kRing(ring) {
    h_.start();
    h_.take_tx();
    table_ = std::make_unique<SessionTable>(h_.stack().tcp(), h_.stack().udp());
    h_.stack().set_tcp_event_sink([this](uint32_t t) { table_->tcp_event(t); });
    geo_ = abi::make_geometry(2, 4, kRing);
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(4096, geo_.segment_bytes));
    std::memset(mem_, 0, geo_.segment_bytes);
    client_ = &table_->attach(SegmentView{mem_, geo_}, wakeups_);
  }
  ~SessionZeroCopy() override {
    if (client_ != nullptr) table_->detach(*client_, h_.now());
    table_.reset();
    std::free(mem_);
    EXPECT_TRUE(h_.finish());
  }

  abi::Channel& chan() { return *reinterpret_cast<abi::Channel*>(mem_ + geo_.channels_off); }
  abi::SocketShm& sh() { return reinterpret_cast<abi::SocketShm*>(mem_ + geo_.sockets_off)[sock_]; }
  uint8_t* rx_ring() { return mem_ + geo_.rings_off + size_t{sock_} * 2 * kRing; }
  uint8_t* tx_ring() { return rx_ring() + kRing; }

  void push(abi::Request r) {
    abi::Channel& c = chan();
    const uint32_t hd = c.req.head.load();
    c.requests[hd % abi::kRequestSlots] = r;
    c.req.head.store(hd + 1);
    client_->serve_channels(h_.now());
  }
  abi::Response call(abi::Request r) {
    r.tag = ++tag_;
    push(r);
    abi::Channel& c = chan();
    const uint32_t t = c.resp.tail.load();
    EXPECT_EQ(c.resp.head.load(), t + 1) << "no response";
    abi::Response out = c.responses[t % abi::kResponseSlots];
    c.resp.tail.store(t + 1);
    return out;
  }
  void kick() {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kKick);
    r.sock = sock_;
    r.gen = gen_;
    sh().kick.store(1);
    push(r);
  }
  // Poll the stack and the session until quiet; the peer's TCP segments.
  std::vector<Seg> pump() {
    std::vector<Seg> out;
    for (int i = 0; i < 100; ++i) {
      size_t work = h_.poll();
      work += table_->poll(h_.now());
      for (auto& f : h_.take_tx()) {
        if (auto s = tcp_of(f)) out.push_back(std::move(*s));
        else if (load_be16(f.data() + 12) == 0x0806) h_.send(eth_arp_reply(kPeerMac, kPeerIp, kStackMac, kStackIp));
        ++work;
      }
      if (work == 0 && h_.dev.rx_pending() == 0) break;
    }
    if (client_ != nullptr) {  // (once it is gone, TCP's own memory backs the window)
      for (const Seg& s : out) EXPECT_LE(s.h.window, kRing) << "a window past the client's ring";
    }
    return out;
  }
  static std::optional<Seg> tcp_of(const Bytes& f) {
    if (f.size() < 34 || load_be16(f.data() + 12) != 0x0800 || f[14 + 9] != wire::ip_proto::kTcp) return std::nullopt;
    const uint8_t* l3 = f.data() + 14;
    const size_t ihl = size_t{l3[0] & 0xfu} * 4;
    auto l4 = std::span<const uint8_t>(l3 + ihl, load_be16(l3 + 2) - ihl);
    auto t = wire::TcpRepr::parse(l4, IpAddr(kStackIp), IpAddr(kPeerIp));
    EXPECT_TRUE(t.ok()) << "bad TCP checksum or header";
    if (!t.ok()) return std::nullopt;
    return Seg{*t, Bytes(l4.begin() + static_cast<long>(t->header_len()), l4.end())};
  }
  void peer_send(uint8_t flags, uint32_t seq, uint32_t ack, std::span<const uint8_t> data = {},
                 uint16_t window = 65535) {
    wire::TcpRepr t;
    t.src_port = kPeerPort;
    t.dst_port = local_port_;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.window = window;
    if (flags & kSyn) t.options.mss = 1460;
    t.payload_len = static_cast<uint32_t>(data.size());
    Bytes seg(t.buffer_len());
    std::copy(data.begin(), data.end(), seg.begin() + static_cast<long>(t.header_len()));
    t.emit(seg, IpAddr(kPeerIp), IpAddr(kStackIp));
    wire::Ipv4Repr ip;
    ip.src = kPeerIp;
    ip.dst = kStackIp;
    ip.protocol = wire::ip_proto::kTcp;
    ip.ttl = 64;
    h_.send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(ip, seg)));
  }
  // A client socket connected to the peer (no window scaling: the peer's
  // SYN,ACK does not offer it, so every window field is in bytes).
  void connect() {
    abi::Request r{};
    r.op = static_cast<uint32_t>(abi::Op::kSocket);
    r.a[0] = SOCK_STREAM;
    auto s = call(r);
    ASSERT_EQ(s.result, 0);
    sock_ = s.sock;
    gen_ = s.gen;
    abi::Request c{};
    c.op = static_cast<uint32_t>(abi::Op::kConnect);
    c.sock = sock_;
    c.gen = gen_;
    abi::WireAddr w{};
    w.family = AF_INET;
    w.port = kPeerPort;
    for (int i = 0; i < 4; ++i) w.addr[i] = kPeerIp.octet(i);
    std::memcpy(c.data, &w, sizeof(w));
    EXPECT_EQ(call(c).result, -EINPROGRESS);
    auto syn = pump();
    ASSERT_EQ(syn.size(), 1u);
    ASSERT_EQ(syn[0].h.flags, kSyn);
    iss_ = syn[0].h.seq;
    local_port_ = syn[0].h.src_port;
    peer_send(kSyn | kAck, kPeerIss, iss_ + 1);
    auto ack = pump();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].h.ack, kPeerIss + 1);
    EXPECT_EQ(ack[0].h.window, std::min<uint32_t>(kRing, 65535)) << "the window is the client's ring";
    EXPECT_NE(sh().flags.load() & abi::flag::kConnected, 0u);
  }
  // The client's side of its rings.
  void client_send(const Bytes& d) {
    const uint32_t hd = sh().tx.head.load();
    for (size_t k = 0; k < d.size(); ++k) tx_ring()[(hd + k) % kRing] = d[k];
    sh().tx.head.store(hd + static_cast<uint32_t>(d.size()));
    kick();
  }
  Bytes client_peek(uint32_t at, uint32_t n) {
    Bytes out(n);
    for (uint32_t k = 0; k < n; ++k) out[k] = rx_ring()[(at + k) % kRing];
    return out;
  }
  bool broken() { return (sh().flags.load() & abi::flag::kBroken) != 0; }

  const uint32_t kRing;
  StackHarness h_;
  std::unique_ptr<SessionTable> table_;
  CountingWakeups wakeups_;
  abi::Geometry geo_;
  uint8_t* mem_ = nullptr;
  ClientSockets* client_ = nullptr;
  uint32_t tag_ = 0, sock_ = 0, gen_ = 0, iss_ = 0;
  uint16_t local_port_ = 0;
};

TEST_F(SessionZeroCopy, TcpSendsOutOfTheTxRingAndTheAckGivesTheClientItsSpaceBack) {
  connect();
  const size_t pool_rings = h_.stack().tcp().buffer_pool().stats().buffers_in_use;
  const Bytes d = pattern(3000, 7);
  client_send(d);
  auto segs = pump();
  ASSERT_EQ(segs.size(), 2u);  // 2 x 1460; Nagle holds the last 80 bytes
  Bytes sent;
  for (auto& s : segs) sent.insert(sent.end(), s.data.begin(), s.data.end());
  EXPECT_EQ(h_.stack().tcp().buffer_pool().stats().buffers_in_use, pool_rings) << "no TCP ring: a copy";
  // Unacknowledged: still the client's bytes, its space not back yet.
  EXPECT_EQ(sh().tx.tail.load(), 0u);
  peer_send(kAck, kPeerIss + 1, iss_ + 1 + 1460);
  EXPECT_TRUE(pump().empty());
  EXPECT_EQ(sh().tx.tail.load(), 1460u);
  peer_send(kAck, kPeerIss + 1, iss_ + 1 + 2920);
  segs = pump();
  ASSERT_EQ(segs.size(), 1u);
  sent.insert(sent.end(), segs[0].data.begin(), segs[0].data.end());
  EXPECT_EQ(sent, d);
  EXPECT_EQ(sh().tx.tail.load(), 2920u);
  peer_send(kAck, kPeerIss + 1, iss_ + 1 + 3000);
  pump();
  EXPECT_EQ(sh().tx.tail.load(), 3000u);
  EXPECT_FALSE(broken());
}

TEST_F(SessionZeroCopy, AWriterWaitingForSpaceIsWokenOnceHalfTheQueuedBytesAreFree) {
  connect();
  client_send(pattern(kRing, 8));  // the ring full
  auto segs = pump();
  ASSERT_EQ(segs.size(), 10u);  // IW10: 14600 bytes out
  sh().waiters.store(1);        // the writer sleeps on seq for space
  const uint32_t seq = sh().seq.load();
  const int wakes = wakeups_.wakes;
  // 1460 free, 14924 queued: the tail moves (a look sees it), no wake-up.
  peer_send(kAck, kPeerIss + 1, iss_ + 1 + 1460);
  pump();
  EXPECT_EQ(sh().tx.tail.load(), 1460u);
  EXPECT_EQ(sh().seq.load(), seq);
  EXPECT_EQ(wakeups_.wakes, wakes);
  // 5840 free, 10544 queued: at least half, as Linux sk_stream_write_space.
  peer_send(kAck, kPeerIss + 1, iss_ + 1 + 5840);
  pump();
  EXPECT_EQ(sh().tx.tail.load(), 5840u);
  EXPECT_NE(sh().seq.load(), seq);
  EXPECT_EQ(wakeups_.wakes, wakes + 1);
}

TEST_F(SessionZeroCopy, AKickAfterReadingIsAskedForOnlyWhileTheOfferedWindowIsLow) {
  connect();
  auto rx_blocked = [&] { return (sh().flags.load() & abi::flag::kRxBlocked) != 0; };
  peer_send(kAck | kPsh, kPeerIss + 1, iss_ + 1, pattern(1000, 1));
  pump();
  EXPECT_FALSE(rx_blocked()) << "15384 of 16384 still offered";
  uint32_t seq = kPeerIss + 1001;
  for (int i = 0; i < 7; ++i, seq += 1460) peer_send(kAck, seq, iss_ + 1, pattern(1460, 2));
  pump();
  ASSERT_EQ(sh().rx.head.load(), 1000u + 7 * 1460);
  EXPECT_TRUE(rx_blocked()) << "under half the ring offered";
  // The client reads it all and kicks: the window update, the flag cleared.
  sh().rx.tail.store(sh().rx.head.load());
  kick();
  auto upd = pump();
  ASSERT_EQ(upd.size(), 1u);
  EXPECT_EQ(upd[0].h.window, kRing);
  EXPECT_FALSE(rx_blocked());
}

// A ring larger than the window field can offer (no window scaling): half
// the ring is never offered, so "under half of what we could offer" must
// mean the field's limit, or every read would cost a kick.
class SessionZeroCopyBigRing : public SessionZeroCopy {
 protected:
  SessionZeroCopyBigRing() : SessionZeroCopy(131072) {}
};

TEST_F(SessionZeroCopyBigRing, NoKickAskedForWhileTheWholeFieldIsOffered) {
  connect();
  peer_send(kAck | kPsh, kPeerIss + 1, iss_ + 1, pattern(64, 1));
  pump();
  EXPECT_EQ(sh().rx.head.load(), 64u);
  EXPECT_EQ(sh().flags.load() & abi::flag::kRxBlocked, 0u);
}

TEST_F(SessionZeroCopy, PayloadLandsInTheRxRingOutOfOrderToo) {
  connect();
  const Bytes a = pattern(1000, 1), b = pattern(500, 2);
  // Out of order first: in the ring past the head, not published.
  peer_send(kAck | kPsh, kPeerIss + 1 + 1000, iss_ + 1, b);
  auto dup = pump();
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].h.ack, kPeerIss + 1);
  EXPECT_EQ(sh().rx.head.load(), 0u);
  EXPECT_EQ(client_peek(1000, 500), b);
  peer_send(kAck | kPsh, kPeerIss + 1, iss_ + 1, a);
  auto ack = pump();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].h.ack, kPeerIss + 1 + 1500);
  EXPECT_EQ(sh().rx.head.load(), 1500u);
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(client_peek(0, 1500), ab);
  EXPECT_EQ(ack[0].h.window, kRing - 1500);
  // The client reads it all and says so: the window opens again.
  sh().rx.tail.store(1500);
  kick();
  peer_send(kAck | kPsh, kPeerIss + 1 + 1500, iss_ + 1, a);
  pump();
  h_.advance(Duration::millis(40));  // the delayed ACK
  auto next = pump();
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.back().h.ack, kPeerIss + 1 + 2500);
  EXPECT_EQ(next.back().h.window, kRing - 1000);
}

TEST_F(SessionZeroCopy, HostileRxTailBreaksOnlyThatSocketAndNeverWidensTheWindow) {
  connect();
  peer_send(kAck | kPsh, kPeerIss + 1, iss_ + 1, pattern(1000, 3));
  pump();
  ASSERT_EQ(sh().rx.head.load(), 1000u);
  // Past what was published: would make more than the ring look free.
  sh().rx.tail.store(1000 + kRing / 2);
  kick();
  EXPECT_TRUE(broken());
  auto rst = pump();
  ASSERT_FALSE(rst.empty());
  EXPECT_EQ(rst.back().h.flags & kRst, kRst);
}

TEST_F(SessionZeroCopy, RxTailMovedBackBreaksTheSocket) {
  connect();
  peer_send(kAck | kPsh, kPeerIss + 1, iss_ + 1, pattern(1000, 3));
  pump();
  sh().rx.tail.store(600);
  kick();
  EXPECT_FALSE(broken());
  sh().rx.tail.store(500);  // back: within the ring, but bytes it already gave up
  kick();
  EXPECT_TRUE(broken());
  pump();
}

TEST_F(SessionZeroCopy, TxHeadMovedBackBehindCommittedBytesBreaksTheSocket) {
  connect();
  client_send(pattern(2000, 4));
  pump();
  sh().tx.head.store(1000);  // behind what TCP already holds (nothing ACKed)
  kick();
  EXPECT_TRUE(broken());
  pump();
}

TEST_F(SessionZeroCopy, RetransmissionReCutsWhatTheClientScribbledIndicesUnchanged) {
  connect();
  client_send(pattern(100, 5));
  ASSERT_EQ(pump().size(), 1u);
  std::memset(tx_ring(), 0xee, kRing);
  h_.advance(Duration::millis(300));  // RTO
  auto rxt = pump();
  ASSERT_EQ(rxt.size(), 1u);
  EXPECT_EQ(rxt[0].h.seq, iss_ + 1);
  EXPECT_EQ(rxt[0].data, Bytes(100, 0xee));
  EXPECT_EQ(sh().tx.tail.load(), 0u);
  EXPECT_FALSE(broken());
  peer_send(kAck, kPeerIss + 1, iss_ + 101);
  pump();
  EXPECT_EQ(sh().tx.tail.load(), 100u);
}

TEST_F(SessionZeroCopy, ClosedSocketsBytesOutliveTheClientsMemory) {
  connect();
  const Bytes d = pattern(100, 6);
  client_send(d);
  ASSERT_EQ(pump().size(), 1u);
  table_->detach(*client_, h_.now());  // the client died: FIN after its bytes
  client_ = nullptr;
  auto fin = pump();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].h.flags & kFin, kFin);
  EXPECT_EQ(table_->orphans(), 1u);
  std::memset(mem_, 0xee, geo_.segment_bytes);  // its memory is gone
  h_.advance(Duration::millis(300));
  auto rxt = pump();
  ASSERT_FALSE(rxt.empty());
  EXPECT_EQ(rxt[0].h.seq, iss_ + 1);
  EXPECT_EQ(rxt[0].data, d);
  peer_send(kAck | kFin, kPeerIss + 1, iss_ + 102);
  pump();
  EXPECT_EQ(table_->orphans(), 0u);
  h_.advance(Duration::seconds(61));  // TIME-WAIT
  pump();
  EXPECT_EQ(h_.stack().tcp().tcbs_in_use(), 0u);
}

}  // namespace
}  // namespace stackd::session
