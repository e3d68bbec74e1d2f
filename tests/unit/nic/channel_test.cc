#include "nic/channel.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "nic/frame_queue.h"
#include "nic/loopback.h"
#include "test_frames.h"

namespace stackd::nic {
namespace {

using testing::frame_bytes;
using testing::frame_seq;
using testing::make_frame;

DeviceInfo info(const char* name, uint8_t last, uint32_t mtu = 1500) {
  return {name, MacAddr{{0x02, 0, 0, 0, 0, last}}, mtu};
}

const Instant kNow = Instant::from_nanos(1'000'000'000);

TEST(FrameQueue, BoundedFifo) {
  buf::FixedPool pool(8, 256);
  FrameQueue q(2);
  auto a = make_frame(pool, 1), b = make_frame(pool, 2), c = make_frame(pool, 3);
  EXPECT_TRUE(q.push(a));
  EXPECT_FALSE(a);  // taken
  EXPECT_TRUE(q.push(b));
  EXPECT_FALSE(q.push(c));
  EXPECT_TRUE(c);  // refused: still the caller's
  EXPECT_EQ(frame_seq(q.pop()), 1u);
  EXPECT_TRUE(q.push(c));  // wraps around the slot array
  std::array<buf::PacketBuf, 4> out;
  EXPECT_EQ(q.pop_burst(out), 2u);
  EXPECT_EQ(frame_seq(out[0]), 2u);
  EXPECT_EQ(frame_seq(out[1]), 3u);
  EXPECT_FALSE(q.pop());
}

TEST(ChannelPair, FramesCrossInBothDirections) {
  ChannelPair pair(info("a0", 1), info("b0", 2));
  EXPECT_EQ(pair.a().info().name, "a0");
  EXPECT_EQ(pair.b().info().mac.b[5], 2);
  EXPECT_EQ(pair.a().info().mtu, 1500u);

  std::vector<buf::PacketBuf> tx;
  tx.push_back(make_frame(pair.a().tx_pool(), 10));
  tx.push_back(make_frame(pair.a().tx_pool(), 11, 1514));
  EXPECT_EQ(pair.a().tx_burst(tx, kNow), 2u);
  EXPECT_FALSE(tx[0]);

  std::array<buf::PacketBuf, 8> rx;
  EXPECT_EQ(pair.a().rx_burst(rx, kNow), 0u);  // nothing comes back to a
  ASSERT_EQ(pair.b().rx_burst(rx, kNow), 2u);
  EXPECT_EQ(frame_seq(rx[0]), 10u);
  EXPECT_EQ(frame_seq(rx[1]), 11u);
  EXPECT_EQ(rx[1].size(), 1514u);
  EXPECT_EQ(std::vector<uint8_t>(rx[0].bytes().begin(), rx[0].bytes().end()), frame_bytes(10));

  std::vector<buf::PacketBuf> back;
  back.push_back(make_frame(pair.b().tx_pool(), 20));
  EXPECT_EQ(pair.b().tx_burst(back, kNow), 1u);
  ASSERT_EQ(pair.a().rx_burst(rx, kNow), 1u);
  EXPECT_EQ(frame_seq(rx[0]), 20u);
  EXPECT_EQ(pair.a().stats().tx_packets, 2u);
  EXPECT_EQ(pair.b().stats().rx_packets, 2u);
  EXPECT_EQ(pair.b().stats().rx_bytes, 64u + 1514u);
}

TEST(ChannelPair, FullQueueTailDropsAndCounts) {
  ChannelPair pair(info("a0", 1), info("b0", 2), {.queue_len = 3, .pool_frames = 16});
  std::vector<buf::PacketBuf> tx;
  for (uint32_t i = 0; i < 5; ++i) tx.push_back(make_frame(pair.a().tx_pool(), i));
  EXPECT_EQ(pair.a().tx_burst(tx, kNow), 5u);  // a wire takes everything
  EXPECT_EQ(pair.b().stats().rx_dropped, 2u);
  EXPECT_EQ(pair.a().tx_pool().in_use(), 3u);  // dropped frames went home
  std::array<buf::PacketBuf, 8> rx;
  ASSERT_EQ(pair.b().rx_burst(rx, kNow), 3u);
  EXPECT_EQ(frame_seq(rx[2]), 2u);  // the tail was dropped, not the head
}

TEST(ChannelPair, OversizedFrameIsDroppedAtTransmit) {
  ChannelPair pair(info("a0", 1, 1000), info("b0", 2, 1000));
  std::vector<buf::PacketBuf> tx;
  tx.push_back(make_frame(pair.a().tx_pool(), 1, 1018));  // 1000 + 14 + 4: fits
  tx.push_back(make_frame(pair.a().tx_pool(), 2, 1019));
  EXPECT_EQ(pair.a().tx_burst(tx, kNow), 2u);
  EXPECT_EQ(pair.a().stats().tx_dropped, 1u);
  EXPECT_EQ(pair.b().rx_pending(), 1u);
}

TEST(ChannelPair, PoolFramesFitTheMtu) {
  ChannelPair pair(info("a0", 1, 9000), info("b0", 2, 9000));
  auto p = pair.a().tx_pool().alloc(9018);
  EXPECT_TRUE(p);
}

TEST(ChannelDevice, InjectedFramesAreReceived) {
  ChannelDevice dev(info("t0", 9));
  EXPECT_TRUE(dev.inject(frame_bytes(7)));
  buf::FixedPool pool(2, 256);
  EXPECT_TRUE(dev.inject(make_frame(pool, 8)));
  std::array<buf::PacketBuf, 1> rx;
  ASSERT_EQ(dev.rx_burst(rx, kNow), 1u);  // burst size respected
  EXPECT_EQ(frame_seq(rx[0]), 7u);
  ASSERT_EQ(dev.rx_burst(rx, kNow), 1u);
  EXPECT_EQ(frame_seq(rx[0]), 8u);
  EXPECT_EQ(dev.rx_burst(rx, kNow), 0u);
}

TEST(ChannelDevice, InjectIntoFullQueueIsCounted) {
  ChannelDevice dev(info("t0", 9), {.queue_len = 1, .pool_frames = 4});
  EXPECT_TRUE(dev.inject(frame_bytes(1)));
  EXPECT_FALSE(dev.inject(frame_bytes(2)));
  EXPECT_EQ(dev.stats().rx_dropped, 1u);
  EXPECT_EQ(dev.rx_pool().in_use(), 1u);  // the refused frame was freed
}

TEST(ChannelDevice, TransmittedFramesAreTakenInOrder) {
  ChannelDevice dev(info("t0", 9));
  std::vector<buf::PacketBuf> tx;
  for (uint32_t i = 0; i < 3; ++i) tx.push_back(make_frame(dev.tx_pool(), 100 + i));
  EXPECT_EQ(dev.tx_burst(tx, kNow), 3u);
  EXPECT_EQ(dev.tx_pending(), 3u);
  EXPECT_EQ(frame_seq(dev.take_tx()), 100u);
  auto rest = dev.take_all_tx();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(frame_seq(rest[1]), 102u);
  EXPECT_FALSE(dev.take_tx());
}

TEST(ChannelDevice, FullTxQueuePushesBack) {
  ChannelDevice dev(info("t0", 9), {.queue_len = 2, .pool_frames = 8});
  std::vector<buf::PacketBuf> tx;
  for (uint32_t i = 0; i < 3; ++i) tx.push_back(make_frame(dev.tx_pool(), i));
  EXPECT_EQ(dev.tx_burst(tx, kNow), 2u);
  EXPECT_TRUE(tx[2]);  // not taken: still the caller's
  EXPECT_EQ(dev.stats().tx_dropped, 0u);
  dev.take_tx();
  EXPECT_EQ(dev.tx_burst(std::span(tx).subspan(2), kNow), 1u);
}

TEST(LoopbackDevice, TransmitComesBackOnReceive) {
  LoopbackDevice lo(info("lo", 0), {.queue_len = 2, .pool_frames = 8});
  std::vector<buf::PacketBuf> tx;
  for (uint32_t i = 0; i < 3; ++i) tx.push_back(make_frame(lo.tx_pool(), i));
  EXPECT_EQ(lo.tx_burst(tx, kNow), 3u);
  EXPECT_EQ(lo.stats().rx_dropped, 1u);  // bounded: the third was dropped
  std::array<buf::PacketBuf, 4> rx;
  ASSERT_EQ(lo.rx_burst(rx, kNow), 2u);
  EXPECT_EQ(frame_seq(rx[0]), 0u);
  EXPECT_EQ(frame_seq(rx[1]), 1u);
  EXPECT_EQ(lo.tx_pool().in_use(), 2u);
  EXPECT_EQ(lo.stats().tx_packets, 3u);
  EXPECT_EQ(lo.stats().rx_packets, 2u);
}

}  // namespace
}  // namespace stackd::nic
