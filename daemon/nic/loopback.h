// LoopbackDevice: every transmitted frame comes back on receive (smoltcp
// src/phy/loopback.rs), through one bounded queue. A frame transmitted onto
// a full queue is tail-dropped and counted in rx_dropped; frames longer
// than the MTU allows are dropped at transmit (tx_dropped).
#pragma once

#include <cstdint>
#include <span>

#include "base/counters.h"
#include "nic/channel.h"
#include "nic/device.h"
#include "nic/frame_queue.h"

namespace stackd::nic {

class LoopbackDevice final : public Device {
 public:
  explicit LoopbackDevice(DeviceInfo info, ChannelConfig cfg = {});

  const DeviceInfo& info() const override { return info_; }
  size_t rx_burst(std::span<buf::PacketBuf> out, Instant now) override;
  size_t tx_burst(std::span<buf::PacketBuf> pkts, Instant now) override;
  buf::FramePool& tx_pool() override { return pool_; }

  size_t pending() const { return queue_.size(); }
  const LinkStats& stats() const { return stats_; }

 private:
  DeviceInfo info_;
  buf::FixedPool pool_;
  FrameQueue queue_;
  LinkStats stats_;
};

}  // namespace stackd::nic
