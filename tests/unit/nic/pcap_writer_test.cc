#include "nic/pcap_writer.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "base/byteorder.h"
#include "nic/channel.h"
#include "test_frames.h"

namespace stackd::nic {
namespace {

using testing::frame_bytes;
using testing::make_frame;

struct Record {
  uint32_t sec, frac, incl, orig;
  std::vector<uint8_t> data;
};

// A reader written from the file format description, independent of the
// writer: checks the global header and walks the records.
std::vector<Record> parse_pcap(const std::vector<uint8_t>& f, uint32_t want_magic,
                               uint32_t want_snaplen = 65535) {
  std::vector<Record> out;
  EXPECT_GE(f.size(), 24u);
  if (f.size() < 24) return out;
  EXPECT_EQ(load_be32(f.data()), want_magic);
  EXPECT_EQ(load_be16(f.data() + 4), 2);  // version 2.4
  EXPECT_EQ(load_be16(f.data() + 6), 4);
  EXPECT_EQ(load_be32(f.data() + 8), 0u);   // thiszone
  EXPECT_EQ(load_be32(f.data() + 12), 0u);  // sigfigs
  EXPECT_EQ(load_be32(f.data() + 16), want_snaplen);
  EXPECT_EQ(load_be32(f.data() + 20), 1u);  // LINKTYPE_ETHERNET
  size_t at = 24;
  while (at < f.size()) {
    EXPECT_GE(f.size() - at, 16u) << "truncated record header";
    if (f.size() - at < 16) break;
    Record r{load_be32(f.data() + at),
             load_be32(f.data() + at + 4),
             load_be32(f.data() + at + 8),
             load_be32(f.data() + at + 12),
             {}};
    at += 16;
    EXPECT_LE(r.incl, r.orig);
    EXPECT_LE(r.incl, want_snaplen);
    EXPECT_GE(f.size() - at, r.incl) << "truncated record data";
    if (f.size() - at < r.incl) break;
    r.data.assign(f.begin() + static_cast<std::ptrdiff_t>(at),
                  f.begin() + static_cast<std::ptrdiff_t>(at + r.incl));
    at += r.incl;
    out.push_back(std::move(r));
  }
  return out;
}

DeviceInfo info() {
  return {"t0", MacAddr{{0x02, 0, 0, 0, 0, 1}}, 1500};
}

TEST(PcapWriter, RecordsRxAndTxWithNanosecondTimestamps) {
  ChannelDevice dev(info());
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink);
  EXPECT_EQ(sink.bytes.size(), 24u);  // global header at once

  dev.inject(frame_bytes(1, 60));
  std::array<buf::PacketBuf, 4> rx;
  Instant t1 = Instant::from_nanos(5'123'456'789);
  ASSERT_EQ(pcap.rx_burst(rx, t1), 1u);

  std::vector<buf::PacketBuf> tx;
  tx.push_back(make_frame(pcap.tx_pool(), 2, 100));
  tx.push_back(make_frame(pcap.tx_pool(), 3, 1514));
  Instant t2 = Instant::from_nanos(7'000'000'001);
  ASSERT_EQ(pcap.tx_burst(tx, t2), 2u);
  EXPECT_EQ(dev.tx_pending(), 2u);  // the frames still reached the device

  auto recs = parse_pcap(sink.bytes, kPcapMagicNanos);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(pcap.records(), 3u);
  EXPECT_EQ(recs[0].sec, 5u);
  EXPECT_EQ(recs[0].frac, 123'456'789u);
  EXPECT_EQ(recs[0].data, frame_bytes(1, 60));
  EXPECT_EQ(recs[1].sec, 7u);
  EXPECT_EQ(recs[1].frac, 1u);
  EXPECT_EQ(recs[1].data, frame_bytes(2, 100));
  EXPECT_EQ(recs[2].orig, 1514u);
  EXPECT_EQ(recs[2].data, frame_bytes(3, 1514));
}

TEST(PcapWriter, MicrosecondTimestampsAndEpochOffset) {
  ChannelDevice dev(info());
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink,
                  {.resolution = PcapResolution::kMicros, .epoch_offset = Duration::seconds(1000)});
  dev.inject(frame_bytes(1));
  std::array<buf::PacketBuf, 1> rx;
  ASSERT_EQ(pcap.rx_burst(rx, Instant::from_nanos(2'000'654'321)), 1u);
  auto recs = parse_pcap(sink.bytes, kPcapMagicMicros);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].sec, 1002u);
  EXPECT_EQ(recs[0].frac, 654u);
}

TEST(PcapWriter, SnaplenTruncatesButKeepsOriginalLength) {
  ChannelDevice dev(info());
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink, {.snaplen = 32});
  dev.inject(frame_bytes(9, 200));
  std::array<buf::PacketBuf, 1> rx;
  ASSERT_EQ(pcap.rx_burst(rx, Instant::from_nanos(0)), 1u);
  EXPECT_EQ(rx[0].size(), 200u);  // the frame itself is untouched
  auto recs = parse_pcap(sink.bytes, kPcapMagicNanos, 32);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].incl, 32u);
  EXPECT_EQ(recs[0].orig, 200u);
  auto want = frame_bytes(9, 200);
  want.resize(32);
  EXPECT_EQ(recs[0].data, want);
}

TEST(PcapWriter, FramesRefusedByTheDeviceAreNotRecorded) {
  ChannelDevice dev(info(), {.queue_len = 1, .pool_frames = 8});
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink);
  std::vector<buf::PacketBuf> tx;
  tx.push_back(make_frame(pcap.tx_pool(), 1));
  tx.push_back(make_frame(pcap.tx_pool(), 2));
  ASSERT_EQ(pcap.tx_burst(tx, Instant::from_nanos(0)), 1u);
  dev.take_tx();
  ASSERT_EQ(pcap.tx_burst(std::span(tx).subspan(1), Instant::from_nanos(0)), 1u);  // retry
  auto recs = parse_pcap(sink.bytes, kPcapMagicNanos);
  ASSERT_EQ(recs.size(), 2u);  // each frame once
  EXPECT_EQ(recs[0].data, frame_bytes(1));
  EXPECT_EQ(recs[1].data, frame_bytes(2));
}

TEST(PcapWriter, ModeSelectsDirection) {
  ChannelDevice dev(info());
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink, {.mode = PcapMode::kTxOnly});
  dev.inject(frame_bytes(1));
  std::array<buf::PacketBuf, 1> rx;
  ASSERT_EQ(pcap.rx_burst(rx, Instant::from_nanos(0)), 1u);
  std::vector<buf::PacketBuf> tx;
  tx.push_back(make_frame(pcap.tx_pool(), 2));
  ASSERT_EQ(pcap.tx_burst(tx, Instant::from_nanos(0)), 1u);
  auto recs = parse_pcap(sink.bytes, kPcapMagicNanos);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].data, frame_bytes(2));
}

TEST(PcapWriter, ForwardsDeviceSurface) {
  ChannelDevice dev(info());
  VectorPcapSink sink;
  PcapWriter pcap(dev, sink);
  EXPECT_EQ(&pcap.tx_pool(), &dev.tx_pool());
  EXPECT_EQ(&pcap.info(), &dev.info());
  EXPECT_EQ(pcap.wait_fd(), -1);
}

}  // namespace
}  // namespace stackd::nic
