// getsockopt / setsockopt / names / fcntl. Timeouts and O_NONBLOCK are the
// library's own (they only change how it waits); the rest is stackd's.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core.h"
#include "sockaddr.h"
#include "stackd/client.h"

using namespace stackd;
using namespace stackd::client;

namespace {

int timeo_set(std::atomic<int64_t>& t, const void* val, socklen_t len) {
  if (val == nullptr || len < sizeof(timeval)) return -EINVAL;
  timeval tv;
  std::memcpy(&tv, val, sizeof(tv));
  if (tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return -EDOM;  // Linux sock_set_timeout
  if (tv.tv_sec < 0) {
    t = 1;  // Linux: a negative timeout is "expire at once"
    return 0;
  }
  t = int64_t{tv.tv_sec} * 1'000'000'000 + int64_t{tv.tv_usec} * 1000;
  return 0;
}

int timeo_get(const std::atomic<int64_t>& t, void* val, socklen_t* len) {
  timeval tv{};
  const int64_t ns = t.load();
  tv.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000) / 1000);
  const socklen_t n = std::min<socklen_t>(*len, sizeof(tv));
  std::memcpy(val, &tv, n);
  *len = n;
  return 0;
}

int getname(int s, sockaddr* addr, socklen_t* len, bool peer) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (addr == nullptr || len == nullptr) return set_errno(-EFAULT);
  if (static_cast<int>(*len) < 0) return set_errno(-EINVAL);
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kGetName);
  r.sock = static_cast<uint32_t>(s);
  r.gen = k->gen;
  r.a[0] = peer ? 1 : 0;
  abi::Response out;
  const int res = call(*a, r, out);
  if (res < 0) return set_errno(res);
  abi::WireAddr w;
  std::memcpy(&w, out.data, sizeof(w));
  from_wire(w, addr, len);
  return 0;
}

}  // namespace

extern "C" {

int stk_setsockopt(int s, int level, int name, const void* val, socklen_t len) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (level == SOL_SOCKET && name == SO_RCVTIMEO) return set_errno(timeo_set(k->rcvtimeo_ns, val, len));
  if (level == SOL_SOCKET && name == SO_SNDTIMEO) return set_errno(timeo_set(k->sndtimeo_ns, val, len));
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kSetsockopt);
  r.sock = static_cast<uint32_t>(s);
  r.gen = k->gen;
  r.a[0] = level;
  r.a[1] = name;
  if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
    if (val == nullptr || len < 1) return set_errno(-EINVAL);
    std::memcpy(r.data, val, std::min<size_t>(len, 15));
  } else if (level == SOL_SOCKET && name == SO_LINGER) {
    if (val == nullptr || len < sizeof(linger)) return set_errno(-EINVAL);
    linger l;
    std::memcpy(&l, val, sizeof(l));
    r.a[2] = l.l_onoff;
    r.a[3] = l.l_linger;
  } else {
    if (val == nullptr || len < sizeof(int)) return set_errno(-EINVAL);
    std::memcpy(&r.a[2], val, sizeof(int));
  }
  abi::Response out;
  const int res = call(*a, r, out);
  if (res == 0 && level == SOL_SOCKET && name == SO_BROADCAST) k->broadcast = r.a[2] != 0;
  return set_errno(res);
}

int stk_getsockopt(int s, int level, int name, void* val, socklen_t* len) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (val == nullptr || len == nullptr) return set_errno(-EFAULT);
  if (static_cast<int>(*len) < 0) return set_errno(-EINVAL);
  if (level == SOL_SOCKET && name == SO_RCVTIMEO) return timeo_get(k->rcvtimeo_ns, val, len);
  if (level == SOL_SOCKET && name == SO_SNDTIMEO) return timeo_get(k->sndtimeo_ns, val, len);
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kGetsockopt);
  r.sock = static_cast<uint32_t>(s);
  r.gen = k->gen;
  r.a[0] = level;
  r.a[1] = name;
  abi::Response out;
  const int res = call(*a, r, out);
  if (res < 0) return set_errno(res);
  const bool bytes = level == IPPROTO_TCP && (name == TCP_INFO || name == TCP_CONGESTION);
  const socklen_t n = std::min<socklen_t>(*len, static_cast<socklen_t>(res));
  if (bytes) {
    std::memcpy(val, out.data, n);
  } else if (level == SOL_SOCKET && name == SO_LINGER) {
    linger l{out.val[0], out.val[1]};
    std::memcpy(val, &l, n);
  } else {
    std::memcpy(val, &out.val[0], n);
  }
  *len = n;
  return 0;
}

int stk_getsockname(int s, sockaddr* addr, socklen_t* len) { return getname(s, addr, len, false); }
int stk_getpeername(int s, sockaddr* addr, socklen_t* len) { return getname(s, addr, len, true); }

int stk_fcntl(int s, int cmd, int arg) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  switch (cmd) {
    case F_GETFL: return O_RDWR | (k->nonblock ? O_NONBLOCK : 0);
    case F_SETFL: k->nonblock = (arg & O_NONBLOCK) != 0; return 0;
    default: return set_errno(-EINVAL);
  }
}

}  // extern "C"
