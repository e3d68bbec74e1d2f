#include "policy.h"

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace stackd::shim {

namespace {
std::atomic<bool> g_unreachable{false};
std::atomic<bool> g_said_banner{false};

const char* socket_path() {
  const char* p = std::getenv("STACKD_SOCKET");
  return p != nullptr ? p : "/run/stackd/stackd.sock";
}
}  // namespace

const Policy& policy() {
  static const Policy p = [] {
    Policy r;
    const char* f = std::getenv("STACKD_FALLBACK");
    if (f != nullptr && std::strcmp(f, "fail") == 0) r.fallback = Fallback::kFail;
    const char* l = std::getenv("STACKD_LOOPBACK");
    if (l != nullptr && std::strcmp(l, "stack") == 0) r.loopback_on_kernel = false;
    const char* q = std::getenv("STACKD_QUIET");
    r.quiet = q != nullptr && std::strcmp(q, "1") == 0;
    return r;
  }();
  return p;
}

bool is_unreachable_errno(int e) {
  return e == ENOENT || e == ECONNREFUSED || e == EACCES || e == EPERM || e == EPROTO || e == ECONNRESET ||
         e == ENOTDIR || e == ENOTSOCK;
}

bool stackd_unreachable() { return g_unreachable.load(std::memory_order_relaxed); }

void say_unreachable(int e) {
  if (g_unreachable.exchange(true)) return;
  if (policy().fallback == Fallback::kKernel)
    std::fprintf(stderr, "stackshim: stackd unreachable at %s (%s); fallback=kernel: sockets of pid %d use the Linux kernel\n",
                 socket_path(), std::strerror(e), getpid());
  else
    std::fprintf(stderr, "stackshim: stackd unreachable at %s (%s); fallback=fail: socket() fails with ENETDOWN\n",
                 socket_path(), std::strerror(e));
}

void say_banner() {
  if (policy().quiet || g_said_banner.exchange(true)) return;
  std::fprintf(stderr, "stackshim: pid %d runs its AF_INET and AF_INET6 sockets on stackd (%s)\n", getpid(), socket_path());
}

bool is_loopback(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < sizeof(sa_family_t)) return false;
  if (sa->sa_family == AF_INET) {
    if (len < sizeof(sockaddr_in)) return false;
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    return (ntohl(sin.sin_addr.s_addr) >> 24) == 127;
  }
  // sin6_scope_id is optional (Linux SIN6_LEN_RFC2133): the address ends at byte 24.
  if (sa->sa_family != AF_INET6 || len < offsetof(sockaddr_in6, sin6_scope_id)) return false;
  in6_addr a;
  std::memcpy(&a, reinterpret_cast<const char*>(sa) + offsetof(sockaddr_in6, sin6_addr), sizeof(a));
  // RFC 4291 §2.5.3 (::1) and §2.5.5.2 (::ffff:127.x.y.z, an IPv4 loopback address).
  return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
}

}  // namespace stackd::shim
