// The client library's internals: the attachment (unix socket + mapped
// segment), per-thread channels, per-socket client state and the waits.
// The daemon is trusted here (it owns the protocols); the client guards only
// against its own threads (a mutex per socket direction makes the SPSC
// rings single-producer/single-consumer when threads share a socket).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "stackd/abi/attach.h"
#include "stackd/abi/ring.h"
#include "stackd/abi/segment.h"

namespace stackd::client {

// A lock whose word is in the shared segment (SocketShm::rx_lock...), so
// threads of every process holding the socket take turns (a per-process
// std::mutex let two forked processes corrupt a ring's consumer index).
// BasicLockable. A process killed while holding one blocks the socket's
// other users in that direction.
struct ShmLock {
  std::atomic<uint32_t>* word = nullptr;
  void lock();
  void unlock();
};

struct Sock {
  ShmLock rx_mu, tx_mu;
  std::atomic<bool> open{false};
  uint32_t gen = 0;
  int type = 0;  // SOCK_STREAM / SOCK_DGRAM / SOCK_RAW (datagram rings as UDP)
  int domain = 0;  // AF_INET / AF_INET6 (which sockaddr it takes, sockaddr.h)
  std::atomic<bool> nonblock{false};
  std::atomic<int64_t> rcvtimeo_ns{0}, sndtimeo_ns{0};  // 0 = forever
  std::atomic<bool> was_connected{false};
  std::atomic<bool> udp_connected{false};
  std::atomic<bool> broadcast{false};  // SO_BROADCAST (for the limited broadcast check)
  std::atomic<int> kfd{-1};  // the socket's kernel fd A (abi/attach.h "Socket fds"), -1 = none
  ShmLock fd_mu;             // one thread (of any process) empties A at a time
};

struct Attachment {
  uint32_t epoch = 0;  // the how-manieth attachment of this process (handles carry it)
  int fd = -1;
  int memfd = -1;  // the segment's memfd, kept for exec (STACKD_ATTACH, exec.cc)
  uint8_t* base = nullptr;
  size_t size = 0;
  abi::Geometry geo;
  std::vector<Sock> socks;
  std::atomic<bool> dead{false};
  std::mutex overflow_mu;  // the last channel, shared when every other is claimed
  // Channels claimed by this process image's threads (1 = ours), so that
  // the image that replaces it at exec can free them (exec.cc).
  std::unique_ptr<std::atomic<uint8_t>[]> mine;

  abi::SocketShm& shm(uint32_t s) const {
    return reinterpret_cast<abi::SocketShm*>(base + geo.sockets_off)[s];
  }
  abi::Channel& channel(uint32_t c) const {
    return reinterpret_cast<abi::Channel*>(base + geo.channels_off)[c];
  }
  abi::RingBytes rx(uint32_t s) const {
    return {base + geo.rings_off + size_t{s} * 2 * geo.ring_bytes, geo.ring_bytes};
  }
  abi::RingBytes tx(uint32_t s) const {
    return {base + geo.rings_off + (size_t{s} * 2 + 1) * geo.ring_bytes, geo.ring_bytes};
  }
};

// A new Attachment over an attach connection `fd`, the segment's memfd
// and its mapping (both kept by the Attachment).
Attachment* make_attachment(int fd, int memfd, void* base, const abi::Geometry& g);
// Make `a` the process's attachment (a new epoch); false when out of epochs.
bool install_attachment(Attachment* a);
// The attachment if the process has one, without attaching.
Attachment* current_attachment();

// The attachment, attaching on first use and again after stackd went away
// (new sockets work once it is back); nullptr with errno set.
Attachment* attachment();
// Handles are (epoch << 16) | slot: a socket of an attachment whose stackd
// died keeps failing as a reset connection, never aliases a new socket.
int handle_of(const Attachment& a, uint32_t slot);
// The attachment and socket behind handle `s` (rewritten to the slot), or
// nullptr with errno = EBADF.
Sock* sock_of(int& s, Attachment** a);
// stackd gone? (its end of the attach socket closed; sets Attachment::dead)
bool daemon_gone(Attachment& a);

// A request on this thread's channel; fills `out`. Returns out.result or
// -ECONNRESET when stackd is gone.
int call(Attachment& a, abi::Request& req, abi::Response& out);
// Tell stackd that socket `s`'s rings moved (coalesced by SocketShm::kick).
void kick(Attachment& a, uint32_t s, uint32_t gen);
void doorbell(Attachment& a);
// This thread's channel index (claimed on first use).
uint32_t my_channel(Attachment& a);

// Wait until ready() or the timeout (ns, 0 = forever; nonblock = return at
// once). 0, -EAGAIN (timeout / would block), -ECONNRESET (stackd gone).
int wait_for(Attachment& a, uint32_t s, bool nonblock, int64_t timeout_ns, const std::function<bool()>& ready);

// Socket `s` of `a` is open in this process as (gen, type), fresh
// per-process state (timeouts, connected, no fd yet).
void open_sock(Attachment& a, uint32_t s, uint32_t gen, int type, bool nonblock);

int set_errno(int neg);  // -errno -> -1 with errno set; >= 0 passes through

// Linux sends SIGPIPE with EPIPE unless MSG_NOSIGNAL.
int epipe(int flags);

extern std::atomic<uint32_t> g_busy_poll_us;

// Socket fds (abi/attach.h): after a receive left the rx ring empty, empty
// the fd's readable bytes (exactly those stackd counted) and re-arm; after a send or connect, fill the
// fd's send buffer when the socket is not writable. No-ops without an fd.
void fd_settle_rx(Attachment& a, uint32_t s, Sock& k);
void fd_settle_tx(Attachment& a, uint32_t s, Sock& k);
// After a receive or accept: settle when it would block (EAGAIN, even if
// bytes came meanwhile) or left the ring empty.
void fd_after_rx(Attachment& a, uint32_t s, Sock& k, bool would_block);

}  // namespace stackd::client
