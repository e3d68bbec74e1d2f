// Ring storage supplied by the owner (buffers.cc, TcpSocket::attach_*_storage):
// the session hands TCP a client's shared-memory rings, TCP sends straight
// out of the transmit ring (unacknowledged bytes stay there, retransmission
// re-cuts from it) and writes received payload, out of order too, straight
// into the receive ring. The storage here is ordinary memory laid out by
// "client" indices that differ from sequence numbers and cross the storage
// end; the client may scribble on it at any time, which may change the
// bytes sent but never the offsets.
#include <cerrno>
#include <vector>

#include "tcp_fixture.h"

namespace stackd::tcp::testing {
namespace {

constexpr uint32_t L = kLocalIss, R = kRemoteIss;
constexpr uint32_t kCap = 4096;

class ExternalRing : public TcpFixture {
 protected:
  ExternalRing() : tx(kCap), rx(kCap) {
    auto c = tcp_cfg();
    c.rcv_buf = kCap;  // the window offered on the SYN,ACK fits the client's ring
    cfg_override = c;
  }
  // Bytes as the client writes them: byte k of its stream at index at + k.
  void client_write(uint32_t at, const std::vector<uint8_t>& d) {
    for (size_t k = 0; k < d.size(); ++k) tx[(at + k) & (kCap - 1)] = d[k];
  }
  std::vector<uint8_t> client_read(uint32_t at, uint32_t n) const {
    std::vector<uint8_t> out(n);
    for (uint32_t k = 0; k < n; ++k) out[k] = rx[(at + k) & (kCap - 1)];
    return out;
  }
  std::vector<uint8_t> tx, rx;  // the "client's" ring storage
};

TEST_F(ExternalRing, SendsStraightOutOfOwnerStorageAndTheAckReleasesIt) {
  TcpSocket& c = established();
  const uint32_t at = kCap - 40;  // the client's index: its data wraps the storage end
  ASSERT_TRUE(c.attach_send_storage(tx, at));
  EXPECT_TRUE(c.send_external());
  const size_t pool_before = tcp().buffer_pool().stats().buffers_in_use;
  auto d = bytes(100);
  client_write(at, d);
  EXPECT_EQ(c.commit_send(100, now()), 100);
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
  EXPECT_EQ(tcp().buffer_pool().stats().buffers_in_use, pool_before) << "no pool ring: the owner's storage";
  // Unacknowledged bytes stay; the ring's offsets are sequence numbers.
  EXPECT_EQ(c.send_ring().head(), L + 1);
  EXPECT_EQ(c.send_ring().tail(), L + 101);
  send({.flags = kAck, .seq = R + 1, .ack = L + 61});
  EXPECT_EQ(c.send_ring().head(), L + 61);  // the client's tail is head + (at - (L + 1))
  EXPECT_EQ(c.send_ring().head() + (at - (L + 1)), at + 60);
  send({.flags = kAck, .seq = R + 1, .ack = L + 101});
  EXPECT_TRUE(c.send_ring().empty());
  EXPECT_TRUE(c.send_external()) << "the storage stays attached when empty";
  // The next bytes follow on in both numberings.
  auto e = bytes(10, 9);
  client_write(at + 100, e);
  EXPECT_EQ(c.commit_send(10, now()), 10);
  expect_emit({.flags = kAck | kPsh, .seq = L + 101, .ack = R + 1, .data = e});
}

TEST_F(ExternalRing, RetransmissionReCutsWhateverTheClientLeftThereOffsetsStaySane) {
  TcpSocket& c = established();
  ASSERT_TRUE(c.attach_send_storage(tx, 0));
  auto d = bytes(100);
  client_write(0, d);
  ASSERT_EQ(c.commit_send(100, now()), 100);
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
  // The client scribbles over its whole ring, unacknowledged bytes included.
  std::fill(tx.begin(), tx.end(), 0xee);
  advance(Duration::millis(200));  // RTO
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = std::vector<uint8_t>(100, 0xee)});
  EXPECT_EQ(c.send_ring().head(), L + 1);
  EXPECT_EQ(c.send_ring().tail(), L + 101);
  EXPECT_EQ(counters[Counter::TcpRetransSegs], 1u);
  send({.flags = kAck, .seq = R + 1, .ack = L + 101});
  EXPECT_TRUE(c.send_ring().empty());
  expect_no_emit();
}

TEST_F(ExternalRing, CommitIsClampedToTheRingWhateverTheOwnerClaims) {
  TcpSocket& c = established();
  ASSERT_TRUE(c.attach_send_storage(tx, 0));
  EXPECT_EQ(c.commit_send(UINT32_MAX, now()), kCap);
  EXPECT_EQ(c.send_ring().size(), kCap);
  EXPECT_EQ(c.commit_send(1, now()), -EAGAIN);
  EXPECT_EQ(c.tx_space(), 0u);
  // Nothing attached twice, and not while bytes are queued.
  EXPECT_FALSE(c.attach_send_storage(tx, 0));
}

