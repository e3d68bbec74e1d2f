// exec and fd passing: a stack socket's fd A that this process did not make
// (inherited across exec, received with SCM_RIGHTS) becomes a socket of the
// library again by a Claim (abi/attach.h "Claim"). Across exec the process
// keeps its attachment: the exec'ing image names the attach connection and
// the segment's memfd (both made inheritable for the exec only) in
// STACKD_ATTACH, and the new image maps the segment again from them
// (preload/README.md "exec" has the whole design).
//
//   STACKD_ATTACH=<attach fd>:<its inode>:<memfd>:<its inode>:<channels of the old image, "." separated>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core.h"
#include "stackd/client.h"

using namespace stackd;
using namespace stackd::client;

namespace {

constexpr int kClaimTimeoutMs = 2000;  // stackd answers within one poll pass; this bounds a stuck one

bool inode_is(int fd, uint64_t ino, bool sock, off_t* size) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_ino) != ino) return false;
  if (sock ? !S_ISSOCK(st.st_mode) : !S_ISREG(st.st_mode)) return false;
  if (size != nullptr) *size = st.st_size;
  return true;
}

void set_cloexec(int fd, bool on) {
  const int f = fcntl(fd, F_GETFD);
  if (f >= 0) fcntl(fd, F_SETFD, on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC));
}

