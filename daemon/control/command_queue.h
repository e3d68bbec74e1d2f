// CommandQueue: how the control plane's RPC threads change the stack
// without locks on the dataplane's hot path (DESIGN.md "Processes": a
// command on the worker's queue). An RPC thread posts a closure and waits
// for its result; the worker runs the closures between polls, on its own
// thread, where touching the stack is safe.
//
//   RPC thread:  auto r = q.call<size_t>([](stack::Stack& s, Instant) { return s.fib().size(); });
//   worker:      StackWorker::add_source(&q)  ->  q.poll(now) after every Stack::poll
//
// Multi-producer, single consumer. Producers take a mutex (rare: RPCs); the
// worker's idle check is one atomic load, and it takes the mutex only when
// the eventfd doorbell (wait_fds(), io_uring-polled by the runtime) rang.
// A caller that times out before its command started cancels it, so a
// command never touches the caller's memory after call() returned.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "app/loop_source.h"
#include "base/time.h"

namespace stackd::stack {
class Stack;
}

namespace stackd::control {

class CommandQueue final : public app::LoopSource {
 public:
  using Command = std::function<void(stack::Stack&, Instant)>;

  explicit CommandQueue(stack::Stack* stack);
  ~CommandQueue() override;
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // Any thread: queue `cmd` and ring the doorbell.
  void post(Command cmd);

  // Any thread but the worker's: run `fn(stack, now)` on the worker and
  // return its result, or nullopt when the worker did not start it within
  // `timeout` (stalled or stopped). `fn` may refer to the caller's locals:
  // a command that timed out before it started is skipped, and one that
  // started is waited for, so it never runs after call() returned.
  template <typename F, typename R = std::invoke_result_t<F&, stack::Stack&, Instant>>
  std::optional<R> call(F fn, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    struct Slot {
      std::mutex mu;
      std::condition_variable cv;
      enum { kQueued, kRunning, kDone, kAbandoned } state = kQueued;
      std::optional<R> result;
    };
    auto slot = std::make_shared<Slot>();
    post([slot, &fn](stack::Stack& s, Instant now) {
      {
        std::lock_guard<std::mutex> g(slot->mu);
        if (slot->state == Slot::kAbandoned) return;  // the caller gave up: fn may be gone
        slot->state = Slot::kRunning;
      }
      std::optional<R> r(fn(s, now));
      std::lock_guard<std::mutex> g(slot->mu);
      slot->result = std::move(r);
      slot->state = Slot::kDone;
      slot->cv.notify_all();
    });
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> g(slot->mu);
    // In slices, so close() (the worker is gone for good) ends the wait early.
    while (slot->state != Slot::kDone) {
      const auto now = std::chrono::steady_clock::now();
      if (slot->state == Slot::kQueued && (now >= deadline || closed_.load(std::memory_order_acquire))) {
        slot->state = Slot::kAbandoned;
        return std::nullopt;
      }
      if (slot->state == Slot::kRunning) {
        slot->cv.wait(g, [&] { return slot->state == Slot::kDone; });  // running right now
        break;
      }
      slot->cv.wait_for(g, std::min<std::chrono::steady_clock::duration>(deadline - now, kCloseCheck));
    }
    return std::move(slot->result);
  }

  // The worker will not poll again (it stopped): calls waiting now and
  // later give up at once instead of at their timeout.
  void close() { closed_.store(true, std::memory_order_release); }

  // LoopSource (the worker's thread).
  std::vector<int> wait_fds() const override { return {efd_}; }
  size_t poll(Instant now) override;

  size_t executed() const { return executed_.load(std::memory_order_relaxed); }

 private:
  stack::Stack* stack_;
  int efd_ = -1;
  std::atomic<bool> pending_{false};
  std::mutex mu_;
  std::deque<Command> queue_;
  std::vector<Command> batch_;  // worker-only
  std::atomic<size_t> executed_{0};
  std::atomic<bool> closed_{false};
  static constexpr std::chrono::milliseconds kCloseCheck{50};
};

}  // namespace stackd::control
