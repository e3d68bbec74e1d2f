// BufferPool: the memory behind TCP's send and receive rings, lent to a
// connection only while it has bytes to hold (tcp README "Buffers").
//
// A connection that is idle (nothing unacknowledged, nothing unread, no
// out-of-order islands) holds no ring storage at all; the first send() or
// the first in-window payload borrows a chunk, and the chunk goes back when
// the ring is empty again (or at close). The pool bounds the total memory
// (in use + cached): past the bound acquire() fails and the caller reports
// -ENOBUFS (send) or drops the segment with DropReason::kTcpNoBuffer
// (receive; the peer retransmits). A bounded cache of released chunks
// keeps a request/response connection from going to malloc per message.
//
// Chunks are uninitialised: a ring never reads bytes it has not written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace stackd::tcp {

struct BufferPoolStats {
  size_t bytes_in_use = 0;     // lent to connections
  size_t buffers_in_use = 0;
  size_t bytes_cached = 0;     // released chunks kept for reuse
  size_t peak_bytes_in_use = 0;
  uint64_t acquired = 0;       // successful acquire() calls
  uint64_t exhausted = 0;      // acquire() refused by the bound
};

class BufferPool {
 public:
  // `max_bytes` bounds in-use + cached bytes; `max_cached_bytes` bounds the
  // cache of released chunks (0 = return every chunk to the allocator).
  explicit BufferPool(size_t max_bytes, size_t max_cached_bytes = 0);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A chunk of `size` bytes, or an empty span when lending it would pass
  // the bound (counted in stats().exhausted) or the allocator fails.
  std::span<uint8_t> acquire(uint32_t size);
  // Give back a chunk acquire() returned (an empty span is ignored).
  void release(std::span<uint8_t> chunk);

  const BufferPoolStats& stats() const { return stats_; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct FreeList {
    uint32_t size;
    std::vector<uint8_t*> chunks;
  };
  FreeList& list_for(uint32_t size);
  void drop_cached(size_t need);  // free cached chunks until `need` bytes fit the bound

  size_t max_bytes_;
  size_t max_cached_;
  std::vector<FreeList> free_;  // one per chunk size (TCP uses two)
  BufferPoolStats stats_;
};

}  // namespace stackd::tcp
