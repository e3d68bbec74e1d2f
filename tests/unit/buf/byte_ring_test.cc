#include "buf/byte_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <numeric>
#include <vector>

namespace stackd::buf {
namespace {

std::vector<uint8_t> iota_bytes(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(ByteRing, RejectsNonPowerOfTwoStorage) {
  std::vector<uint8_t> s(12);
  ByteRing r(s);
  EXPECT_FALSE(r.is_valid());
  EXPECT_EQ(r.capacity(), 0u);
  auto data = iota_bytes(4);
  EXPECT_EQ(r.write(data), 0u);
  std::vector<uint8_t> empty;
  EXPECT_FALSE(ByteRing(empty).is_valid());
}

TEST(ByteRing, WriteReadRoundTrip) {
  std::vector<uint8_t> s(16);
  ByteRing r(s);
  ASSERT_TRUE(r.is_valid());
  EXPECT_TRUE(r.empty());
  auto in = iota_bytes(10, 1);
  EXPECT_EQ(r.write(in), 10u);
  EXPECT_EQ(r.size(), 10u);
  EXPECT_EQ(r.free_space(), 6u);
  std::vector<uint8_t> out(4);
  EXPECT_EQ(r.read(out), 4u);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.size(), 6u);
}

TEST(ByteRing, FullAndEmptyAreDistinct) {
  std::vector<uint8_t> s(8);
  ByteRing r(s);
  auto in = iota_bytes(20);
  EXPECT_EQ(r.write(in), 8u);  // clipped to capacity
  EXPECT_TRUE(r.full());
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(r.tail() - r.head(), 8u);
  EXPECT_EQ(r.write(in), 0u);
  std::vector<uint8_t> out(8);
  EXPECT_EQ(r.read(out), 8u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(out, iota_bytes(8));
}

TEST(ByteRing, WrapsAroundTheStorageEnd) {
  std::vector<uint8_t> s(8);
  ByteRing r(s);
  auto a = iota_bytes(6);
  ASSERT_EQ(r.write(a), 6u);
  ASSERT_EQ(r.consume(5), 5u);
  auto b = iota_bytes(7, 100);  // lands at storage index 6,7,0..4
  ASSERT_EQ(r.write(b), 7u);
  auto rs = r.read_spans();
  EXPECT_EQ(rs.first.size(), 3u);  // index 5..7
  EXPECT_EQ(rs.second.size(), 5u);
  std::vector<uint8_t> out(8);
  ASSERT_EQ(r.read(out), 8u);
  EXPECT_EQ(out, (std::vector<uint8_t>{5, 100, 101, 102, 103, 104, 105, 106}));
}

TEST(ByteRing, FreeRunningOffsetsWrapAt2To32) {
  std::vector<uint8_t> s(16);
  ByteRing r(s, UINT32_MAX - 5);  // head == tail just below 2^32
  std::deque<uint8_t> model;
  uint8_t next = 0;
  for (int round = 0; round < 50; ++round) {
    std::vector<uint8_t> in(static_cast<size_t>(round % 11 + 1));
    for (auto& b : in) b = next++;
    uint32_t w = r.write(in);
    for (uint32_t i = 0; i < w; ++i) model.push_back(in[i]);
    std::vector<uint8_t> out(static_cast<size_t>(round % 7 + 1));
    uint32_t n = r.read(out);
    ASSERT_EQ(n, std::min<size_t>(out.size(), model.size() + 0));
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[i], model.front());
      model.pop_front();
    }
    ASSERT_EQ(r.size(), model.size());
    ASSERT_LE(r.size(), r.capacity());
  }
  EXPECT_LT(r.tail(), 1000u);  // the counters went through 2^32
}

TEST(ByteRing, FullAcrossTheCounterWrap) {
  std::vector<uint8_t> s(4);
  ByteRing r(s, UINT32_MAX - 1);
  auto in = iota_bytes(4, 7);
  EXPECT_EQ(r.write(in), 4u);
  EXPECT_TRUE(r.full());
  EXPECT_EQ(r.tail(), 2u);  // wrapped
  EXPECT_EQ(r.size(), 4u);
  std::vector<uint8_t> out(4);
  EXPECT_EQ(r.read(out), 4u);
  EXPECT_EQ(out, in);
  EXPECT_TRUE(r.empty());
}

TEST(ByteRing, PeekAtOffsetDoesNotConsume) {
  std::vector<uint8_t> s(8);
  ByteRing r(s, 5);
  auto in = iota_bytes(7, 10);
  r.write(in);
  std::vector<uint8_t> out(3);
  EXPECT_EQ(r.peek(4, out), 3u);
  EXPECT_EQ(out, (std::vector<uint8_t>{14, 15, 16}));
  EXPECT_EQ(r.peek(6, out), 1u);  // only one byte past offset 6
  EXPECT_EQ(r.peek(7, out), 0u);
  EXPECT_EQ(r.size(), 7u);
  auto sp = r.read_spans(2, 3);
  EXPECT_EQ(sp.size(), 3u);
  EXPECT_EQ(sp.first[0], 12);
}

TEST(ByteRing, WriteSpansAndCommitAreZeroCopy) {
  std::vector<uint8_t> s(8);
  ByteRing r(s, 6);
  auto ws = r.write_spans();
  ASSERT_EQ(ws.first.size(), 2u);  // index 6,7
  ASSERT_EQ(ws.second.size(), 6u);
  EXPECT_EQ(ws.first.data(), s.data() + 6);
  EXPECT_EQ(ws.second.data(), s.data());
  ws.first[0] = 0xa1;
  ws.first[1] = 0xa2;
  ws.second[0] = 0xa3;
  EXPECT_EQ(r.size(), 0u);  // nothing published before commit
  EXPECT_EQ(r.commit(3), 3u);
  std::vector<uint8_t> out(3);
  EXPECT_EQ(r.read(out), 3u);
  EXPECT_EQ(out, (std::vector<uint8_t>{0xa1, 0xa2, 0xa3}));
  EXPECT_EQ(r.write_spans(5).size(), 5u);
  EXPECT_EQ(r.commit(100), 8u);  // clamped to the free space
}

TEST(ByteRing, WriteAtPlacesOutOfOrderBytes) {
  // TCP: segment [4,8) arrives before [0,4); it is placed at seq - rcv.nxt
  // and committed with the hole once the hole is filled.
  std::vector<uint8_t> s(8);
  ByteRing r(s, UINT32_MAX - 2);
  auto late = iota_bytes(4, 40);
  auto early = iota_bytes(4, 0);
  EXPECT_EQ(r.write_at(4, late), 4u);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.write(early), 4u);
  EXPECT_EQ(r.commit(4), 4u);
  std::vector<uint8_t> out(8);
  EXPECT_EQ(r.read(out), 8u);
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 1, 2, 3, 40, 41, 42, 43}));
}

