// Frame pools. A pool hands out PacketBufs and takes their frames back when
// the handles die. FixedPool is an arena of equal frames with a free list
// (no allocation on the hot path); HeapPool serves odd sizes (reassembled
// datagrams up to 64 KiB) from the heap. The AF_XDP back-end implements the
// same interface over its UMEM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "buf/packet.h"

namespace stackd::buf {

class FramePool {
 public:
  virtual ~FramePool() = default;
  // A buffer with `headroom` bytes in front and room for at least `size`
  // bytes after it, with size() == 0. Empty handle when exhausted or when
  // the request does not fit a frame.
  virtual PacketBuf alloc(uint32_t size, uint32_t headroom = kDefaultHeadroom) = 0;
  // Frames currently handed out (for leak checks in tests).
  virtual size_t in_use() const = 0;

 protected:
  friend class PacketBuf;
  virtual void release(uint8_t* base, uint64_t handle) noexcept = 0;
};

inline void PacketBuf::reset() {
  if (base_ != nullptr && pool_ != nullptr) pool_->release(base_, handle_);
  pool_ = nullptr;
  base_ = nullptr;
  cap_ = head_ = len_ = 0;
}

// N frames of frame_size bytes in one arena.
class FixedPool final : public FramePool {
 public:
  FixedPool(uint32_t frame_count, uint32_t frame_size);
  PacketBuf alloc(uint32_t size, uint32_t headroom = kDefaultHeadroom) override;
  size_t in_use() const override { return frame_count_ - free_.size(); }
  uint32_t frame_size() const { return frame_size_; }
  uint32_t frame_count() const { return frame_count_; }

 private:
  void release(uint8_t* base, uint64_t handle) noexcept override;

  uint32_t frame_count_;
  uint32_t frame_size_;
  std::unique_ptr<uint8_t[]> arena_;
  std::vector<uint32_t> free_;  // stack of free frame indices
};

// Any size, from the heap; bounded by `max_bytes` outstanding.
class HeapPool final : public FramePool {
 public:
  explicit HeapPool(size_t max_bytes = 64u << 20) : max_bytes_(max_bytes) {}
  PacketBuf alloc(uint32_t size, uint32_t headroom = kDefaultHeadroom) override;
  size_t in_use() const override { return in_use_; }
  size_t bytes_in_use() const { return bytes_; }

 private:
  void release(uint8_t* base, uint64_t handle) noexcept override;

  size_t max_bytes_;
  size_t bytes_ = 0;
  size_t in_use_ = 0;
};

// Copy `src` into a new buffer from `pool` (same headroom policy).
PacketBuf copy_packet(const PacketBuf& src, FramePool& pool,
                      uint32_t headroom = kDefaultHeadroom);

}  // namespace stackd::buf
