// The BSD socket calls over the shared rings: control through the thread's
// channel, data straight through the socket's rings (no request per call).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core.h"
#include "sockaddr.h"
#include "stackd/client.h"

using namespace stackd;
using namespace stackd::client;

void stackd::client::open_sock(Attachment& a, uint32_t s, uint32_t gen, int type, bool nonblock) {
  Sock& k = a.socks[s];
  k.gen = gen;
  k.type = type;
  k.nonblock = nonblock;
  k.rcvtimeo_ns = 0;
  k.sndtimeo_ns = 0;
  k.was_connected = false;
  k.udp_connected = false;
  k.broadcast = false;
  k.kfd = -1;
  k.open.store(true, std::memory_order_release);
}

namespace {

constexpr uint32_t kHdr = sizeof(abi::RecordHeader);

abi::Request request(abi::Op op, int s, uint32_t gen) {
  abi::Request r{};
  r.op = static_cast<uint32_t>(op);
  r.sock = static_cast<uint32_t>(s);
  r.gen = gen;
  return r;
}

// Take the pending error (SO_ERROR) of a socket: positive errno or 0.
int take_error(Attachment& a, int s, Sock& k) {
  abi::Request r = request(abi::Op::kTakeError, s, k.gen);
  abi::Response out;
  const int res = call(a, r, out);
  return res < 0 ? -res : out.val[0];
}

uint32_t flags_of(Attachment& a, int s) { return a.shm(static_cast<uint32_t>(s)).flags.load(std::memory_order_seq_cst); }
uint32_t rx_avail(Attachment& a, int s) {
  auto& sh = a.shm(static_cast<uint32_t>(s));
  return sh.rx.head.load(std::memory_order_acquire) - sh.rx.tail.load(std::memory_order_relaxed);
}
uint32_t tx_free(Attachment& a, int s) {
  auto& sh = a.shm(static_cast<uint32_t>(s));
  return a.geo.ring_bytes - (sh.tx.head.load(std::memory_order_relaxed) - sh.tx.tail.load(std::memory_order_acquire));
}


// ---- TCP data

ssize_t tcp_recv(Attachment& a, int s, Sock& k, const iovec* iov, int iovcnt, int flags) {
  if (a.dead.load()) return -ECONNRESET;  // stackd went away: as a reset connection
  std::lock_guard lk(k.rx_mu);
  const bool nb = k.nonblock || (flags & MSG_DONTWAIT);
  size_t want = 0;
  for (int i = 0; i < iovcnt; ++i) want += iov[i].iov_len;
  auto& sh = a.shm(static_cast<uint32_t>(s));
  const abi::RingBytes ring = a.rx(static_cast<uint32_t>(s));
  size_t got = 0;
  for (;;) {
    const uint32_t avail = rx_avail(a, s);
    if (avail > 0 && want > 0) {
      uint32_t tail = sh.rx.tail.load(std::memory_order_relaxed);
      size_t n = std::min<size_t>(avail, want - got);
      size_t off = got;
      for (int i = 0; i < iovcnt && n > 0; ++i) {
        if (off >= iov[i].iov_len) {
          off -= iov[i].iov_len;
          continue;
        }
        const uint32_t m = static_cast<uint32_t>(std::min(n, iov[i].iov_len - off));
        ring.copy_out(tail, static_cast<uint8_t*>(iov[i].iov_base) + off, m);
        tail += m;
        n -= m;
        got += m;
        off = 0;
      }
      if (flags & MSG_PEEK) return static_cast<ssize_t>(got);
      sh.rx.tail.store(tail, std::memory_order_seq_cst);
      if (flags_of(a, s) & abi::flag::kRxBlocked) kick(a, static_cast<uint32_t>(s), k.gen);
      if (!(flags & MSG_WAITALL) || got == want) return static_cast<ssize_t>(got);
      continue;
    }
    if (want == 0 && avail > 0) return 0;
    const uint32_t f = flags_of(a, s);
    // stackd publishes the ring's head before the flags: bytes that came
    // with an end-of-stream or error flag are visible now; read them first.
    if (avail == 0 && rx_avail(a, s) > 0) continue;
    if (got > 0 && (f & (abi::flag::kError | abi::flag::kReadEof))) return static_cast<ssize_t>(got);
    if (f & abi::flag::kError) {
      if (const int e = take_error(a, s, k)) return -e;
      continue;
    }
    if (f & abi::flag::kReadEof) return 0;
    if (!(f & (abi::flag::kConnected | abi::flag::kConnecting))) {
      // A connection that ended (e.g. TIME-WAIT cut short by an RST) may
      // still have received bytes stackd holds for us: those come first.
      if (!(f & abi::flag::kRxBlocked)) return k.was_connected ? 0 : -ENOTCONN;
      kick(a, static_cast<uint32_t>(s), k.gen);
    }
    const int w = wait_for(a, static_cast<uint32_t>(s), nb, k.rcvtimeo_ns, [&] {
      const uint32_t g = flags_of(a, s);
      return rx_avail(a, s) > 0 || (g & (abi::flag::kError | abi::flag::kReadEof)) ||
             ((g & abi::flag::kHup) && !(g & abi::flag::kRxBlocked));
    });
    if (w < 0) return got > 0 ? static_cast<ssize_t>(got) : w;
  }
}

ssize_t tcp_send(Attachment& a, int s, Sock& k, const iovec* iov, int iovcnt, int flags) {
  if (a.dead.load()) return epipe(flags);
  std::lock_guard lk(k.tx_mu);
  const bool nb = k.nonblock || (flags & MSG_DONTWAIT);
  size_t want = 0;
  for (int i = 0; i < iovcnt; ++i) want += iov[i].iov_len;
  auto& sh = a.shm(static_cast<uint32_t>(s));
  const abi::RingBytes ring = a.tx(static_cast<uint32_t>(s));
  size_t sent = 0;
  int vi = 0;
  size_t voff = 0;
  for (;;) {
    const uint32_t f = flags_of(a, s);
    if (f & abi::flag::kError) {
      if (sent > 0) return static_cast<ssize_t>(sent);
      if (const int e = take_error(a, s, k)) return e == EPIPE ? epipe(flags) : -e;
      continue;
    }
    if (f & abi::flag::kWriteShut) return sent > 0 ? static_cast<ssize_t>(sent) : epipe(flags);
    if (!(f & abi::flag::kConnected)) {
      if (!(f & abi::flag::kConnecting)) return sent > 0 ? static_cast<ssize_t>(sent) : epipe(flags);
    } else {
      if (f & abi::flag::kHup) return sent > 0 ? static_cast<ssize_t>(sent) : epipe(flags);
      const uint32_t space = tx_free(a, s);
      if (space > 0 && sent < want) {
        uint32_t head = sh.tx.head.load(std::memory_order_relaxed);
        size_t n = std::min<size_t>(space, want - sent);
        while (n > 0 && vi < iovcnt) {
          const size_t m = std::min(n, iov[vi].iov_len - voff);
          ring.copy_in(head, static_cast<const uint8_t*>(iov[vi].iov_base) + voff, static_cast<uint32_t>(m));
          head += static_cast<uint32_t>(m);
          n -= m;
          sent += m;
          voff += m;
          if (voff == iov[vi].iov_len) {
            ++vi;
            voff = 0;
          }
        }
        sh.tx.head.store(head, std::memory_order_release);
        kick(a, static_cast<uint32_t>(s), k.gen);
      }
      if (sent == want) return static_cast<ssize_t>(sent);
    }
    const int w = wait_for(a, static_cast<uint32_t>(s), nb, k.sndtimeo_ns, [&] {
      const uint32_t g = flags_of(a, s);
      return (g & (abi::flag::kError | abi::flag::kHup | abi::flag::kWriteShut)) ||
             ((g & abi::flag::kConnected) && tx_free(a, s) > 0) ||
             !(g & (abi::flag::kConnected | abi::flag::kConnecting));
    });
    if (w == -ECONNRESET) return sent > 0 ? static_cast<ssize_t>(sent) : epipe(flags);
    if (w < 0) return sent > 0 ? static_cast<ssize_t>(sent) : w;
  }
}

// ---- UDP data

ssize_t udp_send(Attachment& a, int s, Sock& k, const iovec* iov, int iovcnt, int flags,
                 const sockaddr* to, socklen_t tolen) {
  abi::RecordHeader h{};
  if (to != nullptr) {
    if (const int e = to_wire(to, tolen, k.domain, &h.addr, k.type == SOCK_DGRAM)) return e;
    if (h.addr.port == 0 && k.type != SOCK_RAW) return -EINVAL;  // raw(7): the port is ignored
    // Linux: broadcast without SO_BROADCAST is EACCES (subnet broadcasts,
    // which need the interfaces' prefixes, are checked by stackd: SO_ERROR).
    static constexpr uint8_t kAllOnes[4] = {255, 255, 255, 255};
    if (h.addr.family == AF_INET && std::memcmp(h.addr.addr, kAllOnes, 4) == 0 && !k.broadcast)
      return -EACCES;
  } else if (!k.udp_connected) {
    return -EDESTADDRREQ;
  }
  size_t len = 0;
  for (int i = 0; i < iovcnt; ++i) len += iov[i].iov_len;
  if (len > (k.type == SOCK_RAW ? 65535u : 65507u)) return -EMSGSIZE;
  h.len = static_cast<uint32_t>(len);
  if (a.dead.load()) return -ECONNREFUSED;
  std::lock_guard lk(k.tx_mu);
  if (flags_of(a, s) & abi::flag::kError) {
    if (const int e = take_error(a, s, k)) return -e;
  }
  const uint32_t need = abi::record_size(h.len);
  const bool nb = k.nonblock || (flags & MSG_DONTWAIT);
  const int w = wait_for(a, static_cast<uint32_t>(s), nb, k.sndtimeo_ns, [&] { return tx_free(a, s) >= need; });
  if (w < 0) return w == -EAGAIN ? -EAGAIN : w;
  auto& sh = a.shm(static_cast<uint32_t>(s));
  const abi::RingBytes ring = a.tx(static_cast<uint32_t>(s));
  uint32_t head = sh.tx.head.load(std::memory_order_relaxed);
  ring.copy_in(head, &h, kHdr);
  uint32_t pos = head + kHdr;
  for (int i = 0; i < iovcnt; ++i) {
    ring.copy_in(pos, iov[i].iov_base, static_cast<uint32_t>(iov[i].iov_len));
    pos += static_cast<uint32_t>(iov[i].iov_len);
  }
  sh.tx.head.store(head + need, std::memory_order_release);
  kick(a, static_cast<uint32_t>(s), k.gen);
  return static_cast<ssize_t>(len);
}

ssize_t udp_recv(Attachment& a, int s, Sock& k, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                 socklen_t* fromlen, int* msg_flags) {
  if (a.dead.load()) return -ECONNREFUSED;
  std::lock_guard lk(k.rx_mu);
  const bool nb = k.nonblock || (flags & MSG_DONTWAIT);
  for (;;) {
    const int w = wait_for(a, static_cast<uint32_t>(s), nb, k.rcvtimeo_ns, [&] {
      return rx_avail(a, s) >= kHdr || (flags_of(a, s) & (abi::flag::kError | abi::flag::kReadEof));
    });
    if (w < 0) return w;
    if (rx_avail(a, s) < kHdr) {
      const uint32_t f = flags_of(a, s);
      if (rx_avail(a, s) >= kHdr) continue;  // published before the flags
      if (f & abi::flag::kError) {
        if (const int e = take_error(a, s, k)) return -e;
        continue;
      }
      return 0;  // SHUT_RD
    }
    auto& sh = a.shm(static_cast<uint32_t>(s));
    const abi::RingBytes ring = a.rx(static_cast<uint32_t>(s));
    const uint32_t tail = sh.rx.tail.load(std::memory_order_relaxed);
    abi::RecordHeader h;
    ring.copy_out(tail, &h, kHdr);
    size_t off = 0;
    for (int i = 0; i < iovcnt && off < h.len; ++i) {
      const size_t m = std::min<size_t>(iov[i].iov_len, h.len - off);
      ring.copy_out(tail + kHdr + static_cast<uint32_t>(off), iov[i].iov_base, static_cast<uint32_t>(m));
      off += m;
    }
    if (msg_flags != nullptr) *msg_flags = off < h.len ? MSG_TRUNC : 0;
    from_wire(h.addr, from, fromlen);
    if (!(flags & MSG_PEEK)) {
      sh.rx.tail.store(tail + abi::record_size(h.len), std::memory_order_seq_cst);
      if (flags_of(a, s) & abi::flag::kRxBlocked) kick(a, static_cast<uint32_t>(s), k.gen);
    }
    return static_cast<ssize_t>((flags & MSG_TRUNC) ? h.len : off);
  }
}

ssize_t do_send(int s, const iovec* iov, int iovcnt, int flags, const sockaddr* to, socklen_t tolen) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  // A stream socket ignores sendto's address, as Linux's TCP does.
  const ssize_t r = k->type != SOCK_STREAM ? udp_send(*a, s, *k, iov, iovcnt, flags, to, tolen)
                                          : tcp_send(*a, s, *k, iov, iovcnt, flags);
  fd_settle_tx(*a, static_cast<uint32_t>(s), *k);
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

ssize_t do_recv(int s, const iovec* iov, int iovcnt, int flags, sockaddr* from, socklen_t* fromlen, int* mflags) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  ssize_t r;
  if (k->type != SOCK_STREAM) {  // UDP and raw: datagram records
    r = udp_recv(*a, s, *k, iov, iovcnt, flags, from, fromlen, mflags);
  } else {
    if (mflags != nullptr) *mflags = 0;
    r = tcp_recv(*a, s, *k, iov, iovcnt, flags);
    if (r >= 0 && from != nullptr && fromlen != nullptr) *fromlen = 0;
  }
  if (r == -EAGAIN || !(flags & MSG_PEEK)) fd_after_rx(*a, static_cast<uint32_t>(s), *k, r == -EAGAIN);
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

}  // namespace

