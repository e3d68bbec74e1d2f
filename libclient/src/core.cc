#include "core.h"

#include <fcntl.h>
#include <pthread.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stackd/client.h"

namespace stackd::client {

std::atomic<uint32_t> g_busy_poll_us{0};

namespace {

std::atomic<bool> g_said_unreachable{false};
std::mutex g_attach_mu;
Attachment* g_att = nullptr;  // lives until stk_detach (threads may still hold it)
int g_refused = 0;            // stackd refused us (EACCES...): said once, not asked again
constexpr uint32_t kMaxEpochs = 1024;  // attachments per process life (stackd restarts)
std::atomic<Attachment*> g_by_epoch[kMaxEpochs];
uint32_t g_next_epoch = 0;

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Sleeps while *word == expect, `ns` at most. False when a signal handler
// ran (EINTR), with the semantics of a blocking socket call on Linux:
//  - restartable (a call without SO_RCVTIMEO/SO_SNDTIMEO): futex_waitv, whose
//    interruption is -ERESTARTSYS, so a handler installed with SA_RESTART
//    has the kernel restart the wait (absolute deadline) and only a handler
//    without it ends it with EINTR;
//  - with a socket timeout: FUTEX_WAIT with a relative timeout, which any
//    handler ends with EINTR, as Linux's sock_intr_errno() answers then.
bool futex_wait(std::atomic<uint32_t>* word, uint32_t expect, int64_t ns, bool restartable) {
  if (restartable) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t end = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec + ns;
    timespec deadline{static_cast<time_t>(end / 1'000'000'000), static_cast<long>(end % 1'000'000'000)};
    futex_waitv w{};
    w.val = expect;
    w.uaddr = reinterpret_cast<uintptr_t>(word);
    w.flags = FUTEX_32;  // shared: stackd wakes it through its own mapping
    const long r = syscall(SYS_futex_waitv, &w, 1, 0, &deadline, CLOCK_MONOTONIC);
    if (r >= 0 || errno != ENOSYS) return r >= 0 || errno != EINTR;
  }
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expect, &ts, nullptr, 0) == 0 ||
         errno != EINTR;
}


Attachment* do_attach(const char* path, int* err) {
  if (path == nullptr) path = std::getenv("STACKD_SOCKET");
  if (path == nullptr) path = "/run/stackd/stackd.sock";
  if (const char* bp = std::getenv("STACKD_BUSY_POLL_US")) g_busy_poll_us = static_cast<uint32_t>(std::atoi(bp));
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    *err = errno;
    // Said once per outage, not at every call while stackd is away.
    if (!g_said_unreachable.exchange(true)) std::fprintf(stderr, "stackclient: cannot reach stackd at %s: %s\n", path, std::strerror(*err));
    close(fd);
    return nullptr;
  }
  abi::Welcome w{};
  iovec iov{&w, sizeof(w)};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof(cbuf);
  const ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  int mfd = -1;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) std::memcpy(&mfd, CMSG_DATA(cm), sizeof(int));
  if (n < static_cast<ssize_t>(sizeof(w)) || w.magic != abi::kMagic) {
    std::fprintf(stderr, "stackclient: no answer from stackd at %s\n", path);
    *err = ECONNREFUSED;
  } else if (w.status != 0) {
    w.message[sizeof(w.message) - 1] = '\0';
    std::fprintf(stderr, "stackclient: %s\n", w.message);
    *err = w.status;
  } else if (w.version != abi::kAbiVersion) {
    std::fprintf(stderr, "stackclient: stackd speaks ABI %u, this library %u\n", w.version, abi::kAbiVersion);
    *err = EPROTO;
  } else if (mfd >= 0) {
    // Hello only after the welcome: a refused client has sent nothing, so
    // stackd's close never discards unread data (which would turn our read
    // of its message into ECONNRESET).
    abi::Hello h{};
    h.type = static_cast<uint8_t>(abi::AttachMsg::kHello);
    h.magic = abi::kMagic;
    h.version = abi::kAbiVersion;
    send(fd, &h, sizeof(h), MSG_NOSIGNAL);
    const abi::Geometry g = abi::make_geometry(w.max_channels, w.max_sockets, w.ring_bytes);
    void* base = g.segment_bytes == w.segment_bytes
                     ? mmap(nullptr, g.segment_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0)
                     : MAP_FAILED;
    if (base != MAP_FAILED && g.max_sockets <= 65536) {
      g_said_unreachable = false;
      return make_attachment(fd, mfd, base, g);
    }
    if (base != MAP_FAILED) munmap(base, g.segment_bytes);
    *err = EPROTO;
  } else {
    *err = EPROTO;
  }
  if (mfd >= 0) close(mfd);
  close(fd);
  return nullptr;
}

}  // namespace

