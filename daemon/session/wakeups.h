// What the socket table asks of the I/O shell around it (daemon/ipc) when
// something a client waits for changed. The table itself makes no system
// calls (DESIGN.md: the stack core has none); the shell turns these into a
// futex wake on the shared word and a byte on a channel's event socket.
#pragma once

#include <atomic>
#include <cstdint>

namespace stackd::session {

class Wakeups {
 public:
  virtual ~Wakeups() = default;
  // Wake every thread waiting on `word` (a word of the client's segment).
  virtual void wake(std::atomic<uint32_t>* word) = 0;
  // Report news on the pollable event fd of `channel` (if it registered one).
  virtual void signal_channel(uint32_t channel) = 0;
};

}  // namespace stackd::session