extern "C" {

int stk_socket(int domain, int type, int protocol) {
  if (domain != AF_INET && domain != AF_INET6) return set_errno(-EAFNOSUPPORT);
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base != SOCK_STREAM && base != SOCK_DGRAM && base != SOCK_RAW) return set_errno(-ESOCKTNOSUPPORT);
  // SOCK_RAW: stackd checks the protocol and the client's privilege (raw(7)).
  if (base != SOCK_RAW && protocol != 0 && protocol != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
    return set_errno(-EPROTONOSUPPORT);
  Attachment* a = attachment();
  if (a == nullptr) return -1;
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kSocket);
  r.a[0] = base;
  r.a[1] = domain;
  r.a[2] = base == SOCK_RAW ? protocol : 0;
  abi::Response out;
  const int res = call(*a, r, out);
  if (res < 0) return set_errno(res);
  if (out.sock >= a->geo.max_sockets) return set_errno(-EPROTO);
  open_sock(*a, out.sock, out.gen, base, (type & SOCK_NONBLOCK) != 0);
  a->socks[out.sock].domain = domain;
  return handle_of(*a, out.sock);
}

int stk_bind(int s, const sockaddr* addr, socklen_t len) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  abi::Request r = request(abi::Op::kBind, s, k->gen);
  abi::WireAddr w;
  if (const int e = to_wire(addr, len, k->domain, &w)) return set_errno(e);
  std::memcpy(r.data, &w, sizeof(w));
  abi::Response out;
  return set_errno(call(*a, r, out));
}

