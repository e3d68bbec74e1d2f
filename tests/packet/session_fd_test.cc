// Socket-fd signalling (libclient/include/stackd/abi/attach.h "Socket fds")
// over a whole stack: a TCP connection owned by a client segment in memory,
// a Linux-like peer made of frames, and a fake B that behaves as the real one
// (a byte cannot be written after B's write side was shut).
//
// The ordering bug this pins down (the EPOLLET stall of test_shim_fork.sh):
// the peer's FIN arrives while TCP still holds bytes the client's rx ring
// could not take. Shutting B then (end of stream: A readable for good) left
// no way to give the program an edge for the bytes that reach the ring
// later, so an edge-triggered program waited forever with bytes in the ring.
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "session/session_table.h"
#include "support/stack_harness.h"

namespace stackd::testsupport {
namespace {

// B as the kernel has it: writable until shut.
struct FakeB : session::Wakeups {
  bool shut = false;
  int edges = 0, refused = 0;
  void wake(std::atomic<uint32_t>*) override {}
  void signal_channel(uint32_t) override {}
  bool fd_readable(uint32_t) override {
    if (shut) {
      ++refused;  // EPIPE: no edge for the program
      return false;
    }
    ++edges;
    return true;
  }
  void fd_writable(uint32_t) override {}
  void fd_shutdown(uint32_t) override { shut = true; }
  void fd_closed(uint32_t) override {}
};

class SessionFdTest : public StackTest {
 protected:
  void SetUp() override {
    start();
    take_tx();
    table_ = std::make_unique<session::SessionTable>(stack().tcp(), stack().udp());
    stack().set_tcp_event_sink([this](uint32_t t) { table_->tcp_event(t); });
    geo_ = abi::make_geometry(2, 4, 4096);
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(4096, geo_.segment_bytes));
    std::memset(mem_, 0, geo_.segment_bytes);
    client_ = &table_->attach(session::SegmentView{mem_, geo_}, b_);
  }
  void TearDown() override {
    table_->detach(*client_, now());
    stack().set_tcp_event_sink(nullptr);
    table_.reset();
    std::free(mem_);
    StackTest::TearDown();
  }

  abi::SocketShm& sock(uint32_t s) { return reinterpret_cast<abi::SocketShm*>(mem_ + geo_.sockets_off)[s]; }
  abi::Response call(abi::Op op, uint32_t s, uint32_t gen, int32_t a0 = 0, uint16_t port = 0) {
    auto& c = *reinterpret_cast<abi::Channel*>(mem_ + geo_.channels_off);
    abi::Request r{};
    r.op = static_cast<uint32_t>(op);
    r.tag = ++tag_;
    r.sock = s;
    r.gen = gen;
    r.a[0] = a0;
    if (port != 0) {
      abi::WireAddr w{};
      w.family = AF_INET;
      w.port = port;
      std::memcpy(r.data, &w, sizeof(w));
    }
    const uint32_t h = c.req.head.load();
    c.requests[h % abi::kRequestSlots] = r;
    c.req.head.store(h + 1);
    client_->serve_channels(now());
    const uint32_t t = c.resp.tail.load();
    abi::Response out = c.responses[t % abi::kResponseSlots];
    c.resp.tail.store(t + 1);
    return out;
  }
  // The stack's work, then the session's (as AttachServer::poll does).
  std::vector<Bytes> pump() {
    auto tx = run();
    table_->poll(now());
    auto more = run();
    tx.insert(tx.end(), more.begin(), more.end());
    return tx;
  }
  void peer_segment(uint8_t flags, uint32_t seq, uint32_t ack, std::span<const uint8_t> payload = {}) {
    wire::TcpRepr t;
    t.src_port = 40000;
    t.dst_port = 9000;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.window = 65535;
    t.payload_len = static_cast<uint32_t>(payload.size());
    Bytes seg(t.buffer_len());
    if (!payload.empty()) std::memcpy(seg.data() + t.header_len(), payload.data(), payload.size());
    t.emit(seg, IpAddr(kPeerIp), IpAddr(kStackIp));
    wire::Ipv4Repr ip;
    ip.src = kPeerIp;
    ip.dst = kStackIp;
    ip.protocol = wire::ip_proto::kTcp;
    ip.ttl = 64;
    send(eth_frame(kPeerMac, kStackMac, wire::EtherType::kIpv4, ipv4_packet(ip, seg)));
  }
  static std::optional<wire::TcpRepr> tcp_of(const Bytes& f) {
    if (f.size() < 14 + 20 || load_be16(f.data() + 12) != 0x0800) return std::nullopt;
    const uint8_t* l3 = f.data() + 14;
    if (l3[9] != wire::ip_proto::kTcp) return std::nullopt;
    const size_t ihl = size_t{l3[0] & 0xfu} * 4;
    auto t = wire::TcpRepr::parse(std::span<const uint8_t>(l3 + ihl, load_be16(l3 + 2) - ihl), IpAddr(kStackIp),
                                  IpAddr(kPeerIp));
    return t ? std::optional<wire::TcpRepr>(*t) : std::nullopt;
  }

