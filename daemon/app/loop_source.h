// A source of work the dataplane worker serves besides the NIC devices, in
// the same run-to-completion loop (DESIGN.md: "the dataplane worker serves
// client rings in the same loop as the NIC"): the client attach listener and
// its clients' rings (daemon/ipc), the control plane's command queue
// (daemon/control).
//
//   StackWorker worker(stack);  worker.add_source(&ipc);   // before Runtime::create
//   wait_fds += ipc.wait_fds();                             // readable = work to do
//
// poll() runs on the worker's thread after Stack::poll (so requests see the
// stack between bursts, never during one); poll_at() joins the worker's
// deadline. A source with more fds than it wants to expose (one per client)
// aggregates them behind one epoll fd.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/time.h"

namespace stackd::app {

class LoopSource {
 public:
  virtual ~LoopSource() = default;
  // Fds whose readability means poll() has work; fixed for the source's life.
  virtual std::vector<int> wait_fds() const = 0;
  // Do the work that is ready; returns how much (0 = idle).
  virtual size_t poll(Instant now) = 0;
  // The earliest instant poll() has timer work (Instant::never()).
  virtual Instant poll_at() const { return Instant::never(); }
  // Counter/gauge lines ("Name<spaces>value\n") for the counter report.
  virtual void report(std::string& /*out*/) const {}
};

}  // namespace stackd::app
