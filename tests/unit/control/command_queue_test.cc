// CommandQueue: commands posted from other threads run on the thread that
// polls, results come back to the caller, the doorbell fd is readable
// while work waits, and a caller that timed out before its command ran
// cancels it (the command must never touch the caller's memory later).
#include "control/command_queue.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <thread>

#include "ip/fib.h"
#include "stack/stack.h"

namespace stackd::control {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(CommandQueue, IdlePollDoesNothing) {
  stack::Stack s(stack::StackConfig{});
  CommandQueue q(&s);
  EXPECT_EQ(q.poll(Instant::from_nanos(1)), 0u);
  EXPECT_FALSE(readable(q.wait_fds().at(0)));
}

TEST(CommandQueue, CallRunsOnThePollingThreadAndReturnsTheResult) {
  stack::Stack s(stack::StackConfig{});
  CommandQueue q(&s);
  std::thread::id ran_on;
  std::optional<size_t> got;
  std::thread caller([&] {
    got = q.call([&](stack::Stack& st, Instant now) {
      ran_on = std::this_thread::get_id();
      EXPECT_EQ(&st, &s);
      EXPECT_EQ(now.ns, 42);
      return st.fib().size() + 7;
    });
  });
  // The worker: poll until the command ran (bounded).
  size_t done = 0;
  for (int i = 0; i < 5000 && done == 0; ++i) {
    if (readable(q.wait_fds()[0])) done = q.poll(Instant::from_nanos(42));
    else std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  caller.join();
  EXPECT_EQ(done, 1u);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, 7u);
  EXPECT_FALSE(readable(q.wait_fds()[0])) << "the doorbell stays rung after the queue drained";
  EXPECT_EQ(q.executed(), 1u);
}

TEST(CommandQueue, TimedOutCommandIsSkipped) {
  stack::Stack s(stack::StackConfig{});
  CommandQueue q(&s);
  std::atomic<int> runs{0};
  auto r = q.call([&](stack::Stack&, Instant) { return ++runs; }, std::chrono::milliseconds(20));
  EXPECT_FALSE(r.has_value());
  // The worker comes back later: the abandoned command must not run.
  q.poll(Instant::from_nanos(1));
  EXPECT_EQ(runs.load(), 0);
}

TEST(CommandQueue, CloseEndsWaitsAtOnce) {
  stack::Stack s(stack::StackConfig{});
  CommandQueue q(&s);
  std::atomic<int> runs{0};
  std::optional<int> r = 1;
  auto t0 = std::chrono::steady_clock::now();
  std::thread caller([&] { r = q.call([&](stack::Stack&, Instant) { return ++runs; }, std::chrono::seconds(30)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.close();
  caller.join();
  EXPECT_FALSE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(q.call([&](stack::Stack&, Instant) { return ++runs; }, std::chrono::seconds(30)).has_value());
  q.poll(Instant::from_nanos(1));
  EXPECT_EQ(runs.load(), 0) << "abandoned commands never run";
}

TEST(CommandQueue, ManyProducersAllServedInOrderPerProducer) {
  stack::Stack s(stack::StackConfig{});
  CommandQueue q(&s);
  constexpr int kThreads = 4, kEach = 200;
  std::vector<std::vector<int>> seen(kThreads);  // written on the worker only
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop.load()) {
      if (q.poll(Instant::from_nanos(1)) == 0) std::this_thread::yield();
    }
    q.poll(Instant::from_nanos(1));
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = q.call([&, t, i](stack::Stack&, Instant) {
          seen[t].push_back(i);
          return i;
        });
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(*r, i);
      }
    });
  for (auto& p : producers) p.join();
  stop = true;
  worker.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kEach));
    for (int i = 0; i < kEach; ++i) EXPECT_EQ(seen[t][i], i);
  }
  EXPECT_EQ(q.executed(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace stackd::control
