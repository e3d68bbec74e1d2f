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
std::optional<uint64_t> ask_peer(uint32_t ino) {
  const int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return std::nullopt;
  struct {
    nlmsghdr nh;
    unix_diag_req req;
  } q{};
  q.nh.nlmsg_len = sizeof(q);
  q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  q.nh.nlmsg_flags = NLM_F_REQUEST;
  q.req.sdiag_family = AF_UNIX;
  q.req.udiag_states = ~0u;
  q.req.udiag_ino = ino;
  q.req.udiag_show = UDIAG_SHOW_PEER;
  q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;  // INET_DIAG_NOCOOKIE
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::optional<uint64_t> peer;
  alignas(nlmsghdr) char buf[1024];
  if (sendto(nl, &q, sizeof(q), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) ==
      static_cast<ssize_t>(sizeof(q))) {
    const ssize_t n = recv(nl, buf, sizeof(buf), 0);
    auto* nh = reinterpret_cast<nlmsghdr*>(buf);
    if (n > 0 && NLMSG_OK(nh, static_cast<uint32_t>(n)) && nh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
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
  close(nl);
  return peer;
}

}  // namespace

std::optional<uint64_t> unix_peer_inode(int fd) {
  int domain = 0;
  socklen_t len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) return std::nullopt;
  const std::optional<uint64_t> ino = inode_of(fd);
  if (!ino || *ino > UINT32_MAX) return std::nullopt;  // sock_diag's inode field is 32 bits
  return ask_peer(static_cast<uint32_t>(*ino));
}

bool is_peer_of(int a, int b) {
  const std::optional<uint64_t> ib = inode_of(b);
  const std::optional<uint64_t> pa = unix_peer_inode(a);
  return ib && pa && *ib == *pa;
}

}  // namespace stackd::ipc
