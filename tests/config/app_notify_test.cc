// sd_notify with the test as the service manager: NOTIFY_SOCKET is a unix
// datagram socket of the test, WATCHDOG_USEC is set, and NotifySource is
// driven with hand-made instants (no sleeps; the socket is non-blocking).
#include "app/notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace stackd::app {
namespace {

class NotifyTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = "/tmp/stackd-notify-" + std::to_string(getpid()) + ".sock";
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    path_.copy(sa.sun_path, sizeof sa.sun_path - 1);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    unsetenv("WATCHDOG_PID");
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    close(fd_);
    unlink(path_.c_str());
  }
  // The next datagram, or "" when none is waiting.
  std::string next() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  static Instant at(double secs) { return Instant::from_nanos(static_cast<int64_t>(1e9 * (100 + secs))); }

  std::string path_;
  int fd_ = -1;
};

TEST_F(NotifyTest, NoSocketNoNotifier) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(Notifier::from_env(), nullptr);
}

TEST_F(NotifyTest, StateMessages) {
  auto n = Notifier::from_env();
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->watchdog(), Duration::seconds(1));
  n->ready("1/1 interfaces up");
  EXPECT_EQ(next(), "READY=1\nSTATUS=1/1 interfaces up");
  n->reloading(Instant::from_nanos(5'000'000'000));
  EXPECT_EQ(next(), "RELOADING=1\nSTATUS=reloading configuration\nMONOTONIC_USEC=5000000");
  n->stopping();
  EXPECT_EQ(next(), "STOPPING=1\nSTATUS=stopping");
  EXPECT_EQ(n->sent(), 3u);
}

TEST_F(NotifyTest, WatchdogAtHalfTheIntervalAndStatusEveryPeriod) {
  auto n = Notifier::from_env();
  Heartbeats beats(1);
  int calls = 0;
  NotifySource src(*n, beats, 0, [&](Instant) {
    std::string s = std::to_string(++calls);
    return s.insert(0, 1, 's');
  }, at(0));
  EXPECT_EQ(src.tick(), Duration::millis(500));
  EXPECT_EQ(src.poll_at(), at(0.5));
  EXPECT_EQ(src.poll(at(0.4)), 0u);
  EXPECT_EQ(next(), "");  // not yet
  src.poll(at(0.5));
  EXPECT_EQ(next(), "WATCHDOG=1");
  EXPECT_EQ(src.poll_at(), at(1.0));
  for (double t = 1.0; t < 5.0; t += 0.5) {
    src.poll(at(t));
    EXPECT_EQ(next(), "WATCHDOG=1") << t;
  }
  src.poll(at(5.0));
  EXPECT_EQ(next(), "WATCHDOG=1\nSTATUS=s1");
  EXPECT_EQ(next(), "");
}

TEST_F(NotifyTest, NoWatchdogWhileAnotherWorkerIsSilent) {
  auto n = Notifier::from_env();
  Heartbeats beats(2);
  beats.beat(1, at(0));
  NotifySource src(*n, beats, 0, [](Instant) { return std::string("x"); }, at(0));
  src.poll(at(0.5));
  EXPECT_EQ(next(), "WATCHDOG=1");  // worker 1 beat 0.5 s ago: fresh
  src.poll(at(1.0));
  EXPECT_EQ(next(), "");  // worker 1 silent for 1 s: no ping
  beats.beat(1, at(1.2));
  src.poll(at(1.5));
  EXPECT_EQ(next(), "WATCHDOG=1");
}

TEST_F(NotifyTest, WithoutWatchdogOnlyStatusEveryFiveSeconds) {
  unsetenv("WATCHDOG_USEC");
  auto n = Notifier::from_env();
  EXPECT_EQ(n->watchdog(), Duration::zero());
  Heartbeats beats(1);
  NotifySource src(*n, beats, 0, [](Instant) { return std::string("idle"); }, at(0));
  EXPECT_EQ(src.poll_at(), at(5));  // the only wake-up it asks for
  src.poll(at(4.9));
  EXPECT_EQ(next(), "");
  src.poll(at(5));
  EXPECT_EQ(next(), "STATUS=idle");
}

TEST_F(NotifyTest, WatchdogPidOfAnotherProcessDisablesIt) {
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  auto n = Notifier::from_env();
  EXPECT_EQ(n->watchdog(), Duration::zero());
  unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace stackd::app
