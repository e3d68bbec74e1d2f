// The runtime's Worker over the stack core: poll/poll_at pass through, and
// report() writes the counter report (report.h) to the log.
#pragma once

#include "app/runtime.h"
#include "stack/stack.h"

namespace stackd::app {

class StackWorker final : public Worker {
 public:
  explicit StackWorker(stack::Stack& s) : stack_(s) {}
  size_t poll(Instant now) override { return stack_.poll(now); }
  Instant poll_at() const override { return stack_.poll_at(); }
  void report() override;

 private:
  stack::Stack& stack_;
};

}  // namespace stackd::app