TEST(ByteRing, WriteAtIsClippedToFreeSpace) {
  std::vector<uint8_t> s(8);
  ByteRing r(s);
  auto two = iota_bytes(2);
  r.write(two);  // 6 free
  auto in = iota_bytes(5, 1);
  EXPECT_EQ(r.write_at(3, in), 3u);  // only offsets 3,4,5 are free
  EXPECT_EQ(r.write_at(6, in), 0u);
  EXPECT_EQ(r.write_at(UINT32_MAX, in), 0u);
}

TEST(ByteRing, ScribbledOffsetsStayInBounds) {
  // A client scribbling on the shared index cannot make the ring report
  // more than its capacity.
  std::vector<uint8_t> s(8);
  ByteRing r(s, ByteRingIndex{.head = 10, .tail = 5});  // tail - head = 2^32 - 5
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(r.free_space(), 0u);
  auto in = iota_bytes(3);
  EXPECT_EQ(r.write(in), 0u);
  EXPECT_EQ(r.write_at(0, in), 0u);
  std::vector<uint8_t> out(64);
  EXPECT_EQ(r.peek(0, out), 8u);  // never more than the storage
  EXPECT_EQ(r.read_spans().size(), 8u);
  EXPECT_EQ(r.consume(100), 8u);
  ByteRing ok(s);
  ok.write(in);
  EXPECT_EQ(ok.consume(100), 3u);
  EXPECT_TRUE(ok.empty());
}

TEST(ByteRing, OriginMapsOffsetsOntoAnotherNumbering) {
  // Storage laid out by someone else's index (a client writes byte k of its
  // ring at storage[k & mask]); the ring numbers the same bytes from
  // 0xfffffffe (as TCP numbers them by sequence number): origin is the
  // offset whose byte is storage[0].
  std::vector<uint8_t> s(8);
  const uint32_t client_at = 5, seq_at = 0xfffffffeu;
  const uint32_t origin = seq_at - client_at;
  for (uint32_t k = 0; k < 6; ++k) s[(client_at + k) & 7] = static_cast<uint8_t>(0xa0 + k);
  ByteRing r(s, ByteRingIndex{.head = seq_at, .tail = seq_at}, origin);
  EXPECT_EQ(r.origin(), origin);
  EXPECT_EQ(r.commit(6), 6u);  // the bytes are already there: zero copy
  std::vector<uint8_t> out(6);
  EXPECT_EQ(r.peek(0, out), 6u);  // across the storage end and the 2^32 wrap
  EXPECT_EQ(out, (std::vector<uint8_t>{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5}));
  std::vector<uint8_t> one(1);
  EXPECT_EQ(r.peek(3, one), 1u);
  EXPECT_EQ(one[0], 0xa3);
  // Writes land where the other numbering expects them.
  r.consume(6);
  auto in = iota_bytes(2, 0x10);
  r.write(in);
  EXPECT_EQ(s[(client_at + 6) & 7], 0x10);
  EXPECT_EQ(s[(client_at + 7) & 7], 0x11);
}

}  // namespace
}  // namespace stackd::buf
