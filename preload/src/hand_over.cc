// The loopback hand-over (DESIGN.md "The shim"): a stack socket becomes a
// kernel socket of the same family, type, flags and options, under the same
// fd number, before its bind/connect to a loopback address (or an unbound
// UDP socket's first send there).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libc.h"
#include "policy.h"
#include "shim.h"
#include "stackd/client.h"

namespace stackd::shim {

namespace {

struct Opt {
  int level, name;
  bool v6_only;  // IPPROTO_IPV6: only on an AF_INET6 socket
};

// What stackd keeps per socket (daemon/session/socket_options.cc), as the
// program may have set it before the bind/connect. SO_RCVTIMEO/SO_SNDTIMEO
// live in the library, SO_LINGER is a struct: all read the same way.
constexpr Opt kOpts[] = {
    {SOL_SOCKET, SO_REUSEADDR, false},    {SOL_SOCKET, SO_REUSEPORT, false},      {SOL_SOCKET, SO_BROADCAST, false},
    {SOL_SOCKET, SO_KEEPALIVE, false},    {SOL_SOCKET, SO_LINGER, false},         {SOL_SOCKET, SO_RCVTIMEO, false},
    {SOL_SOCKET, SO_SNDTIMEO, false},     {IPPROTO_TCP, TCP_NODELAY, false},      {IPPROTO_TCP, TCP_CORK, false},
    {IPPROTO_TCP, TCP_KEEPIDLE, false},   {IPPROTO_TCP, TCP_KEEPINTVL, false},    {IPPROTO_TCP, TCP_KEEPCNT, false},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, false}, {IPPROTO_IPV6, IPV6_V6ONLY, true},    {IPPROTO_IPV6, IPV6_UNICAST_HOPS, true},
    {IPPROTO_IPV6, IPV6_TCLASS, true},
};

// Each option whose stack value differs from the fresh kernel socket's is
// set on it. Best effort, as a program's own setsockopt would have been:
// an option one side does not know (TCP options on UDP) is skipped.
void copy_options(int h, int k, int domain) {
  for (const Opt& o : kOpts) {
    if (o.v6_only && domain != AF_INET6) continue;
    alignas(timeval) unsigned char mine[32] = {}, theirs[32] = {};
    socklen_t ml = sizeof(mine), tl = sizeof(theirs);
    if (stk_getsockopt(h, o.level, o.name, mine, &ml) != 0) continue;
    if (REAL(getsockopt)(k, o.level, o.name, theirs, &tl) != 0) continue;
    if (ml == tl && std::memcmp(mine, theirs, ml) == 0) continue;
    REAL(setsockopt)(k, o.level, o.name, mine, ml);
  }
}

}  // namespace

int hand_over_to_kernel(int fd, int h) {
  int type = 0, domain = 0;
  socklen_t tl = sizeof(type), dl = sizeof(domain);
  if (stk_getsockopt(h, SOL_SOCKET, SO_TYPE, &type, &tl) != 0) return -1;
  if (stk_getsockopt(h, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0) return -1;
  const int fl = REAL(fcntl)(fd, F_GETFL);
  const int fdfl = REAL(fcntl)(fd, F_GETFD);
  const int k = REAL(socket)(domain, type | SOCK_CLOEXEC | ((fl & O_NONBLOCK) ? SOCK_NONBLOCK : 0), 0);
  if (k < 0) return -1;
  copy_options(h, k, domain);
  release(table().remove(fd));
  // dup3 replaces the number atomically; the stack socket's fd closes with it.
  const int r = REAL(dup3)(k, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
  const int e = errno;
  REAL(close)(k);
  errno = e;
  return r < 0 ? -1 : 0;
}

int hand_over_for_send(int fd, int h, const sockaddr* to, socklen_t len) {
  if (!policy().loopback_on_kernel || !is_loopback(to, len)) return 0;
  int type = 0;
  socklen_t tl = sizeof(type);
  if (stk_getsockopt(h, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM) return 0;
  sockaddr_storage me{};
  socklen_t ml = sizeof(me);
  if (stk_getsockname(h, reinterpret_cast<sockaddr*>(&me), &ml) != 0) return 0;
  // Port 0 at the same offset in sockaddr_in and sockaddr_in6: not bound.
  if (reinterpret_cast<const sockaddr_in*>(&me)->sin_port != 0) return 0;  // bound on stackd: stays there
  return hand_over_to_kernel(fd, h) == 0 ? 1 : -1;
}

}  // namespace stackd::shim
