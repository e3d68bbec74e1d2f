// The runtime's Worker over the stack core: poll/poll_at pass through to the
// stack and then to every LoopSource (client rings, control commands), and
// report() writes the counter report (report.h) to the log.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/loop_source.h"
#include "app/reload.h"
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
  // SIGHUP: reload_config(now), result logged there; without a hook, the
  // Worker default (logged as not supported).
  void reload(Instant now) override;
  // The reload itself (main sets the hook to app/reload.h's reload() over
  // its ReloadContext). The control plane's Config.Reload handler, which
  // runs on this worker's thread, calls it for the ReloadResult.
  ReloadResult reload_config(Instant now);
  void set_reload(std::function<ReloadResult(Instant)> fn) { reload_ = std::move(fn); }

  // The one-line summary for STATUS= (systemctl status):
  // "2/2 interfaces up, 3 TCP connections, 2 services, rx 120 pps, tx 118 pps";
  // rates over the time since the previous call.
  std::string status(Instant now);

 private:
  stack::Stack& stack_;
  std::vector<LoopSource*> sources_;
  std::function<ReloadResult(Instant)> reload_;
  Instant last_status_{};
  uint64_t last_rx_ = 0, last_tx_ = 0;
};

}  // namespace stackd::app
