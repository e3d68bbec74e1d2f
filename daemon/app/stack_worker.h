// The runtime's Worker over the stack core: poll/poll_at pass through to the
// stack and then to every LoopSource (client rings, control commands), and
// report() writes the counter report (report.h) to the log.
#pragma once

#include <vector>

#include "app/loop_source.h"
#include "app/runtime.h"
#include "stack/stack.h"

namespace stackd::app {

class StackWorker final : public Worker {
 public:
  explicit StackWorker(stack::Stack& s) : stack_(s) {}
  // Sources are polled in the order they were added, after the stack.
  void add_source(LoopSource* src) { sources_.push_back(src); }
  size_t poll(Instant now) override;
  Instant poll_at() const override;
  void report() override;

 private:
  stack::Stack& stack_;
  std::vector<LoopSource*> sources_;
};

}  // namespace stackd::app
