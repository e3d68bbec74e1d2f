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

  // Socket fds (abi/attach.h "Socket fds"), for slots whose client gave
  // stackd the end B of the socket's socketpair. Defaults do nothing (a
  // shell without socket fds).
  // One byte on B: the client's end A becomes readable (a new edge).
  // False when the byte could not be written.
  virtual bool fd_readable(uint32_t /*slot*/) { return false; }
  // Empty B: A's send buffer drains, A becomes writable.
  virtual void fd_writable(uint32_t /*slot*/) {}
  // shutdown(B, SHUT_WR): A reads end of stream (end of stream, hang-up).
  virtual void fd_shutdown(uint32_t /*slot*/) {}
  // The slot closed: close B (A then reports hang-up).
  virtual void fd_closed(uint32_t /*slot*/) {}
};

}  // namespace stackd::session