int stk_listen(int s, int backlog) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  abi::Request r = request(abi::Op::kListen, s, k->gen);
  r.a[0] = backlog;
  abi::Response out;
  const int res = call(*a, r, out);
  if (res == 0) fd_settle_tx(*a, static_cast<uint32_t>(s), *k);  // a listener never reports POLLOUT
  return set_errno(res);
}

int stk_accept4(int s, sockaddr* addr, socklen_t* len, int flags) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return set_errno(-EINVAL);
  if (k->type != SOCK_STREAM) return set_errno(-EOPNOTSUPP);
  std::lock_guard lk(k->rx_mu);
  if (!(flags_of(*a, s) & abi::flag::kListening)) return set_errno(-EINVAL);
  const int w = wait_for(*a, static_cast<uint32_t>(s), k->nonblock, k->rcvtimeo_ns, [&] {
    return rx_avail(*a, s) >= abi::record_size(0) || !(flags_of(*a, s) & abi::flag::kListening);
  });
  if (w < 0) {
    fd_after_rx(*a, static_cast<uint32_t>(s), *k, w == -EAGAIN);
    return set_errno(w);
  }
  if (rx_avail(*a, s) < abi::record_size(0)) return set_errno(-EINVAL);
  auto& sh = a->shm(static_cast<uint32_t>(s));
  const uint32_t tail = sh.rx.tail.load(std::memory_order_relaxed);
  abi::RecordHeader rec;
  a->rx(static_cast<uint32_t>(s)).copy_out(tail, &rec, kHdr);
  sh.rx.tail.store(tail + abi::record_size(0), std::memory_order_seq_cst);
  if (flags_of(*a, s) & abi::flag::kRxBlocked) kick(*a, static_cast<uint32_t>(s), k->gen);
  fd_after_rx(*a, static_cast<uint32_t>(s), *k, false);
  if (rec.sock >= a->geo.max_sockets) return set_errno(-EPROTO);
  open_sock(*a, rec.sock, rec.gen, SOCK_STREAM, (flags & SOCK_NONBLOCK) != 0);
  a->socks[rec.sock].domain = k->domain;  // accepted sockets are of the listener's family
  a->socks[rec.sock].was_connected = true;
  from_wire(rec.addr, addr, len);
  return handle_of(*a, rec.sock);
}

