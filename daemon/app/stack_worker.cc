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
  log::raw(format_report(stack_.counters(), stack_.drops(), stack_.interfaces()));
}

}  // namespace stackd::app