Attachment* make_attachment(int fd, int memfd, void* base, const abi::Geometry& g) {
  auto* a = new Attachment;
  a->fd = fd;
  a->memfd = memfd;
  a->base = static_cast<uint8_t*>(base);
  a->size = g.segment_bytes;
  a->geo = g;
  a->socks = std::vector<Sock>(g.max_sockets);
  for (uint32_t i = 0; i < g.max_sockets; ++i) {
    a->socks[i].rx_mu.word = &a->shm(i).rx_lock;
    a->socks[i].tx_mu.word = &a->shm(i).tx_lock;
    a->socks[i].fd_mu.word = &a->shm(i).fd_lock;
  }
  a->mine = std::make_unique<std::atomic<uint8_t>[]>(g.max_channels);
  for (uint32_t c = 0; c < g.max_channels; ++c) a->mine[c].store(0, std::memory_order_relaxed);
  return a;
}

namespace {

// A thread's channel, released when the thread ends.
struct ThreadChannel {
  Attachment* att = nullptr;
  uint32_t index = UINT32_MAX;
  bool shared = false;  // the overflow channel: callers serialize on overflow_mu
  uint32_t next_tag = 0;
  int event_fd = -1;
  ~ThreadChannel() {
    if (att != nullptr && index != UINT32_MAX && !shared) {
      att->mine[index].store(0);
      att->channel(index).claimed.store(0);
    }
    if (event_fd >= 0) close(event_fd);
  }
};
thread_local ThreadChannel t_chan;

// fork(): the child shares its parent's attachment (the segment is a shared
// mapping, the attach socket an inherited fd), as another thread would, so
// it needs a channel of its own: the forking thread's one stays the parent's.
void forget_channel_in_child() {
  if (t_chan.event_fd >= 0) close(t_chan.event_fd);  // the parent's thread's copy
  t_chan.event_fd = -1;
  t_chan.att = nullptr;
  t_chan.index = UINT32_MAX;
  t_chan.shared = false;
  // The parent's threads' channels are not this process's to free at exec.
  if (Attachment* a = __atomic_load_n(&g_att, __ATOMIC_ACQUIRE))
    for (uint32_t c = 0; c < a->geo.max_channels; ++c) a->mine[c].store(0, std::memory_order_relaxed);
}
[[maybe_unused]] const int g_atfork = pthread_atfork(nullptr, nullptr, forget_channel_in_child);

}  // namespace

void ShmLock::lock() {
  uint32_t c = 0;
  if (word->compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
  if (c != 2) c = word->exchange(2, std::memory_order_acquire);
  while (c != 0) {
    // Shared (not FUTEX_PRIVATE): the holder may be another process.
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, 2, nullptr, nullptr, 0);
    c = word->exchange(2, std::memory_order_acquire);
  }
}

