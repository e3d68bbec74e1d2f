#include "nic/channel.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace stackd::nic {

uint32_t pool_frame_size(const DeviceInfo& info, const ChannelConfig& cfg) {
  return std::max(cfg.frame_size, buf::kDefaultHeadroom + max_frame_len(info));
}

// --- ChannelPair ---

ChannelEnd::ChannelEnd(DeviceInfo info, const ChannelConfig& cfg)
    : info_(std::move(info)),
      pool_(cfg.pool_frames, pool_frame_size(info_, cfg)),
      rx_(cfg.queue_len) {}

size_t ChannelEnd::rx_burst(std::span<buf::PacketBuf> out, Instant) {
  size_t n = rx_.pop_burst(out);
  for (size_t i = 0; i < n; ++i) {
    ++stats_.rx_packets;
    stats_.rx_bytes += out[i].size();
  }
  return n;
}

size_t ChannelEnd::tx_burst(std::span<buf::PacketBuf> pkts, Instant) {
  // A wire takes everything; what does not fit the far end is lost there.
  for (auto& p : pkts) {
    if (p.size() > max_frame_len(info_)) {
      ++stats_.tx_dropped;
      p.reset();
      continue;
    }
    ++stats_.tx_packets;
    stats_.tx_bytes += p.size();
    if (!peer_->rx_.push(p)) {
      ++peer_->stats_.rx_dropped;
      p.reset();
    }
  }
  return pkts.size();
}

ChannelPair::ChannelPair(DeviceInfo a, DeviceInfo b, ChannelConfig cfg)
    : a_(std::move(a), cfg), b_(std::move(b), cfg) {
  a_.peer_ = &b_;
  b_.peer_ = &a_;
}

// --- ChannelDevice ---

ChannelDevice::ChannelDevice(DeviceInfo info, ChannelConfig cfg)
    : info_(std::move(info)),
      tx_pool_(cfg.pool_frames, pool_frame_size(info_, cfg)),
      rx_pool_(cfg.pool_frames, pool_frame_size(info_, cfg)),
      rx_(cfg.queue_len),
      tx_(cfg.queue_len) {}

size_t ChannelDevice::rx_burst(std::span<buf::PacketBuf> out, Instant) {
  size_t n = rx_.pop_burst(out);
  for (size_t i = 0; i < n; ++i) {
    ++stats_.rx_packets;
    stats_.rx_bytes += out[i].size();
  }
  return n;
}

size_t ChannelDevice::tx_burst(std::span<buf::PacketBuf> pkts, Instant) {
  size_t taken = 0;
  for (auto& p : pkts) {
    if (p.size() > max_frame_len(info_)) {
      ++stats_.tx_dropped;
      p.reset();
      ++taken;
      continue;
    }
    uint32_t len = p.size();
    if (!tx_.push(p)) break;  // ring full: the rest stays with the caller
    ++stats_.tx_packets;
    stats_.tx_bytes += len;
    ++taken;
  }
  return taken;
}

bool ChannelDevice::inject(buf::PacketBuf p) {
  if (!rx_.push(p)) {
    ++stats_.rx_dropped;
    return false;
  }
  return true;
}

bool ChannelDevice::inject(std::span<const uint8_t> frame) {
  if (frame.size() > UINT32_MAX) return false;
  buf::PacketBuf p = rx_pool_.alloc(static_cast<uint32_t>(frame.size()));
  if (!p) {
    ++stats_.rx_dropped;
    return false;
  }
  (void)p.append(static_cast<uint32_t>(frame.size()));
  if (!frame.empty()) std::memcpy(p.data(), frame.data(), frame.size());
  return inject(std::move(p));
}

buf::PacketBuf ChannelDevice::take_tx() {
  return tx_.pop();
}

std::vector<buf::PacketBuf> ChannelDevice::take_all_tx() {
  std::vector<buf::PacketBuf> out;
  out.reserve(tx_.size());
  while (!tx_.empty()) out.push_back(tx_.pop());
  return out;
}

}  // namespace stackd::nic
