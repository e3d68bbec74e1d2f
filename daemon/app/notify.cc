#include "app/notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace stackd::app {

bool Heartbeats::all_fresh(Instant now, Duration limit) const {
  for (const auto& s : slots_)
    if (now - Instant::from_nanos(s.load(std::memory_order_relaxed)) > limit) return false;
  return true;
}

std::unique_ptr<Notifier> Notifier::from_env() {
  const char* sock = std::getenv("NOTIFY_SOCKET");
  if (sock == nullptr || *sock == '\0') return nullptr;
  uint64_t usec = 0;
  // > 0 when WATCHDOG_USEC is set and WATCHDOG_PID (if any) is us.
  if (sd_watchdog_enabled(0, &usec) <= 0) usec = 0;
  return std::unique_ptr<Notifier>(new Notifier(Duration::micros(static_cast<int64_t>(usec))));
}

bool Notifier::send(std::string_view state) {
  std::string s(state);
  // sd_notify: one datagram to NOTIFY_SOCKET (the environment is kept, so
  // later calls and the control plane's reloads reach it too).
  if (sd_notify(0, s.c_str()) > 0) {
    ++sent_;
    return true;
  }
  ++failed_;
  return false;
}

void Notifier::ready(std::string_view status) { send(fmt::format("READY=1\nSTATUS={}", status)); }

void Notifier::reloading(Instant now) {
  send(fmt::format("RELOADING=1\nSTATUS=reloading configuration\nMONOTONIC_USEC={}", now.ns / 1000));
}

void Notifier::stopping() { send("STOPPING=1\nSTATUS=stopping"); }
void Notifier::watchdog_ping() { send("WATCHDOG=1"); }
void Notifier::status(std::string_view status) { send(fmt::format("STATUS={}", status)); }

NotifySource::NotifySource(Notifier& n, Heartbeats& beats, size_t worker, StatusFn status, Instant now,
                           Duration status_period)
    : n_(n),
      beats_(beats),
      worker_(worker),
      status_(std::move(status)),
      status_period_(status_period),
      tick_(status_period),
      next_(now),
      last_status_(now) {
  // sd_watchdog_enabled(3): ping at half the interval.
  if (n_.watchdog() > Duration::zero()) tick_ = std::min(tick_, Duration::nanos(n_.watchdog().ns / 2));
  beats_.beat(worker_, now);
  next_ = now + tick_;
}

size_t NotifySource::poll(Instant now) {
  beats_.beat(worker_, now);
  if (now < next_) return 0;
  next_ = now + tick_;
  std::string msg;
  // A worker that has not passed through its loop within half the interval
  // is stuck: no ping, and systemd acts when the interval runs out.
  if (n_.watchdog() > Duration::zero() && beats_.all_fresh(now, Duration::nanos(n_.watchdog().ns / 2)))
    msg = "WATCHDOG=1";
  if (now - last_status_ >= status_period_) {
    if (!msg.empty()) msg += '\n';
    msg += "STATUS=" + status_(now);
    last_status_ = now;
  }
  if (!msg.empty()) n_.send(msg);
  return 0;
}

}  // namespace stackd::app