uint64_t ino_of(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

// The segment behind memfd, checked against the header stackd wrote
// (SegmentHeader): same ABI, a geometry that make_geometry reproduces and
// that fills the memfd exactly. nullptr (nothing mapped) otherwise.
void* map_segment(int memfd, off_t size, abi::Geometry* out) {
  if (size < static_cast<off_t>(sizeof(abi::SegmentHeader)) || size > 0xffff'f000) return nullptr;
  void* base = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (base == MAP_FAILED) return nullptr;
  abi::SegmentHeader h;
  std::memcpy(&h, base, sizeof(h));
  const abi::Geometry g = abi::make_geometry(h.max_channels, h.max_sockets, h.ring_bytes);
  if (h.magic != abi::kMagic || h.version != abi::kAbiVersion || g.segment_bytes == 0 ||
      g.segment_bytes != h.segment_bytes || g.segment_bytes != static_cast<uint64_t>(size) ||
      g.channels_off != h.channels_off || g.sockets_off != h.sockets_off || g.rings_off != h.rings_off ||
      g.max_sockets > 65536) {
    munmap(base, static_cast<size_t>(size));
    return nullptr;
  }
  *out = g;
  return base;
}

// Ask stackd which socket `fd` is (abi/attach.h "Claim").
int ask_claim(Attachment& a, int fd, abi::ClaimReply* reply) {
  int r[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r) != 0) return -errno;
  abi::ClaimMsg m{};
  m.type = static_cast<uint8_t>(abi::AttachMsg::kClaim);
  iovec iov{&m, sizeof(m)};
  // Our network namespace's sock_diag, for stackd to look A's peer up in.
  const int diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  alignas(cmsghdr) char cbuf[CMSG_SPACE(3 * sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof(cbuf);
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  const int fds[3] = {fd, r[1], diag};
  const size_t nfds = diag >= 0 ? 3 : 2;
  cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
  std::memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
  const ssize_t sent = sendmsg(a.fd, &mh, MSG_NOSIGNAL);
  close(r[1]);
  if (diag >= 0) close(diag);  // stackd's copy is the only one now: its close ends our wait
  int res = -ECONNRESET;
  if (sent == static_cast<ssize_t>(sizeof(m))) {
    pollfd p{r[0], POLLIN, 0};
    int pr;
    do pr = ::poll(&p, 1, kClaimTimeoutMs);
    while (pr < 0 && errno == EINTR);
    if (pr == 1 && recv(r[0], reply, sizeof(*reply), MSG_DONTWAIT) == static_cast<ssize_t>(sizeof(*reply)))
      res = 0;
    else
      res = pr == 0 ? -ETIMEDOUT : -EPROTO;
  } else if (sent < 0) {
    res = -errno;
  }
  close(r[0]);
  return res;
}

}  // namespace

extern "C" {

int stk_exec_prepare(char* out, size_t n) {
  Attachment* a = current_attachment();
  if (a == nullptr || a->memfd < 0) return 0;
  std::string chans;
  for (uint32_t c = 0; c < a->geo.max_channels; ++c)
    if (a->mine[c].load()) {
      if (!chans.empty()) chans.push_back('.');
      chans.append(std::to_string(c));
    }
  const int k = std::snprintf(out, n, "%d:%" PRIu64 ":%d:%" PRIu64 ":%s", a->fd, ino_of(a->fd), a->memfd,
                              ino_of(a->memfd), chans.c_str());
  if (k < 0 || static_cast<size_t>(k) >= n) return set_errno(-ENAMETOOLONG);
  set_cloexec(a->fd, false);
  set_cloexec(a->memfd, false);
  return 1;
}

void stk_exec_abandoned(void) {
  Attachment* a = current_attachment();
  if (a == nullptr) return;
  set_cloexec(a->fd, true);
  if (a->memfd >= 0) set_cloexec(a->memfd, true);
}

int stk_exec_resume(const char* value) {
  int fd = -1, memfd = -1, used = 0;
  uint64_t ino = 0, memino = 0;
  if (value == nullptr ||
      std::sscanf(value, "%d:%" SCNu64 ":%d:%" SCNu64 ":%n", &fd, &ino, &memfd, &memino, &used) != 4 || used == 0)
    return set_errno(-EINVAL);
  off_t size = 0;
  // The numbers may name other files by now (an intermediate program
  // reused them): only the very objects, by inode, are taken.
  if (!inode_is(fd, ino, true, nullptr) || !inode_is(memfd, memino, false, &size)) return set_errno(-EBADF);
  int type = 0;
  socklen_t tl = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_SEQPACKET) return set_errno(-EBADF);
  abi::Geometry g;
  void* base = map_segment(memfd, size, &g);
  if (base == nullptr) return set_errno(-EPROTO);
  set_cloexec(fd, true);
  set_cloexec(memfd, true);
  Attachment* a = make_attachment(fd, memfd, base, g);
  // The old image's threads are gone with it: their channels are free.
  for (const char* p = value + used; *p != '\0';) {
    char* end = nullptr;
    const unsigned long c = std::strtoul(p, &end, 10);
    if (end == p) break;
    if (c < g.max_channels) a->channel(static_cast<uint32_t>(c)).claimed.store(0);
    p = *end == '.' ? end + 1 : end;
  }
  if (!install_attachment(a)) return set_errno(-EMFILE);
  return 0;
}

int stk_claim_fd(int fd) {
  Attachment* a = current_attachment();
  if (a == nullptr) return set_errno(-ENOTCONN);
  abi::ClaimReply rep{};
  if (const int e = ask_claim(*a, fd, &rep)) return set_errno(e);
  if (rep.status != 0) return set_errno(-rep.status);
  if (rep.sock >= a->geo.max_sockets || (rep.type != SOCK_STREAM && rep.type != SOCK_DGRAM) ||
      (rep.domain != AF_INET && rep.domain != AF_INET6))
    return set_errno(-EPROTO);
  Sock& k = a->socks[rep.sock];
  // Already ours (a second fd of a socket this process holds): one handle.
  if (k.open.load() && k.gen == rep.gen && k.kfd.load() >= 0) return handle_of(*a, rep.sock);
  const int fl = fcntl(fd, F_GETFL);
  open_sock(*a, rep.sock, rep.gen, rep.type, fl >= 0 && (fl & O_NONBLOCK));
  k.domain = rep.domain;
  k.was_connected = (rep.state & abi::claim_state::kWasConnected) != 0;
  k.udp_connected = (rep.state & abi::claim_state::kUdpConnected) != 0;
  k.broadcast = (rep.state & abi::claim_state::kBroadcast) != 0;
  k.kfd.store(fd);
  return handle_of(*a, rep.sock);
}

}  // extern "C"