void ShmLock::unlock() {
  if (word->exchange(0, std::memory_order_release) == 2)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

int set_errno(int r) {
  if (r >= 0) return r;
  errno = -r;
  return -1;
}

int epipe(int flags) {
  if (!(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
  return -EPIPE;
}

bool daemon_gone(Attachment& a) {
  if (a.dead.load(std::memory_order_relaxed)) return true;
  pollfd p{a.fd, 0, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
    a.dead.store(true);
    return true;
  }
  return false;
}

int handle_of(const Attachment& a, uint32_t slot) { return static_cast<int>((a.epoch << 16) | slot); }

namespace {
// Under g_attach_mu.
bool install_locked(Attachment* a) {
  if (g_next_epoch >= kMaxEpochs) return false;
  a->epoch = g_next_epoch++;
  g_by_epoch[a->epoch].store(a, std::memory_order_release);
  __atomic_store_n(&g_att, a, __ATOMIC_RELEASE);
  return true;
}

// Under g_attach_mu.
Attachment* attach_locked(const char* path, int* err) {
  if (g_next_epoch >= kMaxEpochs) {
    *err = EMFILE;
    return nullptr;
  }
  Attachment* a = do_attach(path, err);
  if (a == nullptr) return nullptr;
  install_locked(a);
  return a;
}
}  // namespace

bool install_attachment(Attachment* a) {
  std::lock_guard lk(g_attach_mu);
  return install_locked(a);
}

Attachment* current_attachment() {
  Attachment* a = __atomic_load_n(&g_att, __ATOMIC_ACQUIRE);
  return a != nullptr && !a->dead.load(std::memory_order_relaxed) ? a : nullptr;
}

Attachment* attachment() {
  Attachment* a = __atomic_load_n(&g_att, __ATOMIC_ACQUIRE);
  if (a != nullptr && !a->dead.load(std::memory_order_relaxed)) return a;
  std::lock_guard lk(g_attach_mu);
  if (g_att == nullptr || g_att->dead.load()) {
    if (g_refused != 0) {
      errno = g_refused;
      return nullptr;
    }
    int err = 0;
    a = attach_locked(nullptr, &err);
    if (a == nullptr) {
      if (err == EACCES || err == EPROTO) g_refused = err;
      errno = err;
      return nullptr;
    }
  }
  return g_att;
}

Sock* sock_of(int& s, Attachment** out) {
  const uint32_t epoch = static_cast<uint32_t>(s) >> 16, slot = static_cast<uint32_t>(s) & 0xffff;
  Attachment* a = s < 0 || epoch >= kMaxEpochs ? nullptr : g_by_epoch[epoch].load(std::memory_order_acquire);
  if (a == nullptr || slot >= a->geo.max_sockets || !a->socks[slot].open.load()) {
    errno = EBADF;
    return nullptr;
  }
  *out = a;
  s = static_cast<int>(slot);
  return &a->socks[slot];
}

uint32_t my_channel(Attachment& a) {
  if (t_chan.att == &a && t_chan.index != UINT32_MAX) return t_chan.index;
  const uint32_t me = static_cast<uint32_t>(gettid());
  if (t_chan.event_fd >= 0) close(t_chan.event_fd);  // it belonged to a previous attachment
  t_chan.event_fd = -1;
  t_chan.att = &a;
  for (uint32_t c = 0; c + 1 < a.geo.max_channels; ++c) {
    uint32_t expect = 0;
    if (a.channel(c).claimed.compare_exchange_strong(expect, me)) {
      a.mine[c].store(1);
      // Tags from a clock: a channel freed by an exec'ed image may still
      // get that image's last responses, which must not match ours.
      t_chan.next_tag = static_cast<uint32_t>(mono_ns());
      t_chan.index = c;
      t_chan.shared = false;
      return c;
    }
  }
  t_chan.index = a.geo.max_channels - 1;
  t_chan.shared = true;
  return t_chan.index;
}

void doorbell(Attachment& a) {
  const uint8_t b = static_cast<uint8_t>(abi::AttachMsg::kDoorbell);
  if (send(a.fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) a.dead.store(true);
}

namespace {
// Queue a request on channel `ch` (the caller owns the channel).
bool push_request(Attachment& a, uint32_t ch, const abi::Request& req) {
  abi::Channel& c = a.channel(ch);
  const uint32_t head = c.req.head.load(std::memory_order_relaxed);
  while (head - c.req.tail.load(std::memory_order_acquire) >= abi::kRequestSlots) {
    if (daemon_gone(a)) return false;
    doorbell(a);
    sched_yield();
  }
  std::memcpy(&c.requests[head & (abi::kRequestSlots - 1)], &req, sizeof(req));
  c.req.head.store(head + 1, std::memory_order_seq_cst);
  doorbell(a);
  return true;
}
}  // namespace

int call(Attachment& a, abi::Request& req, abi::Response& out) {
  const uint32_t ch = my_channel(a);
  std::unique_lock<std::mutex> lk;
  if (t_chan.shared) lk = std::unique_lock(a.overflow_mu);
  abi::Channel& c = a.channel(ch);
  req.tag = ++t_chan.next_tag;
  if (req.tag == 0) req.tag = ++t_chan.next_tag;
  if (!push_request(a, ch, req)) return -ECONNRESET;
  const int64_t spin_until = mono_ns() + int64_t{g_busy_poll_us.load()} * 1000;
  for (;;) {
    const uint32_t head = c.resp.head.load(std::memory_order_acquire);
    uint32_t tail = c.resp.tail.load(std::memory_order_relaxed);
    while (tail != head) {
      std::memcpy(&out, &c.responses[tail & (abi::kResponseSlots - 1)], sizeof(out));
      c.resp.tail.store(++tail, std::memory_order_release);
      if (out.tag == req.tag) return out.result;
    }
    if (mono_ns() < spin_until) continue;
    c.waiters.fetch_add(1, std::memory_order_seq_cst);
    if (c.resp.head.load(std::memory_order_seq_cst) == head) futex_wait(&c.resp.head, head, 200'000'000, true);
    c.waiters.fetch_sub(1, std::memory_order_seq_cst);
    if (c.resp.head.load(std::memory_order_acquire) == head && daemon_gone(a)) return -ECONNRESET;
  }
}

void kick(Attachment& a, uint32_t s, uint32_t gen) {
  if (a.shm(s).kick.exchange(1, std::memory_order_seq_cst) != 0) return;
  abi::Request r{};
  r.op = static_cast<uint32_t>(abi::Op::kKick);
  r.sock = s;
  r.gen = gen;
  r.tag = 0;
  const uint32_t ch = my_channel(a);
  std::unique_lock<std::mutex> lk;
  if (t_chan.shared) lk = std::unique_lock(a.overflow_mu);
  push_request(a, ch, r);
}

int wait_for(Attachment& a, uint32_t s, bool nonblock, int64_t timeout_ns, const std::function<bool()>& ready) {
  if (ready()) return 0;
  if (nonblock) return daemon_gone(a) ? -ECONNRESET : -EAGAIN;
  abi::SocketShm& sh = a.shm(s);
  const int64_t start = mono_ns();
  const int64_t deadline = timeout_ns > 0 ? start + timeout_ns : INT64_MAX;
  const int64_t spin_until = start + int64_t{g_busy_poll_us.load()} * 1000;
  for (;;) {
    const uint32_t seq = sh.seq.load(std::memory_order_acquire);
    if (ready()) return 0;
    const int64_t now = mono_ns();
    if (now >= deadline) return -EAGAIN;
    if (now < spin_until) continue;
    sh.waiters.fetch_add(1, std::memory_order_seq_cst);
    bool slept = true;
    if (!ready() && sh.seq.load(std::memory_order_seq_cst) == seq)
      slept = futex_wait(&sh.seq, seq, std::min<int64_t>(deadline - now, 200'000'000), timeout_ns <= 0);
    sh.waiters.fetch_sub(1, std::memory_order_seq_cst);
    // A signal handler ran (without SA_RESTART): EINTR, as a blocked socket
    // call returns, unless what we waited for came meanwhile.
    if (!slept) return ready() ? 0 : -EINTR;
    if (sh.seq.load(std::memory_order_acquire) == seq && daemon_gone(a)) return -ECONNRESET;
  }
}

}  // namespace stackd::client

using namespace stackd;
using namespace stackd::client;

extern "C" {

int stk_attach(const char* path) {
  std::lock_guard lk(g_attach_mu);
  if (g_att != nullptr && !g_att->dead.load()) return 0;
  int err = 0;
  if (attach_locked(path, &err) == nullptr) {
    errno = err;
    return -1;
  }
  return 0;
}

void stk_detach(void) {
  Attachment* a = __atomic_load_n(&g_att, __ATOMIC_ACQUIRE);
  if (a == nullptr) return;
  for (uint32_t s = 0; s < a->geo.max_sockets; ++s)
    if (a->socks[s].open.load()) stk_close(handle_of(*a, s));
  std::lock_guard lk(g_attach_mu);
  close(a->fd);
  if (a->memfd >= 0) close(a->memfd);
  a->dead.store(true);
  // The mapping stays: other threads may still look at it; the memory goes
  // with the process (stackd reclaims its side when the socket closes).
  __atomic_store_n(&g_att, nullptr, __ATOMIC_RELEASE);
}

void stk_set_busy_poll(unsigned usecs) { g_busy_poll_us.store(usecs); }

int stk_event_fd(void) {
  Attachment* a = attachment();
  if (a == nullptr) return -1;
  const uint32_t ch = my_channel(*a);
  if (t_chan.event_fd >= 0) return t_chan.event_fd;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  abi::EventFdMsg m{};
  m.type = static_cast<uint8_t>(abi::AttachMsg::kEventFd);
  m.channel = ch;
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
  close(sv[1]);
  if (r < 0) {
    close(sv[0]);
    return -1;
  }
  t_chan.event_fd = sv[0];
  return sv[0];
}

void stk_event_arm(void) {
  Attachment* a = attachment();
  if (a == nullptr) return;
  const uint32_t ch = my_channel(*a);
  if (t_chan.event_fd >= 0) {
    uint8_t buf[64];
    while (recv(t_chan.event_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
  }
  a->channel(ch).ev_armed.store(1, std::memory_order_seq_cst);
}

int stk_watch(int s, int on) {
  Attachment* a = nullptr;
  if (sock_of(s, &a) == nullptr) return -1;
  a->shm(static_cast<uint32_t>(s)).watch.store(on ? my_channel(*a) + 1 : 0, std::memory_order_seq_cst);
  return 0;
}

}  // extern "C"
