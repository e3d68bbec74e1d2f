// The dataplane worker's run loop (DESIGN.md: adaptive polling). One
// thread, run to completion:
//
//   loop: n = worker.poll(now)
//         work in the last busy_poll  -> poll again (no system call)
//         otherwise                   -> sleep in io_uring until a device's
//                                        wait_fd is readable, a signal
//                                        arrives (signalfd) or poll_at()
//   SIGUSR1 -> worker.report();  SIGHUP -> worker.reload(now) (app/reload.h);
//   SIGINT/SIGTERM -> run() returns the signal number;
//   SIGUSR2 -> test hook only: when STACKD_TEST_STALL_ON_SIGUSR2=SECONDS is
//              in the environment the worker thread sleeps that long inside
//              the loop (a wedged worker, for the watchdog test); otherwise
//              logged and ignored.
//
// Device fds and the signalfd are watched with multishot IORING_OP_POLL_ADD
// (re-armed as single-shot where the kernel lacks it); the deadline is the
// wait's timeout, so an idle stackd makes no system calls at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/time.h"

namespace stackd::app {

// What the runtime drives: the stack (StackWorker in stack_worker.h) or a
// fake in tests.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual size_t poll(Instant now) = 0;
  virtual Instant poll_at() const = 0;
  virtual void report() = 0;  // counters to the log (SIGUSR1)
  // Re-read and apply the configuration (SIGHUP). Default: not supported.
  virtual void reload(Instant now);
};

// CLOCK_MONOTONIC as an Instant (vDSO: no system call).
Instant monotonic_now();

// Block SIGINT, SIGTERM, SIGUSR1, SIGUSR2 and SIGHUP in the calling thread (call in
// main before any thread starts, so every thread inherits the mask); the
// runtime reads them from a signalfd.
void block_signals();

struct RuntimeStats {
  uint64_t polls = 0;       // worker.poll calls
  uint64_t sleeps = 0;      // waits in io_uring
  uint64_t fd_wakeups = 0;  // device fd readiness completions
  uint64_t timeouts = 0;    // waits that ended at the deadline
  uint64_t signals = 0;     // signals read
};

class Runtime {
 public:
  // Sets up the io_uring and the signalfd; nullptr and *err on failure.
  static std::unique_ptr<Runtime> create(Worker& worker, std::vector<int> wait_fds,
                                         Duration busy_poll, std::string* err);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs until SIGINT or SIGTERM; returns that signal's number.
  int run();

  const RuntimeStats& stats() const { return stats_; }

  // The SIGUSR2 stall (tests only); zero disables it. from_env() reads
  // STACKD_TEST_STALL_ON_SIGUSR2 (seconds, 1..600).
  void set_test_stall(Duration d) { test_stall_ = d; }
  // [daemon] busy_poll_us changed by a reload.
  void set_busy_poll(Duration d) { busy_poll_ = d; }
  static Duration test_stall_from_env();

  struct Ring;

 private:
  Runtime(Worker& worker, Duration busy_poll);
  bool arm(size_t slot);
  size_t reap();
  void read_signals();

  struct Watch {
    int fd = -1;
    bool is_signal = false;
    bool multishot = true;
    bool armed = false;
  };

  Worker& worker_;
  Duration busy_poll_;
  std::unique_ptr<Ring> ring_;
  int signal_fd_ = -1;
  std::vector<Watch> watches_;
  int stop_signal_ = 0;
  Duration test_stall_ = Duration::zero();
  RuntimeStats stats_;
};

}  // namespace stackd::app
