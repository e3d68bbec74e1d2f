// In-memory devices for tests (STYLE.md #9, gVisor pkg/tcpip/link/channel):
//
// - ChannelPair: two Devices joined by a wire. A frame transmitted on one
//   end arrives on the other end's receive queue. Each direction is a
//   bounded FrameQueue; a frame arriving at a full queue is tail-dropped and
//   counted in the receiver's rx_dropped, as a NIC counts missed frames.
// - ChannelDevice: one end that the test holds. inject() puts a frame on the
//   device's receive side; take_tx() hands back what the stack transmitted,
//   for send(frame) / expect_emit(...) packet tests (STYLE.md #11). Its
//   transmit queue pushes back when full (tx_burst takes fewer), so tests
//   can exercise the stack's ring-full path.
//
// Frames move between ends without a copy: a PacketBuf keeps its pool, and
// returns its frame there when the receiver drops it. Frames longer than
// the MTU allows (L3 MTU + Ethernet header + one VLAN tag) are dropped at
// transmit and counted in tx_dropped, as a real NIC would.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/counters.h"
#include "nic/device.h"
#include "nic/frame_queue.h"

namespace stackd::nic {

struct ChannelConfig {
  uint32_t queue_len = 256;    // frames per direction
  uint32_t pool_frames = 512;  // frames in each tx/rx pool
  uint32_t frame_size = 2048;  // bytes per pool frame (raised to fit headroom + MTU)
};

// Largest frame a device with this info carries: Ethernet header (14), one
// 802.1Q tag (4) and the L3 MTU.
constexpr uint32_t max_frame_len(const DeviceInfo& info) {
  return info.mtu + 18;
}

// Frame size a pool needs for this device: headroom + the largest frame.
uint32_t pool_frame_size(const DeviceInfo& info, const ChannelConfig& cfg);

class ChannelPair;

class ChannelEnd final : public Device {
 public:
  const DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return pool_; }

  const LinkStats& stats() const { return stats_; }
  size_t rx_pending() const { return rx_.size(); }

 private:
  friend class ChannelPair;
  ChannelEnd(DeviceInfo info, const ChannelConfig& cfg);

  DeviceInfo info_;
  buf::FixedPool pool_;
  FrameQueue rx_;
  ChannelEnd* peer_ = nullptr;
  LinkStats stats_;
};

class ChannelPair {
 public:
  ChannelPair(DeviceInfo a, DeviceInfo b, ChannelConfig cfg = {});
  ChannelPair(const ChannelPair&) = delete;
  ChannelPair& operator=(const ChannelPair&) = delete;

  ChannelEnd& a() { return a_; }
  ChannelEnd& b() { return b_; }

 private:
  ChannelEnd a_;
  ChannelEnd b_;
};

class ChannelDevice final : public Device {
 public:
  explicit ChannelDevice(DeviceInfo info, ChannelConfig cfg = {});

  const DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return tx_pool_; }

  // Put a frame on the receive side. False (and counted in rx_dropped) when
  // the receive queue is full; the frame is then freed.
  bool inject(buf::PacketBuf p);
  // Copy `frame` into a buffer from the device's rx pool and inject it.
  // False when the pool is exhausted or the queue is full.
  bool inject(std::span<const uint8_t> frame);

  // The oldest frame the stack transmitted, or an empty handle.
  buf::PacketBuf take_tx();
  // Everything transmitted so far, oldest first.
  std::vector<buf::PacketBuf> take_all_tx();

  size_t tx_pending() const { return tx_.size(); }
  size_t rx_pending() const { return rx_.size(); }
  const LinkStats& stats() const { return stats_; }
  buf::FramePool& rx_pool() { return rx_pool_; }

 private:
  DeviceInfo info_;
  buf::FixedPool tx_pool_;
  buf::FixedPool rx_pool_;
  FrameQueue rx_;
  FrameQueue tx_;
  LinkStats stats_;
};

}  // namespace stackd::nic
