// The run loop with a scripted worker: signals arrive through the signalfd
// (raised before or during run, with the signals blocked as in stackd),
// device readiness wakes it, deadlines wake it, and it sleeps instead of
// spinning once the busy-poll budget is spent. No test sleeps: waits end on
// a readable fd, a pending signal or a millisecond deadline.
#include "app/runtime.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>

namespace stackd::app {
namespace {

struct FakeWorker : Worker {
  std::function<size_t(Instant)> on_poll = [](Instant) { return size_t{0}; };
  Instant deadline = Instant::never();
  int reports = 0;
  int reloads = 0;
  size_t poll(Instant now) override { return on_poll(now); }
  void reload(Instant) override { ++reloads; }
  Instant poll_at() const override { return deadline; }
  void report() override { ++reports; }
};

class RuntimeTest : public testing::Test {
 protected:
  void SetUp() override { block_signals(); }
  std::unique_ptr<Runtime> make(FakeWorker& w, std::vector<int> fds, Duration busy) {
    std::string err;
    auto rt = Runtime::create(w, std::move(fds), busy, &err);
    EXPECT_NE(rt, nullptr) << err;
    return rt;
  }
};

TEST_F(RuntimeTest, SigtermStopsAndSigusr1Reports) {
  FakeWorker w;
  auto rt = make(w, {}, Duration::zero());
  raise(SIGUSR1);
  raise(SIGTERM);
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_EQ(w.reports, 1);
  EXPECT_EQ(rt->stats().signals, 2u);
}

TEST_F(RuntimeTest, SigintStopsAndSighupDoesNot) {
  FakeWorker w;
  int polls = 0;
  w.on_poll = [&](Instant) {
    if (++polls == 1) raise(SIGHUP);
    if (polls == 2) raise(SIGINT);
    return size_t{0};
  };
  auto rt = make(w, {}, Duration::zero());
  EXPECT_EQ(rt->run(), SIGINT);
  EXPECT_EQ(polls, 2);  // SIGHUP woke it and it went on
  EXPECT_EQ(w.reports, 0);
  EXPECT_EQ(w.reloads, 1);  // ... after asking the worker to reload
}

TEST_F(RuntimeTest, Sigusr2WithoutTheTestHookIsIgnored) {
  FakeWorker w;
  int polls = 0;
  w.on_poll = [&](Instant) {
    if (++polls == 1) raise(SIGUSR2);
    if (polls == 2) raise(SIGTERM);
    return size_t{0};
  };
  unsetenv("STACKD_TEST_STALL_ON_SIGUSR2");
  EXPECT_EQ(Runtime::test_stall_from_env(), Duration::zero());
  auto rt = make(w, {}, Duration::zero());
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_EQ(w.reloads, 0);
  setenv("STACKD_TEST_STALL_ON_SIGUSR2", "3", 1);
  EXPECT_EQ(Runtime::test_stall_from_env(), Duration::seconds(3));
  setenv("STACKD_TEST_STALL_ON_SIGUSR2", "3x", 1);
  EXPECT_EQ(Runtime::test_stall_from_env(), Duration::zero());
  unsetenv("STACKD_TEST_STALL_ON_SIGUSR2");
}

// A timerfd stands in for a device's wait_fd: the kernel makes it readable
// while the loop sleeps, as an RX ring would.
int timer_fd(Duration first, Duration interval) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec its{};
  its.it_value.tv_nsec = first.ns;
  its.it_interval.tv_nsec = interval.ns;
  timerfd_settime(fd, 0, &its, nullptr);
  return fd;
}

TEST_F(RuntimeTest, DeviceFdWakesTheSleepingLoop) {
  FakeWorker w;
  int polls = 0;
  // Watch a disarmed timerfd; the first poll arms it for 20 ms from now
  // (long enough that the loop is asleep when it fires even on a loaded
  // machine: with 1 ms it failed once while two builds ran).
  int fd = timer_fd(Duration::zero(), Duration::zero());  // disarmed
  ASSERT_GE(fd, 0);
  w.on_poll = [&](Instant) {
    if (++polls == 1) {
      itimerspec its{};
      its.it_value.tv_nsec = Duration::millis(20).ns;
      timerfd_settime(fd, 0, &its, nullptr);
    }
    if (polls == 2) raise(SIGTERM);
    return size_t{0};
  };
  auto rt = make(w, {fd}, Duration::zero());
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(rt->stats().sleeps, 1u);  // never-deadline: only the fd could wake it
  EXPECT_EQ(rt->stats().fd_wakeups, 1u);
  rt.reset();
  close(fd);
}

TEST_F(RuntimeTest, DevicePollStaysArmedAcrossSleeps) {
  int fd = timer_fd(Duration::millis(1), Duration::millis(1));
  ASSERT_GE(fd, 0);
  FakeWorker w;
  int polls = 0;
  Runtime* rtp = nullptr;
  w.on_poll = [&](Instant) {
    ++polls;
    uint64_t ticks;
    (void)!read(fd, &ticks, sizeof ticks);  // drain, as rx_burst would
    if (rtp->stats().fd_wakeups >= 3) raise(SIGTERM);
    return size_t{0};
  };
  auto rt = make(w, {fd}, Duration::zero());
  rtp = rt.get();
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_GE(rt->stats().fd_wakeups, 3u);
  EXPECT_GE(rt->stats().sleeps, 3u);
  EXPECT_LE(polls, 2 * static_cast<int>(rt->stats().sleeps) + 2);  // no spinning in between
  rt.reset();
  close(fd);
}

TEST_F(RuntimeTest, WakesAtTheDeadlineNotBeforeAndDoesNotSpin) {
  FakeWorker w;
  int polls = 0;
  Instant due;
  w.on_poll = [&](Instant now) {
    if (++polls == 1) {
      due = now + Duration::millis(2);
      w.deadline = due;
    } else if (now >= due) {
      raise(SIGTERM);
    }
    return size_t{0};
  };
  auto rt = make(w, {}, Duration::zero());
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_LE(polls, 3);  // slept until the deadline instead of polling
  EXPECT_GE(rt->stats().timeouts, 1u);
}

TEST_F(RuntimeTest, BusyPollsAfterWorkThenSleeps) {
  FakeWorker w;
  Instant first_work;
  int polls = 0;
  uint64_t sleeps_while_busy = 0;
  Runtime* rtp = nullptr;
  w.on_poll = [&](Instant now) {
    ++polls;
    if (polls == 1) {
      first_work = now;
      return size_t{1};
    }
    if (now - first_work < Duration::millis(1)) {
      sleeps_while_busy += rtp->stats().sleeps;
    } else {
      // Budget spent: the loop must go to sleep now; a pending signal ends it.
      w.deadline = now + Duration::millis(1);
      if (rtp->stats().sleeps > 0) raise(SIGTERM);
    }
    return size_t{0};
  };
  auto rt = make(w, {}, Duration::millis(1));
  rtp = rt.get();
  EXPECT_EQ(rt->run(), SIGTERM);
  EXPECT_GT(polls, 2);  // kept polling within the budget
  EXPECT_EQ(sleeps_while_busy, 0u);
  EXPECT_GE(rt->stats().sleeps, 1u);
}

TEST(Clock, MonotonicNowAdvances) {
  Instant a = monotonic_now();
  Instant b = monotonic_now();
  EXPECT_GT(a.ns, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace stackd::app