TEST_F(ExternalRing, NotAttachedWhileTcpsOwnBytesAreQueued) {
  TcpSocket& c = established();
  c.send(bytes(10), now());
  EXPECT_FALSE(c.attach_send_storage(tx, 0));
  EXPECT_EQ(c.commit_send(1, now()), -EINVAL) << "no owner storage to commit into";
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = bytes(5)});
  EXPECT_FALSE(c.attach_recv_storage(rx, {0, 0})) << "TCP's ring holds unread bytes";
  std::vector<uint8_t> out(5);
  EXPECT_EQ(c.recv(out, now()), 5);
  EXPECT_TRUE(c.attach_recv_storage(rx, {0, 0}));
}

TEST_F(ExternalRing, InOrderAndOutOfOrderPayloadLandInOwnerStorage) {
  TcpSocket& c = established();
  const uint32_t at = kCap - 8;  // the client's read/write index; wraps the storage end
  ASSERT_TRUE(c.attach_recv_storage(rx, {at, at}));
  EXPECT_TRUE(c.recv_external());
  auto a = bytes(10, 1), b = bytes(20, 2);
  // Out of order: placed at seq - rcv.nxt past the tail, not committed.
  send({.flags = kAck | kPsh, .seq = R + 11, .ack = L + 1, .data = b});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1});  // duplicate ACK at once
  EXPECT_EQ(c.recv_ring().tail(), at);
  EXPECT_EQ(client_read(at + 10, 20), b);
  // The hole filled: the tail jumps over both (the client's head to publish).
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = a});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 31});
  EXPECT_EQ(c.recv_ring().tail(), at + 30);
  std::vector<uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(client_read(at, 30), ab);
  EXPECT_EQ(tcp().buffer_pool().stats().buffers_in_use, 0u) << "nothing went through a pool ring";
}

TEST_F(ExternalRing, WindowIsTheOwnerRingsFreeSpaceAndReadsAreClamped) {
  TcpSocket& c = established();
  ASSERT_TRUE(c.attach_recv_storage(rx, {100, 100}));
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = bytes(1000)});
  advance(Duration::millis(40));  // the delayed ACK
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 1001});
  EXPECT_EQ(last.window, kCap - 1000);
  // A hostile length (the session validates the client's tail, TCP clamps
  // again): never more than the ring holds, the window never past the ring.
  EXPECT_EQ(c.consume_recv(UINT32_MAX, now()), 1000u);
  EXPECT_EQ(c.recv_ring().head(), 1100u);
  EXPECT_EQ(c.consume_recv(5, now()), 0u);
  // Two full segments: the ACK's window is what the ring has free, held at
  // the right edge already offered (receiver SWS avoidance), never more.
  send({.flags = kAck, .seq = R + 1001, .ack = L + 1, .data = bytes(1460)});
  send({.flags = kAck, .seq = R + 2461, .ack = L + 1, .data = bytes(1460)});
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 3921});
  EXPECT_EQ(last.window, 176u);  // R + 4097 - rcv.nxt; kCap - 2920 free
  // A peer ignoring the window: the ring takes no more than it has room for.
  send({.flags = kAck, .seq = R + 3921, .ack = L + 1, .data = bytes(1460)});
  EXPECT_LE(c.recv_ring().size(), kCap);
  EXPECT_EQ(c.recv_ring().head(), 1100u);
  while (auto r = next_emit()) EXPECT_LE(r->window, kCap);
}

TEST_F(ExternalRing, CloseCopiesWhatTcpStillNeedsOutOfTheOwnersMemory) {
  TcpSocket& c = established();
  ASSERT_TRUE(c.attach_send_storage(tx, 7));
  ASSERT_TRUE(c.attach_recv_storage(rx, {0, 0}));
  auto d = bytes(300, 5);
  client_write(7, d);
  ASSERT_EQ(c.commit_send(300, now()), 300);
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = d});
  const uint32_t index = c.index();
  c.close(now());  // FIN after the data
  expect_emit({.flags = kAck | kFin, .seq = L + 301, .ack = R + 1});
  const Tcb& t = tcp().tcb(index);
  EXPECT_FALSE(t.snd_external);
  EXPECT_FALSE(t.rcv_external);
  EXPECT_EQ(tcp().buffer_pool().stats().buffers_in_use, 1u) << "the unacknowledged bytes, copied";
  // The client's memory is gone (here: scribbled); the retransmission still
  // carries the bytes the client had committed.
  std::fill(tx.begin(), tx.end(), 0xee);
  advance(Duration::millis(200));
  expect_emit({.flags = kAck | kPsh | kFin, .seq = L + 1, .ack = R + 1, .data = d});
  send({.flags = kAck, .seq = R + 1, .ack = L + 302});
  EXPECT_EQ(tcp().buffer_pool().stats().buffers_in_use, 0u);
}

TEST_F(ExternalRing, CloseWithUnreadBytesInOwnerStorageResets) {
  TcpSocket& c = established();
  ASSERT_TRUE(c.attach_recv_storage(rx, {0, 0}));
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = bytes(10)});
  c.close(now());
  expect_emit({.flags = kRst | kAck, .seq = L + 1, .ack = R + 11});
  EXPECT_EQ(tcp().tcbs_in_use(), 1u);  // the listener
}

}  // namespace
}  // namespace stackd::tcp::testing
