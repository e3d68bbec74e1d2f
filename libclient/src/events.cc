// Readiness from shared memory, poll over stack sockets through the
// thread's event fd, and zero-copy access to the rings.
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core.h"
#include "stackd/client.h"

using namespace stackd;
using namespace stackd::client;

namespace {

short readiness(Attachment& a, uint32_t s, const Sock& k) {
  if (a.dead.load()) return POLLIN | POLLOUT | POLLERR | POLLHUP;  // stackd gone: a reset connection
  auto& sh = a.shm(s);
  const uint32_t f = sh.flags.load(std::memory_order_acquire);
  const uint32_t avail = sh.rx.head.load(std::memory_order_acquire) - sh.rx.tail.load(std::memory_order_relaxed);
  const uint32_t space =
      a.geo.ring_bytes - (sh.tx.head.load(std::memory_order_relaxed) - sh.tx.tail.load(std::memory_order_acquire));
  short r = 0;
  if (f & abi::flag::kListening) return avail >= abi::record_size(0) ? POLLIN : 0;
  if (avail > 0 || (f & (abi::flag::kReadEof | abi::flag::kError))) r |= POLLIN;
  if (f & abi::flag::kReadEof) r |= POLLRDHUP;
  if (f & abi::flag::kError) r |= POLLERR | POLLOUT;
  if (f & abi::flag::kHup) r |= POLLHUP;
  const bool can_write = k.type != SOCK_STREAM ? space >= abi::record_size(1472)
                                              : (f & abi::flag::kConnected) && !(f & abi::flag::kWriteShut) && space > 0;
  if (can_write) r |= POLLOUT;
  return r;
}

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

extern "C" {

short stk_readiness(int s) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return POLLNVAL;
  return readiness(*a, static_cast<uint32_t>(s), *k);
}

int stk_poll(struct pollfd* fds, nfds_t nfds, int timeout_ms) {
  Attachment* a = attachment();
  if (a == nullptr) return -1;
  const int efd = stk_event_fd();
  if (efd < 0) return -1;
  for (nfds_t i = 0; i < nfds; ++i)
    if (fds[i].fd >= 0) stk_watch(fds[i].fd, 1);
  const int64_t deadline = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
  for (;;) {
    stk_event_arm();
    int n = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      fds[i].revents = 0;
      if (fds[i].fd < 0) continue;
      const short r = stk_readiness(fds[i].fd);
      fds[i].revents = static_cast<short>(r & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
      if (fds[i].revents) ++n;
    }
    if (n > 0) return n;
    const int64_t now = mono_ms();
    if (now >= deadline) return 0;
    pollfd p{efd, POLLIN, 0};
    // Bounded naps: a dead stackd is noticed as a hang-up on the next round.
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(deadline - now, 200)));
    if (r < 0) return -1;  // EINTR as poll(2)
    pollfd d{a->fd, 0, 0};
    if (::poll(&d, 1, 0) == 1 && (d.revents & POLLHUP)) {
      for (nfds_t i = 0; i < nfds; ++i) fds[i].revents = fds[i].fd >= 0 ? POLLHUP | POLLERR : 0;
      return static_cast<int>(nfds);
    }
  }
}

