// PacketBuf: the move-only handle of one frame (STYLE.md #10). Exactly one
// owner at a time; when the handle dies its frame goes back to the pool it
// came from (a FixedPool arena, the heap, or an AF_XDP UMEM). Headers are
// prepended into the headroom with push_front and stripped with pull_front,
// so no stage copies the payload to add or remove a header.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace stackd::buf {

class FramePool;

// Room kept in front of the data for Ethernet + IPv4/IPv6 + TCP headers.
inline constexpr uint32_t kDefaultHeadroom = 128;

class PacketBuf {
 public:
  PacketBuf() = default;
  PacketBuf(FramePool* pool, uint8_t* base, uint64_t handle, uint32_t capacity, uint32_t head,
            uint32_t len)
      : pool_(pool), base_(base), handle_(handle), cap_(capacity), head_(head), len_(len) {}
  PacketBuf(const PacketBuf&) = delete;
  PacketBuf& operator=(const PacketBuf&) = delete;
  PacketBuf(PacketBuf&& o) noexcept { steal(o); }
  PacketBuf& operator=(PacketBuf&& o) noexcept {
    if (this != &o) {
      reset();
      steal(o);
    }
    return *this;
  }
  ~PacketBuf() { reset(); }

  explicit operator bool() const { return base_ != nullptr; }
  bool empty_handle() const { return base_ == nullptr; }

  uint8_t* data() { return base_ + head_; }
  const uint8_t* data() const { return base_ + head_; }
  uint32_t size() const { return len_; }
  std::span<uint8_t> bytes() { return {data(), len_}; }
  std::span<const uint8_t> bytes() const { return {data(), len_}; }

  uint32_t headroom() const { return head_; }
  uint32_t tailroom() const { return cap_ - head_ - len_; }
  uint32_t capacity() const { return cap_; }

  // Grow the front by n bytes (prepend a header). Returns false if there is
  // not enough headroom; the buffer is unchanged then.
  [[nodiscard]] bool push_front(uint32_t n) {
    if (n > head_) return false;
    head_ -= n;
    len_ += n;
    return true;
  }
  // Strip n bytes from the front (consume a header). n must be <= size().
  void pull_front(uint32_t n) {
    if (n > len_) n = len_;
    head_ += n;
    len_ -= n;
  }
  // Grow the tail by n bytes. Returns false if there is not enough tailroom.
  [[nodiscard]] bool append(uint32_t n) {
    if (n > tailroom()) return false;
    len_ += n;
    return true;
  }
  // Shrink to n bytes (drop trailing bytes such as Ethernet padding).
  void trim(uint32_t n) {
    if (n < len_) len_ = n;
  }
  // Move the data window: front at `head`, length `len` (within capacity).
  bool set_window(uint32_t head, uint32_t len) {
    if (head > cap_ || len > cap_ - head) return false;
    head_ = head;
    len_ = len;
    return true;
  }

  // Metadata the receive path carries with the frame.
  uint16_t ifindex = 0;

  // Identity of the frame inside its pool (UMEM address for AF_XDP).
  uint64_t handle() const { return handle_; }
  FramePool* pool() const { return pool_; }
  uint8_t* base() { return base_; }

  // Give up ownership without returning the frame (the device now owns it,
  // e.g. an AF_XDP TX descriptor). Returns the handle.
  uint64_t release_to_device() {
    uint64_t h = handle_;
    pool_ = nullptr;
    base_ = nullptr;
    cap_ = head_ = len_ = 0;
    return h;
  }

  // Return the frame to its pool now (defined inline in pool.h).
  inline void reset();

 private:
  void steal(PacketBuf& o) {
    pool_ = std::exchange(o.pool_, nullptr);
    base_ = std::exchange(o.base_, nullptr);
    handle_ = o.handle_;
    cap_ = std::exchange(o.cap_, 0);
    head_ = std::exchange(o.head_, 0);
    len_ = std::exchange(o.len_, 0);
    ifindex = o.ifindex;
  }

  FramePool* pool_ = nullptr;
  uint8_t* base_ = nullptr;
  uint64_t handle_ = 0;
  uint32_t cap_ = 0;
  uint32_t head_ = 0;
  uint32_t len_ = 0;
};

}  // namespace stackd::buf

// reset() needs FramePool's definition; every user of PacketBuf gets it
// here so the inline definition is always visible (no out-of-line symbol).
#include "buf/pool.h"  // IWYU pragma: export