  std::unique_ptr<session::SessionTable> table_;
  abi::Geometry geo_;
  uint8_t* mem_ = nullptr;
  FakeB b_;
  session::ClientSockets* client_ = nullptr;
  uint32_t tag_ = 0;
};

TEST_F(SessionFdTest, EndOfStreamWaitsForTheBytesTheRingCouldNotTake) {
  const auto l = call(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  ASSERT_EQ(call(abi::Op::kBind, l.sock, l.gen, 0, 9000).result, 0);
  ASSERT_EQ(call(abi::Op::kListen, l.sock, l.gen, 8).result, 0);
  // The peer connects; the session accepts into the listener's ring.
  peer_segment(wire::tcp_flag::kSyn, 1000, 0);
  uint32_t isn = 0;
  for (const auto& f : pump())
    if (auto t = tcp_of(f); t && t->flags == (wire::tcp_flag::kSyn | wire::tcp_flag::kAck)) isn = t->seq;
  ASSERT_NE(isn, 0u) << "no SYN,ACK";
  // The peer completes the handshake and sends 10000 bytes and its FIN
  // before the session has accepted: TCP keeps them in its own ring (the
  // client's 4 KiB rx ring is attached once that ring is drained, zero copy).
  const Bytes data = pattern(10000);
  peer_segment(wire::tcp_flag::kAck, 1001, isn + 1);
  for (uint32_t off = 0; off < data.size(); off += 1000) {
    const bool last = off + 1000 >= data.size();
    peer_segment(wire::tcp_flag::kAck | wire::tcp_flag::kPsh | (last ? wire::tcp_flag::kFin : 0), 1001 + off,
                 isn + 1, std::span(data).subspan(off, 1000));
  }
  pump();
  abi::SocketShm& ls = sock(l.sock);
  ASSERT_EQ(ls.rx.head.load() - ls.rx.tail.load(), abi::record_size(0)) << "no accept record";
  abi::RecordHeader rec;
  std::memcpy(&rec, mem_ + geo_.rings_off + size_t{l.sock} * 2 * geo_.ring_bytes, sizeof(rec));
  ls.rx.tail.store(ls.rx.tail.load() + abi::record_size(0));
  ASSERT_TRUE(client_->attach_fd(rec.sock, rec.gen, now()));
  abi::SocketShm& cs = sock(rec.sock);
  // Our FIN (SHUT_WR), ACKed by the peer: the connection is finished (kHup)
  // while TCP holds what the 4 KiB ring could not take.
  ASSERT_EQ(call(abi::Op::kShutdown, rec.sock, rec.gen, SHUT_WR).result, 0);
  pump();
  peer_segment(wire::tcp_flag::kAck, 1001 + 10000 + 1, isn + 2);
  pump();
  ASSERT_EQ(cs.rx.head.load() - cs.rx.tail.load(), geo_.ring_bytes);
  ASSERT_NE(cs.flags.load() & abi::flag::kHup, 0u);
  EXPECT_FALSE(b_.shut) << "end of stream signalled with bytes still to come";
  EXPECT_GE(b_.edges, 1) << "bytes in the ring without an edge";
  // The program reads the ring empty, finds nothing (EAGAIN), settles (the
  // count back to 0) and kicks: each time the rest comes, with an edge.
  uint32_t got = 0;
  for (int round = 0; round < 5 && !b_.shut; ++round) {
    const uint32_t used = cs.rx.head.load() - cs.rx.tail.load();
    got += used;
    cs.rx.tail.store(cs.rx.tail.load() + used);
    const int edges = b_.edges;
    cs.fd_rx_signals.store(0);
    client_->sync(rec.sock, now());
    EXPECT_EQ(b_.edges, edges + 1) << "bytes reached the ring without an edge";
  }
  got += cs.rx.head.load() - cs.rx.tail.load();
  EXPECT_EQ(got, data.size());
  EXPECT_TRUE(b_.shut) << "end of stream once the last byte is in the ring";
  EXPECT_EQ(b_.refused, 0) << "an edge was written to a shut B";
  EXPECT_NE(cs.flags.load() & abi::flag::kReadEof, 0u);
}

// What stackd tells a process claiming a socket's fd (abi/attach.h "Claim",
// daemon/ipc/claim.h): only sockets whose fd it holds, with their type,
// family and the per-process state the claimer's library keeps.
TEST_F(SessionFdTest, DescribeTellsAClaimerWhichSocketItHolds) {
  const auto l = call(abi::Op::kSocket, 0, 0, SOCK_STREAM);
  EXPECT_FALSE(client_->describe(l.sock)) << "no fd given yet: nothing to claim";
  ASSERT_EQ(call(abi::Op::kBind, l.sock, l.gen, 0, 9000).result, 0);
  ASSERT_EQ(call(abi::Op::kListen, l.sock, l.gen, 8).result, 0);
  ASSERT_TRUE(client_->attach_fd(l.sock, l.gen, now()));
  auto d = client_->describe(l.sock);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->sock, l.sock);
  EXPECT_EQ(d->gen, l.gen);
  EXPECT_EQ(d->type, SOCK_STREAM);
  EXPECT_EQ(d->domain, AF_INET);
  EXPECT_EQ(d->state, 0u) << "a listener was never connected";
  // An accepted connection: connected once.
  peer_segment(wire::tcp_flag::kSyn, 1000, 0);
  uint32_t isn = 0;
  for (const auto& f : pump())
    if (auto t = tcp_of(f); t && t->flags == (wire::tcp_flag::kSyn | wire::tcp_flag::kAck)) isn = t->seq;
  peer_segment(wire::tcp_flag::kAck, 1001, isn + 1);
  pump();
  abi::RecordHeader rec;
  std::memcpy(&rec, mem_ + geo_.rings_off + size_t{l.sock} * 2 * geo_.ring_bytes, sizeof(rec));
  ASSERT_TRUE(client_->attach_fd(rec.sock, rec.gen, now()));
  d = client_->describe(rec.sock);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->gen, rec.gen);
  EXPECT_EQ(d->state & abi::claim_state::kWasConnected, abi::claim_state::kWasConnected);
  // A UDP socket: datagrams, not connected.
  const auto u = call(abi::Op::kSocket, 0, 0, SOCK_DGRAM);
  ASSERT_TRUE(client_->attach_fd(u.sock, u.gen, now()));
  d = client_->describe(u.sock);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, SOCK_DGRAM);
  EXPECT_EQ(d->state, 0u);
  // The last fd closed: the slot is nobody's to claim any more.
  client_->fd_released(u.sock, now());
  EXPECT_FALSE(client_->describe(u.sock));
  EXPECT_FALSE(client_->describe(geo_.max_sockets)) << "out of range";
}

}  // namespace
}  // namespace stackd::testsupport
