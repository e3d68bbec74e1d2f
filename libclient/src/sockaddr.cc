#include "sockaddr.h"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stackd::client {

// Linux SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id is accepted.
constexpr socklen_t kSin6MinLen = 24;

int to_wire(const sockaddr* sa, socklen_t len, int domain, abi::WireAddr* w, bool v4_on_v6) {
  if (sa == nullptr) return -EINVAL;
  if (domain == AF_INET6 && v4_on_v6 && len >= sizeof(sa_family_t) && sa->sa_family == AF_INET)
    domain = AF_INET;
  if (len < (domain == AF_INET6 ? kSin6MinLen : socklen_t{sizeof(sockaddr_in)})) return -EINVAL;
  if (sa->sa_family != (domain == AF_INET6 ? AF_INET6 : AF_INET)) return -EAFNOSUPPORT;
  *w = abi::WireAddr{};
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    w->family = AF_INET;
    w->port = ntohs(sin.sin_port);
    std::memcpy(w->addr, &sin.sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, std::min<size_t>(len, sizeof(sin6)));
    w->family = AF_INET6;
    w->port = ntohs(sin6.sin6_port);
    std::memcpy(w->addr, &sin6.sin6_addr, 16);
    return 0;
  }
  return -EAFNOSUPPORT;
}

void from_wire(const abi::WireAddr& w, sockaddr* sa, socklen_t* len) {
  if (sa == nullptr || len == nullptr) return;
  if (w.family == AF_INET6) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(w.port);
    std::memcpy(&sin6.sin6_addr, w.addr, 16);
    std::memcpy(sa, &sin6, std::min<size_t>(*len, sizeof(sin6)));
    *len = sizeof(sin6);
    return;
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(w.port);
  std::memcpy(&sin.sin_addr, w.addr, 4);
  std::memcpy(sa, &sin, std::min<size_t>(*len, sizeof(sin)));
  *len = sizeof(sin);
}

}  // namespace stackd::client
