// stackd under a service manager (systemd Type=notify, sd_notify(3)):
//
//   main: Notifier::from_env() -> null when NOTIFY_SOCKET is unset (then no
//         timer and no message ever); after the interfaces are attached:
//         ready(status) -> "READY=1\nSTATUS=..."
//   worker loop (NotifySource, a LoopSource on the dataplane worker):
//         every pass stamps the worker's Heartbeats slot; every tick
//         (min(status period, WATCHDOG_USEC / 2)) sends "WATCHDOG=1" when
//         every worker's slot is fresh, and "STATUS=..." once per status
//         period (5 s). An idle stackd wakes once per tick and at no other
//         time; without NOTIFY_SOCKET there is no NotifySource at all.
//   reload (app/reload.h): reloading() -> "RELOADING=1\nMONOTONIC_USEC=..",
//         then ready(status) again
//   shutdown: stopping() -> "STOPPING=1"
//
// The ping comes from the worker's own loop, so a worker wedged inside a
// poll (or stalled on purpose, see Runtime's SIGUSR2 test hook) sends no
// WATCHDOG=1 and systemd restarts stackd after WatchdogSec.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/loop_source.h"
#include "base/time.h"

namespace stackd::app {

// One liveness slot per dataplane worker: the worker stores its loop time
// (relaxed atomic, no lock), the pinger reads them all.
class Heartbeats {
 public:
  explicit Heartbeats(size_t workers) : slots_(workers) {}
  void beat(size_t worker, Instant now) {
    slots_[worker].store(now.ns, std::memory_order_relaxed);
  }
  // Has every worker beaten within `limit` of `now`?
  bool all_fresh(Instant now, Duration limit) const;
  size_t size() const { return slots_.size(); }

 private:
  std::vector<std::atomic<int64_t>> slots_;
};

class Notifier {
 public:
  // From NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled: honours
  // WATCHDOG_PID). Null when NOTIFY_SOCKET is unset.
  static std::unique_ptr<Notifier> from_env();

  // The watchdog interval systemd expects pings within; zero when off.
  Duration watchdog() const { return watchdog_; }

  void ready(std::string_view status);
  void reloading(Instant now);  // RELOADING=1 + MONOTONIC_USEC (systemd 253's notify-reload)
  void stopping();
  void watchdog_ping();
  void status(std::string_view status);
  // Send one state string as is ("KEY=value\n..."); false when it failed.
  bool send(std::string_view state);

  uint64_t sent() const { return sent_; }
  uint64_t failed() const { return failed_; }

 private:
  explicit Notifier(Duration watchdog) : watchdog_(watchdog) {}
  Duration watchdog_;
  uint64_t sent_ = 0;
  uint64_t failed_ = 0;
};

// The periodic part, run by the dataplane worker's loop.
class NotifySource final : public LoopSource {
 public:
  using StatusFn = std::function<std::string(Instant now)>;
  static constexpr Duration kStatusPeriod = Duration::seconds(5);

  // `worker`: this loop's slot in `beats`.
  NotifySource(Notifier& n, Heartbeats& beats, size_t worker, StatusFn status, Instant now,
               Duration status_period = kStatusPeriod);

  std::vector<int> wait_fds() const override { return {}; }
  size_t poll(Instant now) override;  // never counts as work
  Instant poll_at() const override { return next_; }

  Duration tick() const { return tick_; }

 private:
  Notifier& n_;
  Heartbeats& beats_;
  size_t worker_;
  StatusFn status_;
  Duration status_period_;
  Duration tick_;
  Instant next_;
  Instant last_status_;
};

}  // namespace stackd::app
