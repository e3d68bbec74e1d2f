#include "nic/frame_queue.h"

#include <utility>

namespace stackd::nic {

bool FrameQueue::push(buf::PacketBuf& p) {
  if (full()) return false;
  size_t at = (head_ + count_) % slots_.size();
  slots_[at] = std::move(p);
  ++count_;
  return true;
}

buf::PacketBuf FrameQueue::pop() {
  if (empty()) return {};
  buf::PacketBuf p = std::move(slots_[head_]);
  head_ = (head_ + 1) % slots_.size();
  --count_;
  return p;
}

size_t FrameQueue::pop_burst(std::span<buf::PacketBuf> out) {
  size_t n = 0;
  while (n < out.size() && !empty()) out[n++] = pop();
  return n;
}

void FrameQueue::clear() {
  while (!empty()) pop();
}

}  // namespace stackd::nic
