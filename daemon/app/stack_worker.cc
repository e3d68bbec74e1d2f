#include "app/stack_worker.h"

#include "app/log.h"
#include "app/report.h"
#include "l2/interface.h"

namespace stackd::app {

size_t StackWorker::poll(Instant now) {
  size_t n = stack_.poll(now);
  size_t m = 0;
  for (LoopSource* s : sources_) m += s->poll(now);
  // Requests served by a source may have queued frames (a SYN, data): send
  // them now rather than at the next wake-up.
  if (m > 0) n += stack_.poll(now);
  return n + m;
}

Instant StackWorker::poll_at() const {
  Instant t = stack_.poll_at();
  for (const LoopSource* s : sources_) t = earliest(t, s->poll_at());
  return t;
}

void StackWorker::reload(Instant now) {
  if (reload_)
    reload_(now);
  else
    Worker::reload(now);
}

ReloadResult StackWorker::reload_config(Instant now) {
  if (reload_) return reload_(now);
  ReloadResult r;
  r.errors.push_back(ConfigError{"", 0, 0, "", "configuration reload is not set up"});
  return r;
}

std::string StackWorker::status(Instant now) {
  size_t up = 0, total = 0;
  uint64_t rx = 0, tx = 0;
  for (const auto& i : stack_.interfaces()) {
    if (!i) continue;
    ++total;
    if (i->up) ++up;
    rx += i->stats.rx_packets;
    tx += i->stats.tx_packets;
  }
  std::string s = fmt::format("{}/{} interfaces up, {} TCP connections, {} services", up, total,
                              stack_.counters()[Counter::TcpCurrEstab], stack_.config().services.size());
  if (last_status_.ns != 0 && now > last_status_) {
    double secs = (now - last_status_).as_seconds();
    s += fmt::format(", rx {:.0f} pps, tx {:.0f} pps", static_cast<double>(rx - last_rx_) / secs,
                     static_cast<double>(tx - last_tx_) / secs);
  }
  last_status_ = now;
  last_rx_ = rx;
  last_tx_ = tx;
  return s;
}

void StackWorker::report() {
  std::string out = format_report(stack_.counters(), stack_.gauges(), stack_.drops(), stack_.interfaces());
  // The sources' lines go with the counters, before the report's end marker.
  std::string extra;
  for (const LoopSource* s : sources_) s->report(extra);
  const auto end = out.rfind("# end of counters");
  out.insert(end == std::string::npos ? out.size() : end, extra);
  log::raw(out);
}

}  // namespace stackd::app
