#include "buf/byte_ring.h"

#include <algorithm>
#include <cstring>

namespace stackd::buf {

ByteRing::ByteRing(std::span<uint8_t> storage, ByteRingIndex index, uint32_t origin)
    : storage_(storage), origin_(origin), idx_(index) {
  size_t n = storage.size();
  valid_ = n != 0 && n <= (size_t{1} << 31) && (n & (n - 1)) == 0;
  if (!valid_) storage_ = {};
  mask_ = valid_ ? static_cast<uint32_t>(n - 1) : 0;
}

uint32_t ByteRing::size() const {
  uint32_t used = idx_.tail - idx_.head;  // mod 2^32: correct across the wrap
  return std::min(used, capacity());
}

template <typename T>
RingSpans<T> ByteRing::spans_at(uint32_t at, uint32_t len) const {
  RingSpans<T> out;
  if (len == 0) return out;
  uint32_t pos = (at - origin_) & mask_;
  uint32_t first = std::min(len, capacity() - pos);
  out.first = std::span<T>(storage_.data() + pos, first);
  if (first < len) out.second = std::span<T>(storage_.data(), len - first);
  return out;
}

void ByteRing::copy_in(uint32_t at, std::span<const uint8_t> src) {
  auto sp = spans_at<uint8_t>(at, static_cast<uint32_t>(src.size()));
  if (!sp.first.empty()) std::memcpy(sp.first.data(), src.data(), sp.first.size());
  if (!sp.second.empty())
    std::memcpy(sp.second.data(), src.data() + sp.first.size(), sp.second.size());
}

void ByteRing::copy_out(uint32_t at, std::span<uint8_t> dst) const {
  auto sp = spans_at<const uint8_t>(at, static_cast<uint32_t>(dst.size()));
  if (!sp.first.empty()) std::memcpy(dst.data(), sp.first.data(), sp.first.size());
  if (!sp.second.empty())
    std::memcpy(dst.data() + sp.first.size(), sp.second.data(), sp.second.size());
}

uint32_t ByteRing::write(std::span<const uint8_t> src) {
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(src.size(), free_space()));
  copy_in(idx_.tail, src.first(n));
  idx_.tail += n;
  return n;
}

uint32_t ByteRing::write_at(uint32_t offset_from_tail, std::span<const uint8_t> src) {
  uint32_t room = free_space();
  if (offset_from_tail >= room) return 0;
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(src.size(), room - offset_from_tail));
  copy_in(idx_.tail + offset_from_tail, src.first(n));
  return n;
}

RingSpans<uint8_t> ByteRing::write_spans(uint32_t max) {
  return spans_at<uint8_t>(idx_.tail, std::min(max, free_space()));
}

uint32_t ByteRing::commit(uint32_t n) {
  n = std::min(n, free_space());
  idx_.tail += n;
  return n;
}

uint32_t ByteRing::read(std::span<uint8_t> dst) {
  uint32_t n = peek(0, dst);
  idx_.head += n;
  return n;
}

uint32_t ByteRing::peek(uint32_t offset, std::span<uint8_t> dst) const {
  uint32_t avail = size();
  if (offset >= avail) return 0;
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(dst.size(), avail - offset));
  copy_out(idx_.head + offset, dst.first(n));
  return n;
}

RingSpans<const uint8_t> ByteRing::read_spans(uint32_t offset, uint32_t max) const {
  uint32_t avail = size();
  if (offset >= avail) return {};
  return spans_at<const uint8_t>(idx_.head + offset, std::min(max, avail - offset));
}

uint32_t ByteRing::consume(uint32_t n) {
  n = std::min(n, size());
  idx_.head += n;
  return n;
}

}  // namespace stackd::buf
