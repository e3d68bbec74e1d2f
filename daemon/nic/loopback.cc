#include "nic/loopback.h"

#include <utility>

namespace stackd::nic {

LoopbackDevice::LoopbackDevice(DeviceInfo info, ChannelConfig cfg)
    : info_(std::move(info)),
      pool_(cfg.pool_frames, pool_frame_size(info_, cfg)),
      queue_(cfg.queue_len) {}

size_t LoopbackDevice::rx_burst(std::span<buf::PacketBuf> out, Instant) {
  size_t n = queue_.pop_burst(out);
  for (size_t i = 0; i < n; ++i) {
    ++stats_.rx_packets;
    stats_.rx_bytes += out[i].size();
  }
  return n;
}

size_t LoopbackDevice::tx_burst(std::span<buf::PacketBuf> pkts, Instant) {
  for (auto& p : pkts) {
    if (p.size() > max_frame_len(info_)) {
      ++stats_.tx_dropped;
      p.reset();
      continue;
    }
    ++stats_.tx_packets;
    stats_.tx_bytes += p.size();
    if (!queue_.push(p)) {
      ++stats_.rx_dropped;
      p.reset();
    }
  }
  return pkts.size();
}

}  // namespace stackd::nic
