// ByteRing: a single-producer single-consumer byte ring over storage it is
// given (STYLE.md #15: offset-addressed, later placed in shared memory).
//
// The ring state is two free-running 32-bit offsets, `head` (next byte to
// read) and `tail` (next byte to write), and nothing else: no pointers. The
// capacity is a power of two, so a storage index is `offset & mask`, and
// `tail - head` (mod 2^32) is the number of readable bytes; full
// (tail - head == capacity) and empty (tail == head) are never confused, and
// the offsets wrap through 2^32 without special cases.
//
// Producer side: write() copies and commits; write_spans() + commit() fill
// the free space in place (zero copy); write_at(off, bytes) places bytes
// `off` bytes past the tail without committing them, which is how TCP puts
// an out-of-order segment at `seq - rcv.nxt` and commits it once the hole
// before it is filled.
// Consumer side: read() copies and consumes; peek(off) and read_spans()
// look without consuming; consume() frees.
//
// The daemon trusts nothing in shared memory: every length is clamped to
// what the ring can hold, so a scribbled head/tail cannot make it touch
// memory outside `storage`.
//
// `origin` is the offset whose byte sits at storage[0] (default 0): TCP's
// send ring numbers its bytes by sequence number while storage supplied by
// a client (daemon/session) is laid out by the client's own ring index, so
// the two numberings differ by a constant.
#pragma once

#include <cstdint>
#include <span>

namespace stackd::buf {

// The whole ring state: what a shared-memory segment would hold next to the
// data. Plain offsets only.
struct ByteRingIndex {
  uint32_t head = 0;  // free-running offset of the first readable byte
  uint32_t tail = 0;  // free-running offset one past the last readable byte
};

// Up to two spans covering a region that may wrap past the storage end.
template <typename T>
struct RingSpans {
  std::span<T> first;
  std::span<T> second;
  uint32_t size() const { return static_cast<uint32_t>(first.size() + second.size()); }
};

class ByteRing {
 public:
  // storage.size() must be a power of two between 1 and 2^31 (checked:
  // is_valid() is false otherwise and every operation moves 0 bytes).
  // `start` is the initial head == tail (tests start near 2^32 to exercise
  // the wrap of the free-running offsets).
  explicit ByteRing(std::span<uint8_t> storage, uint32_t start = 0)
      : ByteRing(storage, ByteRingIndex{start, start}) {}
  // Attach to existing state (e.g. offsets read from a shared segment).
  ByteRing(std::span<uint8_t> storage, ByteRingIndex index, uint32_t origin = 0);

  bool is_valid() const { return valid_; }
  // The storage the ring was given (empty when not valid), e.g. to give it
  // back to the pool it came from.
  std::span<uint8_t> storage() const { return storage_; }
  uint32_t capacity() const { return valid_ ? static_cast<uint32_t>(storage_.size()) : 0; }
  // Readable bytes (clamped to capacity if the offsets were scribbled on).
  uint32_t size() const;
  uint32_t free_space() const { return capacity() - size(); }
  bool empty() const { return size() == 0; }
  bool full() const { return size() == capacity(); }

  const ByteRingIndex& index() const { return idx_; }
  uint32_t head() const { return idx_.head; }
  uint32_t tail() const { return idx_.tail; }
  uint32_t origin() const { return origin_; }

  // --- producer ---
  // Copy as much of `src` as fits at the tail and commit it. Returns bytes written.
  uint32_t write(std::span<const uint8_t> src);
  // Copy `src` to `offset` bytes past the tail without committing it.
  // Only the part that lies inside the free space is placed; returns the
  // number of bytes placed from the front of `src`.
  uint32_t write_at(uint32_t offset_from_tail, std::span<const uint8_t> src);
  // The free space from the tail (at most `max` bytes) as up to two spans.
  RingSpans<uint8_t> write_spans(uint32_t max = UINT32_MAX);
  // Publish n bytes written past the tail (clamped to the free space).
  // Returns bytes committed.
  uint32_t commit(uint32_t n);

  // --- consumer ---
  // Copy up to dst.size() bytes from the head and consume them.
  uint32_t read(std::span<uint8_t> dst);
  // Copy up to dst.size() bytes starting `offset` bytes past the head,
  // without consuming. Returns bytes copied.
  uint32_t peek(uint32_t offset, std::span<uint8_t> dst) const;
  // The readable bytes from `offset` past the head (at most `max`) as up to
  // two spans, without consuming.
  RingSpans<const uint8_t> read_spans(uint32_t offset = 0, uint32_t max = UINT32_MAX) const;
  // Free n bytes at the head (clamped to size()). Returns bytes consumed.
  uint32_t consume(uint32_t n);

 private:
  // Copy between storage (starting at free-running offset `at`) and a flat
  // buffer, in at most two memcpy calls.
  void copy_in(uint32_t at, std::span<const uint8_t> src);
  void copy_out(uint32_t at, std::span<uint8_t> dst) const;
  template <typename T>
  RingSpans<T> spans_at(uint32_t at, uint32_t len) const;

  std::span<uint8_t> storage_;
  uint32_t mask_ = 0;
  bool valid_ = false;
  uint32_t origin_ = 0;
  ByteRingIndex idx_;
};

}  // namespace stackd::buf
