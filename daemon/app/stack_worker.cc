#include "app/stack_worker.h"

#include "app/log.h"
#include "app/report.h"

namespace stackd::app {

void StackWorker::report() {
  log::raw(format_report(stack_.counters(), stack_.gauges(), stack_.drops(), stack_.interfaces()));
}

}  // namespace stackd::app
