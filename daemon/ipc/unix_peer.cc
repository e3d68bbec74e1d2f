#include "ipc/unix_peer.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace stackd::ipc {
namespace {

std::optional<uint64_t> inode_of(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_ino);
}

// One exact-lookup request (not a dump: the kernel finds the socket by
// inode), answered by one unix_diag_msg whose attributes carry the peer.
std::optional<uint64_t> ask_peer(int nl, uint32_t ino) {
  thread_local uint32_t seq = 0x5eed;  // per dataplane worker
  // A client's socket may hold messages it queued itself: only ours count.
  alignas(nlmsghdr) char buf[1024];
  for (int i = 0; i < 64 && recv(nl, buf, sizeof(buf), MSG_DONTWAIT) >= 0; ++i) {
  }
  struct {
    nlmsghdr nh;
    unix_diag_req req;
  } q{};
  q.nh.nlmsg_len = sizeof(q);
  q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  q.nh.nlmsg_flags = NLM_F_REQUEST;
  q.nh.nlmsg_seq = ++seq;
  q.req.sdiag_family = AF_UNIX;
  q.req.udiag_states = ~0u;
  q.req.udiag_ino = ino;
  q.req.udiag_show = UDIAG_SHOW_PEER;
  q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;  // INET_DIAG_NOCOOKIE
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::optional<uint64_t> peer;
  if (sendto(nl, &q, sizeof(q), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) ==
      static_cast<ssize_t>(sizeof(q))) {
    // The kernel answers within sendto: never wait (the socket may be a client's).
    sockaddr_nl from{};
    iovec iov{buf, sizeof(buf)};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof(from);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    const ssize_t n = recvmsg(nl, &mh, MSG_DONTWAIT);
    auto* nh = reinterpret_cast<nlmsghdr*>(buf);
    if (n > 0 && from.nl_pid == 0 && NLMSG_OK(nh, static_cast<uint32_t>(n)) && nh->nlmsg_seq == q.nh.nlmsg_seq &&
        nh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
        nh->nlmsg_len >= NLMSG_LENGTH(sizeof(unix_diag_msg))) {
      auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(nh));
      if (m->udiag_ino == ino) {
        int left = static_cast<int>(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
        for (auto* a = reinterpret_cast<nlattr*>(m + 1); left >= static_cast<int>(sizeof(nlattr)) &&
                                                          a->nla_len >= sizeof(nlattr) &&
                                                          a->nla_len <= left;) {
          if ((a->nla_type & NLA_TYPE_MASK) == UNIX_DIAG_PEER && a->nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
            uint32_t p = 0;
            std::memcpy(&p, reinterpret_cast<char*>(a) + NLA_HDRLEN, sizeof(p));
            if (p != 0) peer = p;  // 0: the peer is closed (no inode any more)
          }
          const int step = NLA_ALIGN(a->nla_len);
          left -= step;
          a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) + step);
        }
      }
    }
  }
  return peer;
}


int sockopt(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof(v);
  return getsockopt(fd, SOL_SOCKET, name, &v, &len) == 0 ? v : -1;
}

// fd's inode when it is an AF_UNIX socket (sock_diag's field is 32 bits).
std::optional<uint32_t> unix_inode(int fd) {
  if (sockopt(fd, SO_DOMAIN) != AF_UNIX) return std::nullopt;
  const std::optional<uint64_t> ino = inode_of(fd);
  if (!ino || *ino > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*ino);
}

}  // namespace

std::optional<uint64_t> unix_peer_inode(int fd) {
  const std::optional<uint32_t> ino = unix_inode(fd);
  if (!ino) return std::nullopt;
  const int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return std::nullopt;
  const std::optional<uint64_t> peer = ask_peer(nl, *ino);
  close(nl);
  return peer;
}

std::optional<uint64_t> unix_peer_inode_via(int fd, int diag) {
  const std::optional<uint32_t> ino = unix_inode(fd);
  if (!ino || sockopt(diag, SO_DOMAIN) != AF_NETLINK || sockopt(diag, SO_PROTOCOL) != NETLINK_SOCK_DIAG)
    return std::nullopt;
  return ask_peer(diag, *ino);
}

bool is_peer_of(int a, int b) {
  const std::optional<uint64_t> ib = inode_of(b);
  const std::optional<uint64_t> pa = unix_peer_inode(a);
  return ib && pa && *ib == *pa;
}

}  // namespace stackd::ipc