int stk_accept(int s, sockaddr* addr, socklen_t* len) { return stk_accept4(s, addr, len, 0); }

int stk_connect(int s, const sockaddr* addr, socklen_t len) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  abi::Request r = request(abi::Op::kConnect, s, k->gen);
  abi::WireAddr w;
  if (const int e = to_wire(addr, len, k->domain, &w, k->type == SOCK_DGRAM)) return set_errno(e);
  std::memcpy(r.data, &w, sizeof(w));
  abi::Response out;
  const int res = call(*a, r, out);
  if (k->type != SOCK_STREAM) {
    if (res == 0) k->udp_connected = true;
    return set_errno(res);
  }
  if (res != -EINPROGRESS) {
    if (res == 0) k->was_connected = true;
    return set_errno(res);
  }
  if (k->nonblock) {
    k->was_connected = true;  // recv/send then follow the connection's state
    fd_settle_tx(*a, static_cast<uint32_t>(s), *k);  // POLLOUT waits for the connection
    return set_errno(-EINPROGRESS);
  }
  const int wr = wait_for(*a, static_cast<uint32_t>(s), false, k->sndtimeo_ns, [&] {
    return !(flags_of(*a, s) & abi::flag::kConnecting);
  });
  if (wr == -EAGAIN) return set_errno(-EINPROGRESS);  // SO_SNDTIMEO expired (Linux)
  if (wr < 0) return set_errno(wr);
  const uint32_t f = flags_of(*a, s);
  if (f & abi::flag::kError) {
    const int e = take_error(*a, s, *k);
    if (e != 0) return set_errno(-e);
  }
  if (!(f & abi::flag::kConnected)) return set_errno(-ECONNREFUSED);
  k->was_connected = true;
  return 0;
}

