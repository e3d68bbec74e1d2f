#include "control/command_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace stackd::control {

CommandQueue::CommandQueue(stack::Stack* stack) : stack_(stack) {
  efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

CommandQueue::~CommandQueue() {
  if (efd_ >= 0) ::close(efd_);
}

void CommandQueue::post(Command cmd) {
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back(std::move(cmd));
    pending_.store(true, std::memory_order_release);
  }
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the worker will wake.
  [[maybe_unused]] ssize_t n = ::write(efd_, &one, sizeof one);
}

size_t CommandQueue::poll(Instant now) {
  if (!pending_.load(std::memory_order_acquire)) return 0;
  uint64_t v;
  [[maybe_unused]] ssize_t n = ::read(efd_, &v, sizeof v);  // re-arm the doorbell
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& c : queue_) batch_.push_back(std::move(c));
    queue_.clear();
    pending_.store(false, std::memory_order_relaxed);
  }
  const size_t done = batch_.size();
  for (auto& c : batch_) c(*stack_, now);
  batch_.clear();
  executed_.fetch_add(done, std::memory_order_relaxed);
  return done;
}

}  // namespace stackd::control
