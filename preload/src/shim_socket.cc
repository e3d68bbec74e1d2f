// Interposers for socket creation and control: socket, bind, listen,
// accept, connect, close, shutdown, options, names, dup*, fcntl, ioctl.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>

#include "libc.h"
#include "policy.h"
#include "shim.h"
#include "stackd/client.h"

namespace stackd::shim {

FdTable& table() {
  // Sized by the fd limit at first use (an fd beyond it cannot exist unless
  // the program raises the limit later: those fds stay on the kernel path).
  static FdTable* t = [] {
    rlimit rl{};
    int cap = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      cap = static_cast<int>(rl.rlim_cur < 1048576 ? rl.rlim_cur : 1048576);
    if (cap < 1024) cap = 1024;
    return new FdTable(cap);  // never freed: threads may run past exit handlers
  }();
  return *t;
}

int adopt(int h, int flags) {
  const int fd = stk_socket_fd(h, flags & (SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (fd < 0) {
    const int e = errno;
    stk_close(h);
    errno = e;
    return -1;
  }
  if (!table().add(fd, h)) {
    REAL(close)(fd);  // its hang-up closes the socket in stackd
    stk_forget(h);
    errno = EMFILE;
    return -1;
  }
  return fd;
}

void release(const FdTable::Removed& r) {
  if (r.handle < 0) return;
  if (r.last) stk_forget(r.handle);
  else stk_set_socket_fd(r.handle, r.other_fd);
}

}  // namespace stackd::shim

using namespace stackd::shim;

extern "C" {

int socket(int domain, int type, int protocol) {
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  // SOCK_RAW AF_INET (raw(7)) too; and ICMP datagram ("ping") sockets,
  // which stackd does not have: stk_socket answers EPROTONOSUPPORT, as
  // Linux built without them, and ping falls back to SOCK_RAW on stackd.
  const bool raw = domain == AF_INET && base == SOCK_RAW;
  const bool ping = domain == AF_INET && base == SOCK_DGRAM && protocol == IPPROTO_ICMP;
  const bool ours = raw || ping ||
                    ((domain == AF_INET || domain == AF_INET6) && (base == SOCK_STREAM || base == SOCK_DGRAM) &&
                     (protocol == 0 || protocol == (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP)));
  if (!ours || (stackd_unreachable() && policy().fallback == Fallback::kKernel)) return REAL(socket)(domain, type, protocol);
  if (stackd_unreachable()) {
    errno = ENETDOWN;
    return -1;
  }
  const int h = stk_socket(domain, type, protocol);
  if (h < 0) {
    const int e = errno;
    // EPERM for SOCK_RAW: stackd refused this client raw sockets (Linux's
    // answer without CAP_NET_RAW), not a sign that stackd is unreachable.
    if (!is_unreachable_errno(e) || (raw && e == EPERM)) return -1;
    say_unreachable(e);
    if (policy().fallback == Fallback::kKernel) return REAL(socket)(domain, type, protocol);
    errno = ENETDOWN;
    return -1;
  }
  say_banner();
  return adopt(h, type);
}

int bind(int fd, const sockaddr* addr, socklen_t len) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(bind)(fd, addr, len);
  if (policy().loopback_on_kernel && is_loopback(addr, len)) {
    if (hand_over_to_kernel(fd, h) != 0) return -1;
    return REAL(bind)(fd, addr, len);
  }
  return stk_bind(h, addr, len);
}

int listen(int fd, int backlog) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(listen)(fd, backlog) : stk_listen(h, backlog);
}

int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(accept4)(fd, addr, len, flags);
  const int c = stk_accept4(h, addr, len, flags & SOCK_NONBLOCK);
  if (c < 0) return -1;
  return adopt(c, flags);
}

int accept(int fd, sockaddr* addr, socklen_t* len) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(accept)(fd, addr, len);
  return accept4(fd, addr, len, 0);
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
  const int h = table().handle(fd);
  if (h < 0) return REAL(connect)(fd, addr, len);
  if (policy().loopback_on_kernel && is_loopback(addr, len)) {
    if (hand_over_to_kernel(fd, h) != 0) return -1;
    return REAL(connect)(fd, addr, len);
  }
  return stk_connect(h, addr, len);
}

int close(int fd) {
  if (table().handle(fd) < 0) return REAL(close)(fd);
  // Out of the table before the number is free for another thread's socket().
  const FdTable::Removed r = table().remove(fd);
  const int res = REAL(close)(fd);
  release(r);
  return res;
}

int shutdown(int fd, int how) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(shutdown)(fd, how) : stk_shutdown(h, how);
}

int getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(getsockopt)(fd, level, name, val, len) : stk_getsockopt(h, level, name, val, len);
}

int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(setsockopt)(fd, level, name, val, len) : stk_setsockopt(h, level, name, val, len);
}

int getsockname(int fd, sockaddr* addr, socklen_t* len) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(getsockname)(fd, addr, len) : stk_getsockname(h, addr, len);
}

int getpeername(int fd, sockaddr* addr, socklen_t* len) {
  const int h = table().handle(fd);
  return h < 0 ? REAL(getpeername)(fd, addr, len) : stk_getpeername(h, addr, len);
}

int dup(int fd) {
  const int n = REAL(dup)(fd);
  if (n >= 0) table().dup(fd, n);
  return n;
}

// dup2/dup3: newfd's old socket (if ours) is released once the kernel
// replaced the number.
int dup3(int oldfd, int newfd, int flags) {
  if (oldfd == newfd || (table().handle(oldfd) < 0 && table().handle(newfd) < 0)) return REAL(dup3)(oldfd, newfd, flags);
  const FdTable::Removed r = table().remove(newfd);
  const int n = REAL(dup3)(oldfd, newfd, flags);
  if (n < 0) {
    if (r.handle >= 0) table().add(newfd, r.handle);  // nothing happened
    return -1;
  }
  release(r);
  table().dup(oldfd, newfd);
  return n;
}

int dup2(int oldfd, int newfd) {
  if (oldfd == newfd) return REAL(dup2)(oldfd, newfd);  // EBADF check as the kernel does
  return dup3(oldfd, newfd, 0);
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  const int h = table().handle(fd);
  if (h < 0) return REAL(fcntl)(fd, cmd, arg);
  switch (cmd) {
    case F_SETFL: {
      // The kernel fd keeps O_NONBLOCK too: F_GETFL and the fd's own
      // blocking behaviour answer as Linux does.
      const int r = REAL(fcntl)(fd, cmd, arg);
      if (r == 0) stk_fcntl(h, F_SETFL, static_cast<int>(arg));
      return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const int n = REAL(fcntl)(fd, cmd, arg);
      if (n >= 0) table().dup(fd, n);
      return n;
    }
    default: return REAL(fcntl)(fd, cmd, arg);
  }
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const int h = table().handle(fd);
  if (h < 0 || (req != FIONBIO && req != FIONREAD && req != SIOCOUTQ)) return REAL(ioctl)(fd, req, arg);
  if (req == FIONBIO) {
    const int r = REAL(ioctl)(fd, req, arg);
    return r == 0 ? stk_ioctl(h, req, static_cast<int*>(arg)) : r;
  }
  return stk_ioctl(h, req, static_cast<int*>(arg));
}

}  // extern "C"