ssize_t stk_send(int s, const void* buf, size_t len, int flags) {
  iovec v{const_cast<void*>(buf), len};
  return do_send(s, &v, 1, flags, nullptr, 0);
}
ssize_t stk_sendto(int s, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t tolen) {
  iovec v{const_cast<void*>(buf), len};
  return do_send(s, &v, 1, flags, to, tolen);
}
ssize_t stk_sendmsg(int s, const msghdr* m, int flags) {
  if (m == nullptr || m->msg_iovlen > IOV_MAX) return set_errno(m == nullptr ? -EFAULT : -EMSGSIZE);
  return do_send(s, m->msg_iov, static_cast<int>(m->msg_iovlen), flags, static_cast<const sockaddr*>(m->msg_name),
                 m->msg_namelen);
}
ssize_t stk_write(int s, const void* buf, size_t len) { return stk_send(s, buf, len, 0); }
ssize_t stk_writev(int s, const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return set_errno(-EINVAL);
  return do_send(s, iov, iovcnt, 0, nullptr, 0);
}

ssize_t stk_recv(int s, void* buf, size_t len, int flags) {
  iovec v{buf, len};
  return do_recv(s, &v, 1, flags, nullptr, nullptr, nullptr);
}
ssize_t stk_recvfrom(int s, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen) {
  iovec v{buf, len};
  return do_recv(s, &v, 1, flags, from, fromlen, nullptr);
}
ssize_t stk_recvmsg(int s, msghdr* m, int flags) {
  if (m == nullptr) return set_errno(-EFAULT);
  socklen_t nl = m->msg_namelen;
  int mf = 0;
  const ssize_t r = do_recv(s, m->msg_iov, static_cast<int>(m->msg_iovlen), flags, static_cast<sockaddr*>(m->msg_name),
                            m->msg_name != nullptr ? &nl : nullptr, &mf);
  if (r >= 0) {
    m->msg_namelen = m->msg_name != nullptr ? nl : 0;
    m->msg_flags = mf;
    m->msg_controllen = 0;
  }
  return r;
}
ssize_t stk_read(int s, void* buf, size_t len) { return stk_recv(s, buf, len, 0); }
ssize_t stk_readv(int s, const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return set_errno(-EINVAL);
  return do_recv(s, iov, iovcnt, 0, nullptr, nullptr, nullptr);
}

