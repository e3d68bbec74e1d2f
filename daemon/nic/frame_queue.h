// FrameQueue: a bounded FIFO of PacketBufs, the "wire" inside the in-memory
// devices. Fixed capacity chosen at construction (no allocation after it);
// a push onto a full queue is refused and the caller decides what a full
// queue means (tail drop for a wire, back-pressure for a driver).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "buf/packet.h"

namespace stackd::nic {

class FrameQueue {
 public:
  explicit FrameQueue(uint32_t capacity) : slots_(capacity) {}

  size_t size() const { return count_; }
  size_t capacity() const { return slots_.size(); }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == slots_.size(); }

  // Takes the frame and returns true, or returns false and leaves it with
  // the caller when the queue is full.
  bool push(buf::PacketBuf& p);
  // The oldest frame, or an empty handle.
  buf::PacketBuf pop();
  // Move up to out.size() frames into `out`; returns how many.
  size_t pop_burst(std::span<buf::PacketBuf> out);
  void clear();

 private:
  std::vector<buf::PacketBuf> slots_;
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace stackd::nic
