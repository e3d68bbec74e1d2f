#include "app/runtime.h"

#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

#include "app/log.h"

namespace stackd::app {

struct Runtime::Ring {
  io_uring ring{};
  bool ok = false;
  ~Ring() {
    if (ok) io_uring_queue_exit(&ring);
  }
};

namespace {

constexpr unsigned kRingEntries = 64;

sigset_t runtime_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

Instant monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant::from_nanos(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

void Worker::reload(Instant) {
  log::warn("SIGHUP: configuration reload is not supported here; keeping the running configuration");
}

Duration Runtime::test_stall_from_env() {
  const char* v = std::getenv("STACKD_TEST_STALL_ON_SIGUSR2");
  if (v == nullptr) return Duration::zero();
  char* end = nullptr;
  long secs = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || secs < 1 || secs > 600) return Duration::zero();
  return Duration::seconds(secs);
}

void block_signals() {
  sigset_t set = runtime_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Runtime::Runtime(Worker& worker, Duration busy_poll)
    : worker_(worker), busy_poll_(busy_poll), ring_(std::make_unique<Ring>()) {}

Runtime::~Runtime() {
  ring_.reset();  // cancels the polls before their fds go
  if (signal_fd_ >= 0) close(signal_fd_);
}

std::unique_ptr<Runtime> Runtime::create(Worker& worker, std::vector<int> wait_fds, Duration busy_poll,
                                         std::string* err) {
  std::unique_ptr<Runtime> rt(new Runtime(worker, busy_poll));
  sigset_t set = runtime_signals();
  rt->signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (rt->signal_fd_ < 0) {
    *err = fmt::format("signalfd: {}", std::strerror(errno));
    return nullptr;
  }
  int r = io_uring_queue_init(kRingEntries, &rt->ring_->ring, 0);
  if (r < 0) {
    *err = fmt::format("io_uring_queue_init: {}", std::strerror(-r));
    return nullptr;
  }
  rt->ring_->ok = true;
  rt->watches_.push_back({rt->signal_fd_, true});
  for (int fd : wait_fds)
    if (fd >= 0) rt->watches_.push_back({fd, false});
  for (size_t i = 0; i < rt->watches_.size(); ++i) {
    if (!rt->arm(i)) {
      *err = "io_uring submission queue full";
      return nullptr;
    }
  }
  r = io_uring_submit(&rt->ring_->ring);
  if (r < 0) {
    *err = fmt::format("io_uring_submit: {}", std::strerror(-r));
    return nullptr;
  }
  return rt;
}

bool Runtime::arm(size_t slot) {
  Watch& w = watches_[slot];
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);
  if (sqe == nullptr) return false;
  if (w.multishot)
    io_uring_prep_poll_multishot(sqe, w.fd, POLLIN);
  else
    io_uring_prep_poll_add(sqe, w.fd, POLLIN);
  io_uring_sqe_set_data64(sqe, slot);
  w.armed = true;
  return true;
}

void Runtime::read_signals() {
  signalfd_siginfo si{};
  for (;;) {
    ssize_t n = read(signal_fd_, &si, sizeof si);
    if (n != static_cast<ssize_t>(sizeof si)) return;  // EAGAIN: drained
    ++stats_.signals;
    switch (si.ssi_signo) {
      case SIGINT:
      case SIGTERM:
        log::info("SIG{}: shutting down", sigabbrev_np(static_cast<int>(si.ssi_signo)));
        stop_signal_ = static_cast<int>(si.ssi_signo);
        break;
      case SIGUSR1:
        worker_.report();
        break;
      case SIGHUP:
        worker_.reload(monotonic_now());
        break;
      case SIGUSR2:
        if (test_stall_ > Duration::zero()) {
          log::warn("SIGUSR2: test hook: stalling the worker for {} s", test_stall_.as_millis() / 1000);
          timespec ts{static_cast<time_t>(test_stall_.ns / 1'000'000'000), test_stall_.ns % 1'000'000'000};
          while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
          }
        } else {
          log::info("SIGUSR2: ignored (STACKD_TEST_STALL_ON_SIGUSR2 is not set)");
        }
        break;
      default:
        break;
    }
  }
}

// Handle every completion that is already there (a memory read when none).
// Returns how many reported readiness or signals.
size_t Runtime::reap() {
  size_t events = 0;
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&ring_->ring, &cqe) == 0) {
    uint64_t slot = io_uring_cqe_get_data64(cqe);
    int res = cqe->res;
    bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    io_uring_cqe_seen(&ring_->ring, cqe);
    if (slot >= watches_.size()) continue;
    Watch& w = watches_[slot];
    if (!more) w.armed = false;
    if (res < 0) {
      if (res == -EINVAL && w.multishot) {
        w.multishot = false;  // kernel without multishot poll: re-arm each time
      } else if (res != -ECANCELED) {
        log::error("poll on fd {}: {}", w.fd, std::strerror(-res));
        continue;  // leave it disarmed rather than spin on the error
      }
    } else if (w.is_signal) {
      ++events;
      read_signals();
    } else {
      ++events;
      ++stats_.fd_wakeups;
    }
    if (!w.armed) arm(slot);
  }
  return events;
}

int Runtime::run() {
  Instant busy_until = Instant::from_nanos(0);
  while (stop_signal_ == 0) {
    Instant now = monotonic_now();
    size_t n = worker_.poll(now);
    ++stats_.polls;
    if (n > 0) busy_until = now + busy_poll_;
    // Readiness reaped here may be for frames that arrived after poll()
    // looked: poll again before sleeping, or they would wait for the next.
    size_t events = reap();
    if (stop_signal_ != 0) break;
    if (n > 0 || events > 0 || now < busy_until) {
      // Busy-polling: no system call unless a poll needs re-arming.
      if (io_uring_sq_ready(&ring_->ring) > 0) io_uring_submit(&ring_->ring);
      continue;
    }
    Instant deadline = worker_.poll_at();
    if (deadline <= now) continue;  // a timer is due already
    io_uring_cqe* cqe = nullptr;
    ++stats_.sleeps;
    int r;
    if (deadline.is_never()) {
      r = io_uring_submit_and_wait(&ring_->ring, 1);
    } else {
      Duration d = deadline - now;
      __kernel_timespec ts{};
      ts.tv_sec = d.ns / 1'000'000'000;
      ts.tv_nsec = d.ns % 1'000'000'000;
      r = io_uring_submit_and_wait_timeout(&ring_->ring, &cqe, 1, &ts, nullptr);
      if (r == -ETIME) ++stats_.timeouts;
    }
    if (r < 0 && r != -ETIME && r != -EINTR) {
      log::error("io_uring wait: {}", std::strerror(-r));
      return SIGTERM;
    }
    reap();
  }
  return stop_signal_;
}

}  // namespace stackd::app
