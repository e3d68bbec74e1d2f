// Byte-level access to a ring's storage: positions are free-running 32-bit
// indices, masked by the capacity (a power of two) at every use, so no value
// read from shared memory can address outside the ring. Copies wrap around
// the end. Used by both sides; the index bookkeeping (who owns head/tail,
// what to trust) is the caller's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

namespace stackd::abi {

class RingBytes {
 public:
  RingBytes() = default;
  RingBytes(uint8_t* data, uint32_t capacity) : data_(data), mask_(capacity - 1) {}

  uint32_t capacity() const { return mask_ + 1; }
  // The contiguous part of [pos, pos + n): at most up to the ring's end.
  std::span<uint8_t> span_at(uint32_t pos, uint32_t n) const {
    const uint32_t off = pos & mask_;
    return {data_ + off, std::min(n, capacity() - off)};
  }
  void copy_in(uint32_t pos, const void* src, uint32_t n) const {
    const auto* s = static_cast<const uint8_t*>(src);
    while (n > 0) {
      auto sp = span_at(pos, n);
      std::memcpy(sp.data(), s, sp.size());
      s += sp.size();
      pos += static_cast<uint32_t>(sp.size());
      n -= static_cast<uint32_t>(sp.size());
    }
  }
  void copy_out(uint32_t pos, void* dst, uint32_t n) const {
    auto* d = static_cast<uint8_t*>(dst);
    while (n > 0) {
      auto sp = span_at(pos, n);
      std::memcpy(d, sp.data(), sp.size());
      d += sp.size();
      pos += static_cast<uint32_t>(sp.size());
      n -= static_cast<uint32_t>(sp.size());
    }
  }

 private:
  uint8_t* data_ = nullptr;
  uint32_t mask_ = 0;
};

// Bytes in use between a consumer index and a producer index, or UINT32_MAX
// when the pair is impossible (more than the capacity: a corrupted index).
inline uint32_t ring_used(uint32_t head, uint32_t tail, uint32_t capacity) {
  const uint32_t used = head - tail;
  return used > capacity ? UINT32_MAX : used;
}

}  // namespace stackd::abi
