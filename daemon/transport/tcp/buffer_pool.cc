#include "transport/tcp/buffer_pool.h"

#include <algorithm>
#include <new>

namespace stackd::tcp {

BufferPool::BufferPool(size_t max_bytes, size_t max_cached_bytes)
    : max_bytes_(max_bytes), max_cached_(std::min(max_cached_bytes, max_bytes)) {}

BufferPool::~BufferPool() {
  for (FreeList& l : free_)
    for (uint8_t* p : l.chunks) delete[] p;
}

BufferPool::FreeList& BufferPool::list_for(uint32_t size) {
  for (FreeList& l : free_)
    if (l.size == size) return l;
  free_.push_back(FreeList{size, {}});
  return free_.back();
}

void BufferPool::drop_cached(size_t need) {
  for (FreeList& l : free_) {
    while (!l.chunks.empty() && stats_.bytes_in_use + stats_.bytes_cached + need > max_bytes_) {
      delete[] l.chunks.back();
      l.chunks.pop_back();
      stats_.bytes_cached -= l.size;
    }
  }
}

std::span<uint8_t> BufferPool::acquire(uint32_t size) {
  if (size == 0) return {};
  FreeList& l = list_for(size);
  uint8_t* p = nullptr;
  if (!l.chunks.empty()) {
    p = l.chunks.back();
    l.chunks.pop_back();
    stats_.bytes_cached -= size;
  } else {
    drop_cached(size);  // cached chunks of another size give way to this one
    if (stats_.bytes_in_use + stats_.bytes_cached + size > max_bytes_) {
      ++stats_.exhausted;
      return {};
    }
    p = new (std::nothrow) uint8_t[size];  // uninitialised on purpose
    if (p == nullptr) {
      ++stats_.exhausted;
      return {};
    }
  }
  stats_.bytes_in_use += size;
  ++stats_.buffers_in_use;
  ++stats_.acquired;
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  return {p, size};
}

void BufferPool::release(std::span<uint8_t> chunk) {
  if (chunk.empty()) return;
  const uint32_t size = static_cast<uint32_t>(chunk.size());
  stats_.bytes_in_use -= size;
  --stats_.buffers_in_use;
  if (stats_.bytes_cached + size <= max_cached_) {
    list_for(size).chunks.push_back(chunk.data());
    stats_.bytes_cached += size;
  } else {
    delete[] chunk.data();
  }
}

}  // namespace stackd::tcp
