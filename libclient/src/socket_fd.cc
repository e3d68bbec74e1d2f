// Socket fds: a stack socket as a real kernel fd (abi/attach.h "Socket
// fds"). The fd A is one end of an AF_UNIX stream socketpair whose other end
// B stackd holds; stackd makes A readable / hung up, the client makes it
// unwritable, each following the socket's readiness (abi::fd_readable,
// abi::fd_writable). The calls on A are raw system calls: an LD_PRELOAD shim
// routes recv/send on A to this library, which must not come back to it.
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core.h"
#include "stackd/client.h"

using namespace stackd;
using namespace stackd::client;

namespace stackd::client {

namespace {
uint32_t flags_now(Attachment& a, uint32_t s) { return a.shm(s).flags.load(std::memory_order_seq_cst); }
uint32_t rx_used(Attachment& a, uint32_t s) {
  auto& sh = a.shm(s);
  return sh.rx.head.load(std::memory_order_seq_cst) - sh.rx.tail.load(std::memory_order_seq_cst);
}
uint32_t tx_free(Attachment& a, uint32_t s) {
  auto& sh = a.shm(s);
  const uint32_t used = sh.tx.head.load(std::memory_order_seq_cst) - sh.tx.tail.load(std::memory_order_seq_cst);
  return used > a.geo.ring_bytes ? 0 : a.geo.ring_bytes - used;
}
}  // namespace

void fd_settle_rx(Attachment& a, uint32_t s, Sock& k) {
  const int fd = k.kfd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  std::lock_guard lk(k.fd_mu);
  abi::SocketShm& sh = a.shm(s);
  uint32_t owed = sh.fd_rx_signals.exchange(abi::kFdParking, std::memory_order_seq_cst);
  if (owed == abi::kFdParking || owed > abi::kFdMaxEdges) owed = 0;  // not stackd's count: nothing to wait for
  // Read exactly the bytes stackd counted; one may still be on its way
  // (counted, not yet written): wait for it, briefly (100 ms at most).
  uint8_t buf[abi::kFdMaxEdges];
  for (int naps = 0; owed > 0 && naps < 100;) {
    const long r = syscall(SYS_recvfrom, fd, buf, owed, MSG_DONTWAIT, nullptr, nullptr);
    if (r > 0) {
      owed -= static_cast<uint32_t>(r);
    } else if (r == 0) {
      break;  // end of stream: nothing more comes
    } else if (errno == EAGAIN || errno == EINTR) {
      pollfd p{fd, POLLIN, 0};
      timespec ts{0, 1'000'000};
      syscall(SYS_ppoll, &p, 1, &ts, nullptr, 0);
      ++naps;
    } else {
      break;
    }
  }
  sh.fd_rx_signals.store(0, std::memory_order_seq_cst);
  // Bytes that arrived while we emptied the fd: stackd signals again.
  if (abi::fd_readable(flags_now(a, s), rx_used(a, s))) kick(a, s, k.gen);
}

// The edge promise of EAGAIN: a program told "would block" (edge-triggered
// epoll) waits for the next edge, which stackd gives only while it counts
// fewer than kFdMaxEdges unread bytes in the pair. Bytes that reach the ring
// between the call's look at it and this point were signalled with a byte
// only if the count allowed it; settling here (the count back to 0, and a
// kick because the ring is not empty) makes stackd write a fresh byte, so
// the edge comes. Settling only when the ring was found empty missed them
// (count at 8: no byte, no edge). The other way an edge was lost, end of
// stream signalled too early, is in daemon/session/client_sockets.cc.
void fd_after_rx(Attachment& a, uint32_t s, Sock& k, bool would_block) {
  if (would_block || rx_used(a, s) == 0) fd_settle_rx(a, s, k);
}

void fd_settle_tx(Attachment& a, uint32_t s, Sock& k) {
  const int fd = k.kfd.load(std::memory_order_relaxed);
  if (fd < 0 || abi::fd_writable(flags_now(a, s), tx_free(a, s), a.geo.ring_bytes)) return;
  static const uint8_t filler[4096] = {};
  for (int i = 0; i < 64; ++i)
    if (syscall(SYS_sendto, fd, filler, sizeof(filler), MSG_DONTWAIT | MSG_NOSIGNAL, nullptr, 0) <= 0) break;
  a.shm(s).fd_tx_clogged.store(1, std::memory_order_seq_cst);
  // Room (or the connection) that came while we filled: stackd empties B.
  if (abi::fd_writable(flags_now(a, s), tx_free(a, s), a.geo.ring_bytes)) kick(a, s, k.gen);
}

}  // namespace stackd::client

extern "C" {

int stk_socket_fd(int s, int flags) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return set_errno(-EINVAL);
  if (k->kfd.load() >= 0) return set_errno(-EEXIST);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  // A's send buffer at its minimum: a few KiB of filler make it unwritable.
  const int one = 1;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
  if (!(flags & SOCK_CLOEXEC)) fcntl(sv[0], F_SETFD, 0);
  if (flags & SOCK_NONBLOCK) fcntl(sv[0], F_SETFL, O_NONBLOCK);
  abi::OpenSocketFdMsg m{};
  m.type = static_cast<uint8_t>(abi::AttachMsg::kOpenSocketFd);
  m.sock = static_cast<uint32_t>(s);
  m.gen = k->gen;
  iovec iov{&m, sizeof(m)};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof(cbuf);
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
  const ssize_t r = sendmsg(a->fd, &mh, MSG_NOSIGNAL);
  const int err = errno;
  close(sv[1]);
  if (r < 0) {
    close(sv[0]);
    errno = err;
    return -1;
  }
  k->kfd.store(sv[0]);
  // The state before stackd had B: a connect in progress, a full tx ring.
  fd_settle_tx(*a, static_cast<uint32_t>(s), *k);
  return sv[0];
}

int stk_set_socket_fd(int s, int fd) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  k->kfd.store(fd);
  return 0;
}

int stk_forget(int s) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (k->kfd.load() < 0) return set_errno(-EINVAL);  // only sockets whose fd's close closes them
  k->kfd.store(-1);
  k->open.store(false);
  return 0;
}

int stk_ioctl(int s, unsigned long req, int* arg) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (arg == nullptr) return set_errno(-EFAULT);
  const uint32_t slot = static_cast<uint32_t>(s);
  switch (req) {
    case FIONBIO: k->nonblock = *arg != 0; return 0;
    case FIONREAD: {  // == SIOCINQ
      if (flags_now(*a, slot) & abi::flag::kListening) return set_errno(-EINVAL);
      const uint32_t used = rx_used(*a, slot);
      if (k->type != SOCK_STREAM) {
        // The next datagram's size, as Linux's UDP answers.
        abi::RecordHeader h{};
        if (used >= sizeof(h)) a->rx(slot).copy_out(a->shm(slot).rx.tail.load(), &h, sizeof(h));
        *arg = used >= sizeof(h) ? static_cast<int>(h.len) : 0;
      } else {
        *arg = static_cast<int>(used);
      }
      return 0;
    }
    case SIOCOUTQ: *arg = static_cast<int>(a->geo.ring_bytes - tx_free(*a, slot)); return 0;
    default: return set_errno(-ENOTTY);
  }
}

}  // extern "C"
