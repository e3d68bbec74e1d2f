// UmemPool: a FramePool over an AF_XDP UMEM (STYLE.md #10: one owner per
// frame). The UMEM is one mmap'd area of frame_count frames of frame_size
// bytes (power of two, aligned chunk mode). A frame is in exactly one place:
// the free list here, the kernel (fill or TX ring), or a PacketBuf. The
// handle of a PacketBuf is the UMEM address of its frame's start, so the
// device turns a handle into a TX descriptor without lookups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "buf/pool.h"

namespace stackd::nic {

class UmemPool final : public buf::FramePool {
 public:
  // Maps the area; area() is nullptr on failure (errno set).
  UmemPool(uint32_t frame_count, uint32_t frame_size);
  ~UmemPool() override;
  UmemPool(const UmemPool&) = delete;
  UmemPool& operator=(const UmemPool&) = delete;

  buf::PacketBuf alloc(uint32_t size, uint32_t headroom = buf::kDefaultHeadroom) override;
  // Frames held by PacketBufs (not in the free list, not in the kernel).
  size_t in_use() const override { return in_use_; }

  uint8_t* area() const { return area_; }
  size_t area_bytes() const { return static_cast<size_t>(frame_count_) * frame_size_; }
  uint32_t frame_size() const { return frame_size_; }
  uint32_t frame_count() const { return frame_count_; }
  uint64_t frame_of(uint64_t addr) const { return addr & ~static_cast<uint64_t>(frame_size_ - 1); }

  // Device side: frames the kernel takes and gives back, by UMEM address.
  size_t free_frames() const { return free_.size(); }
  uint64_t take_free() {  // precondition: free_frames() > 0
    uint64_t a = free_.back();
    free_.pop_back();
    return a;
  }
  void put_free(uint64_t addr) { free_.push_back(frame_of(addr)); }
  // A PacketBuf of ours gave its frame to the kernel (release_to_device).
  void handed_to_kernel() { --in_use_; }
  // Wrap a frame the kernel filled (RX): `addr` points at the data.
  buf::PacketBuf wrap_rx(uint64_t addr, uint32_t len);

 private:
  void release(uint8_t* base, uint64_t handle) noexcept override;

  uint32_t frame_count_;
  uint32_t frame_size_;
  uint8_t* area_ = nullptr;
  size_t in_use_ = 0;
  std::vector<uint64_t> free_;  // UMEM addresses of free frames (stack)
};

}  // namespace stackd::nic