ssize_t stk_recv_borrow(int s, const void** data, size_t max, int flags) {
  const int handle = s;
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (k->type != SOCK_STREAM) return set_errno(-EOPNOTSUPP);
  auto& sh = a->shm(static_cast<uint32_t>(s));
  const bool nb = k->nonblock || (flags & MSG_DONTWAIT);
  auto avail = [&] { return sh.rx.head.load(std::memory_order_acquire) - sh.rx.tail.load(std::memory_order_relaxed); };
  for (;;) {
    const int w = wait_for(*a, static_cast<uint32_t>(s), nb, k->rcvtimeo_ns, [&] {
      const uint32_t g = sh.flags.load();
      if (avail() > 0 || (g & (abi::flag::kError | abi::flag::kReadEof))) return true;
      if (g & abi::flag::kRxBlocked) return false;  // stackd still holds bytes for us
      return (g & abi::flag::kHup) || !(g & (abi::flag::kConnected | abi::flag::kConnecting));
    });
    if (w < 0) return set_errno(w);
    const uint32_t n = avail();
    if (n == 0) {
      // No bytes: an error, end of stream or no connection, as recv() reports them.
      const uint32_t f = sh.flags.load();
      if (avail() > 0) continue;  // bytes published just before the flags
      if (f & abi::flag::kError) {
        char d;
        const ssize_t r = stk_recv(handle, &d, 1, MSG_DONTWAIT | MSG_PEEK);
        if (r > 0 || (r < 0 && errno == EAGAIN)) continue;
        return r < 0 ? -1 : 0;
      }
      if (f & abi::flag::kReadEof) return 0;
      if (!(f & (abi::flag::kConnected | abi::flag::kConnecting)) && !(f & abi::flag::kRxBlocked))
        return k->was_connected ? 0 : set_errno(-ENOTCONN);
      if (f & abi::flag::kRxBlocked) kick(*a, static_cast<uint32_t>(s), k->gen);
      continue;
    }
    k->rx_mu.lock();  // held until stk_recv_release
    const uint32_t tail = sh.rx.tail.load(std::memory_order_relaxed);
    auto sp = a->rx(static_cast<uint32_t>(s)).span_at(tail, static_cast<uint32_t>(std::min<size_t>(n, max)));
    *data = sp.data();
    return static_cast<ssize_t>(sp.size());
  }
}

int stk_recv_release(int s, size_t n) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  auto& sh = a->shm(static_cast<uint32_t>(s));
  sh.rx.tail.store(sh.rx.tail.load(std::memory_order_relaxed) + static_cast<uint32_t>(n), std::memory_order_seq_cst);
  if (sh.flags.load() & abi::flag::kRxBlocked) kick(*a, static_cast<uint32_t>(s), k->gen);
  k->rx_mu.unlock();
  return 0;
}

ssize_t stk_send_reserve(int s, void** data, size_t max, int flags) {
  const int handle = s;
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (k->type != SOCK_STREAM) return set_errno(-EOPNOTSUPP);
  auto& sh = a->shm(static_cast<uint32_t>(s));
  const bool nb = k->nonblock || (flags & MSG_DONTWAIT);
  auto space = [&] {
    return a->geo.ring_bytes - (sh.tx.head.load(std::memory_order_relaxed) - sh.tx.tail.load(std::memory_order_acquire));
  };
  const int w = wait_for(*a, static_cast<uint32_t>(s), nb, k->sndtimeo_ns, [&] {
    const uint32_t f = sh.flags.load();
    return (f & (abi::flag::kError | abi::flag::kHup | abi::flag::kWriteShut)) ||
           !(f & (abi::flag::kConnected | abi::flag::kConnecting)) || ((f & abi::flag::kConnected) && space() > 0);
  });
  if (w < 0) return set_errno(w);
  const uint32_t f = sh.flags.load();
  if (!(f & abi::flag::kConnected) || (f & (abi::flag::kError | abi::flag::kHup | abi::flag::kWriteShut))) {
    // What send() would say (EPIPE, ECONNRESET, ...).
    const ssize_t r = stk_send(handle, "", 0, flags | MSG_DONTWAIT);
    if (r >= 0) errno = EPIPE;
    return -1;
  }
  k->tx_mu.lock();  // held until stk_send_commit
  const uint32_t head = sh.tx.head.load(std::memory_order_relaxed);
  auto sp = a->tx(static_cast<uint32_t>(s)).span_at(head, static_cast<uint32_t>(std::min<size_t>(space(), max)));
  *data = sp.data();
  return static_cast<ssize_t>(sp.size());
}

int stk_send_commit(int s, size_t n) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  auto& sh = a->shm(static_cast<uint32_t>(s));
  sh.tx.head.store(sh.tx.head.load(std::memory_order_relaxed) + static_cast<uint32_t>(n), std::memory_order_release);
  kick(*a, static_cast<uint32_t>(s), k->gen);
  k->tx_mu.unlock();
  return 0;
}

}  // extern "C"
