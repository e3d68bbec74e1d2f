#include "app/stack_worker.h"

#include "app/log.h"
#include "app/report.h"

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

void StackWorker::report() {
  std::string out = format_report(stack_.counters(), stack_.drops(), stack_.interfaces());
  // The sources' lines go with the counters, before the report's end marker.
  std::string extra;
  for (const LoopSource* s : sources_) s->report(extra);
  const auto end = out.rfind("# end of counters");
  out.insert(end == std::string::npos ? out.size() : end, extra);
  log::raw(out);
}

}  // namespace stackd::app
