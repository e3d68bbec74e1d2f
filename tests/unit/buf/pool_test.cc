#include "buf/pool.h"

#include <gtest/gtest.h>

#include <cstring>

namespace stackd::buf {
namespace {

TEST(FixedPool, AllocatesAndReturnsFrames) {
  FixedPool pool(4, 256);
  {
    PacketBuf a = pool.alloc(100);
    ASSERT_TRUE(a);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(a.headroom(), kDefaultHeadroom);
    EXPECT_EQ(pool.in_use(), 1u);
    PacketBuf b = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_EQ(pool.in_use(), 1u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(FixedPool, ExhaustionGivesEmptyHandle) {
  FixedPool pool(2, 256);
  auto a = pool.alloc(10), b = pool.alloc(10), c = pool.alloc(10);
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_FALSE(c);
  EXPECT_FALSE(pool.alloc(200));  // does not fit behind the headroom
}

TEST(PacketBuf, HeadroomPushPull) {
  FixedPool pool(1, 512);
  PacketBuf p = pool.alloc(64, 32);
  ASSERT_TRUE(p.append(10));
  std::memset(p.data(), 0xab, 10);
  ASSERT_TRUE(p.push_front(14));
  EXPECT_EQ(p.size(), 24u);
  EXPECT_EQ(p.headroom(), 18u);
  EXPECT_FALSE(p.push_front(19));
  p.pull_front(14);
  EXPECT_EQ(p.data()[0], 0xab);
  p.trim(4);
  EXPECT_EQ(p.size(), 4u);
}

TEST(HeapPool, BoundsOutstandingBytes) {
  HeapPool pool(100'000);
  auto a = pool.alloc(65'535, 0);
  ASSERT_TRUE(a);
  EXPECT_FALSE(pool.alloc(65'535, 0));
  a.reset();
  EXPECT_EQ(pool.bytes_in_use(), 0u);
  EXPECT_TRUE(pool.alloc(65'535, 0));
}

TEST(CopyPacket, CopiesBytesIntoAnotherPool) {
  FixedPool a(1, 256);
  HeapPool h;
  PacketBuf p = a.alloc(8);
  ASSERT_TRUE(p.append(8));
  std::memcpy(p.data(), "abcdefgh", 8);
  PacketBuf q = copy_packet(p, h);
  ASSERT_TRUE(q);
  EXPECT_EQ(std::memcmp(q.data(), "abcdefgh", 8), 0);
}

}  // namespace
}  // namespace stackd::buf