int stk_shutdown(int s, int how) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  abi::Request r = request(abi::Op::kShutdown, s, k->gen);
  r.a[0] = how;
  abi::Response out;
  return set_errno(call(*a, r, out));
}

int stk_close(int s) {
  Attachment* a = nullptr;
  Sock* k = sock_of(s, &a);
  if (k == nullptr) return -1;
  bool expect = true;
  if (!k->open.compare_exchange_strong(expect, false)) return set_errno(-EBADF);
  // A listener's accepted connections nobody took are closed with it.
  const uint32_t f = flags_of(*a, s);
  if (k->type == SOCK_STREAM && (f & abi::flag::kListening)) {
    std::lock_guard lk(k->rx_mu);
    auto& sh = a->shm(static_cast<uint32_t>(s));
    while (rx_avail(*a, s) >= abi::record_size(0)) {
      const uint32_t tail = sh.rx.tail.load(std::memory_order_relaxed);
      abi::RecordHeader rec;
      a->rx(static_cast<uint32_t>(s)).copy_out(tail, &rec, kHdr);
      sh.rx.tail.store(tail + abi::record_size(0), std::memory_order_seq_cst);
      abi::Request c = request(abi::Op::kClose, static_cast<int>(rec.sock), rec.gen);
      abi::Response out;
      call(*a, c, out);
    }
  }
  abi::Request r = request(abi::Op::kClose, s, k->gen);
  abi::Response out;
  const int res = call(*a, r, out);
  return res == -ECONNRESET ? 0 : set_errno(res);  // stackd gone: closed anyway
}

}  // extern "C"
