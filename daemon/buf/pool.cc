#include "buf/pool.h"

#include <cstring>

namespace stackd::buf {

FixedPool::FixedPool(uint32_t frame_count, uint32_t frame_size)
    : frame_count_(frame_count),
      frame_size_(frame_size),
      arena_(new uint8_t[static_cast<size_t>(frame_count) * frame_size]) {
  free_.reserve(frame_count);
  for (uint32_t i = frame_count; i > 0; --i) free_.push_back(i - 1);
}

PacketBuf FixedPool::alloc(uint32_t size, uint32_t headroom) {
  if (free_.empty() || headroom > frame_size_ || size > frame_size_ - headroom) return {};
  uint32_t idx = free_.back();
  free_.pop_back();
  uint8_t* base = arena_.get() + static_cast<size_t>(idx) * frame_size_;
  return PacketBuf(this, base, idx, frame_size_, headroom, 0);
}

void FixedPool::release(uint8_t*, uint64_t handle) noexcept {
  free_.push_back(static_cast<uint32_t>(handle));
}

PacketBuf HeapPool::alloc(uint32_t size, uint32_t headroom) {
  size_t cap = static_cast<size_t>(size) + headroom;
  if (cap > UINT32_MAX || bytes_ + cap > max_bytes_) return {};
  auto* base = new (std::nothrow) uint8_t[cap];
  if (base == nullptr) return {};
  bytes_ += cap;
  ++in_use_;
  return PacketBuf(this, base, cap, static_cast<uint32_t>(cap), headroom, 0);
}

void HeapPool::release(uint8_t* base, uint64_t handle) noexcept {
  bytes_ -= handle;  // the handle is the allocation's size
  --in_use_;
  delete[] base;
}

PacketBuf copy_packet(const PacketBuf& src, FramePool& pool, uint32_t headroom) {
  PacketBuf dst = pool.alloc(src.size(), headroom);
  if (!dst) return dst;
  (void)dst.append(src.size());
  std::memcpy(dst.data(), src.data(), src.size());
  dst.ifindex = src.ifindex;
  return dst;
}

}  // namespace stackd::buf
