// ipc::unix_peer_inode / is_peer_of: the kernel's word on which B an A pairs
// with, the proof stackd asks of a process claiming a socket fd.
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include "ipc/unix_peer.h"

namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a = sv[0];
    b = sv[1];
  }
  ~Pair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }
};

uint64_t ino(int fd) {
  struct stat st {};
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_ino;
}

// What a claimer does: the fd travels with SCM_RIGHTS; the receiver's copy
// is a new fd number for the same socket.
int pass(int fd) {
  Pair ch;
  char b = 'c';
  iovec v{&b, 1};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))]{};
  msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof(cbuf);
  cmsghdr* cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  EXPECT_EQ(sendmsg(ch.a, &m, 0), 1);
  msghdr r{};
  r.msg_iov = &v;
  r.msg_iovlen = 1;
  r.msg_control = cbuf;
  r.msg_controllen = sizeof(cbuf);
  EXPECT_EQ(recvmsg(ch.b, &r, 0), 1);
  int got = -1;
  if (CMSG_FIRSTHDR(&r) != nullptr) std::memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof(int));
  return got;
}

TEST(UnixPeer, ThePeerOfAnEndIsTheOtherEnd) {
  Pair p;
  ASSERT_EQ(stackd::ipc::unix_peer_inode(p.a), ino(p.b));
  ASSERT_EQ(stackd::ipc::unix_peer_inode(p.b), ino(p.a));
  EXPECT_TRUE(stackd::ipc::is_peer_of(p.a, p.b));
  EXPECT_TRUE(stackd::ipc::is_peer_of(p.b, p.a));
}

TEST(UnixPeer, AnotherPairsEndIsNoProof) {
  Pair p, q;
  EXPECT_FALSE(stackd::ipc::is_peer_of(q.a, p.b));
  EXPECT_FALSE(stackd::ipc::is_peer_of(p.b, p.b));  // B itself is not its own peer
}

TEST(UnixPeer, APassedCopyStillProvesTheSocket) {
  Pair p;
  const int copy = pass(p.a);
  ASSERT_GE(copy, 0);
  EXPECT_NE(copy, p.a);
  EXPECT_TRUE(stackd::ipc::is_peer_of(copy, p.b));
  close(copy);
}

TEST(UnixPeer, NotAConnectedUnixSocketHasNoPeer) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(stackd::ipc::unix_peer_inode(fds[0]).has_value());
  close(fds[0]);
  close(fds[1]);
  const int lone = socket(AF_UNIX, SOCK_STREAM, 0);
  EXPECT_FALSE(stackd::ipc::unix_peer_inode(lone).has_value());
  close(lone);
  const int tcp = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_FALSE(stackd::ipc::unix_peer_inode(tcp).has_value());
  close(tcp);
}

TEST(UnixPeer, AnEndWhosePeerClosedProvesNothing) {
  Pair p;
  const uint64_t old_b = ino(p.b);
  close(p.b);
  p.b = -1;
  const auto peer = stackd::ipc::unix_peer_inode(p.a);
  EXPECT_FALSE(peer.has_value()) << *peer << " (B was " << old_b << ")";
}

// The claimer's own sock_diag socket: its namespace's answer, and only
// the kernel's (a message another socket queued there first is no answer).
TEST(UnixPeer, ViaTheClaimersSockDiagSocketOnlyTheKernelAnswers) {
  Pair p, other;
  const int diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  ASSERT_GE(diag, 0);
  sockaddr_nl me{};
  me.nl_family = AF_NETLINK;
  ASSERT_EQ(bind(diag, reinterpret_cast<sockaddr*>(&me), sizeof(me)), 0);
  socklen_t len = sizeof(me);
  ASSERT_EQ(getsockname(diag, reinterpret_cast<sockaddr*>(&me), &len), 0);
  // A forged "answer" naming another socket as the peer, from a user socket.
  const int forger = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  ASSERT_GE(forger, 0);
  struct {
    nlmsghdr nh;
    unix_diag_msg m;
    nlattr a;
    uint32_t peer;
  } f{};
  f.nh.nlmsg_len = sizeof(f);
  f.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  f.nh.nlmsg_seq = 0x5eed + 1;
  f.m.udiag_family = AF_UNIX;
  f.m.udiag_ino = static_cast<uint32_t>(ino(p.a));
  f.a.nla_len = sizeof(nlattr) + sizeof(uint32_t);
  f.a.nla_type = UNIX_DIAG_PEER;
  f.peer = static_cast<uint32_t>(ino(other.b));
  if (sendto(forger, &f, sizeof(f), 0, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != static_cast<ssize_t>(sizeof(f)))
    GTEST_SKIP() << "this kernel refuses user-to-user sock_diag messages: nothing to forge";
  EXPECT_EQ(stackd::ipc::unix_peer_inode_via(p.a, diag), ino(p.b));
  // Not a sock_diag socket: no answer at all.
  EXPECT_EQ(stackd::ipc::unix_peer_inode_via(p.a, other.a), std::nullopt);
  close(forger);
  close(diag);
}

}  // namespace
