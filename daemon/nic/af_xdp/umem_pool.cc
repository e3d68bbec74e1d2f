#include "nic/af_xdp/umem_pool.h"

#include <sys/mman.h>

namespace stackd::nic {

UmemPool::UmemPool(uint32_t frame_count, uint32_t frame_size)
    : frame_count_(frame_count), frame_size_(frame_size) {
  void* p = mmap(nullptr, area_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  area_ = static_cast<uint8_t*>(p);
  free_.reserve(frame_count);
  for (uint32_t i = frame_count; i > 0; --i)
    free_.push_back(static_cast<uint64_t>(i - 1) * frame_size);
}

UmemPool::~UmemPool() {
  if (area_ != nullptr) munmap(area_, area_bytes());
}

buf::PacketBuf UmemPool::alloc(uint32_t size, uint32_t headroom) {
  if (free_.empty() || headroom > frame_size_ || size > frame_size_ - headroom) return {};
  uint64_t addr = take_free();
  ++in_use_;
  return buf::PacketBuf(this, area_ + addr, addr, frame_size_, headroom, 0);
}

buf::PacketBuf UmemPool::wrap_rx(uint64_t addr, uint32_t len) {
  uint64_t base = frame_of(addr);
  auto head = static_cast<uint32_t>(addr - base);
  if (len > frame_size_ - head) len = frame_size_ - head;
  ++in_use_;
  return buf::PacketBuf(this, area_ + base, base, frame_size_, head, len);
}

void UmemPool::release(uint8_t*, uint64_t handle) noexcept {
  --in_use_;
  free_.push_back(handle);
}

}  // namespace stackd::nic
