// ipc::answer_claim: the daemon side of the Claim (abi/attach.h "Claim"):
// which socket a process holding fd A may use, proven by A's peer being one
// of the B ends in the index, answered on the reply socket R.
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "ipc/claim.h"

namespace stackd::ipc {
namespace {

struct Pair {
  int a = -1, b = -1;
  explicit Pair(int type = SOCK_STREAM) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
    a = sv[0];
    b = sv[1];
  }
  ~Pair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }
};

const int kClient = 1, kOther = 2;  // owners (their addresses)

std::optional<abi::ClaimReply> describe(uint32_t slot) {
  if (slot != 7) return std::nullopt;
  abi::ClaimReply r{};
  r.sock = 7;
  r.gen = 42;
  r.type = SOCK_STREAM;
  r.domain = AF_INET6;
  r.state = abi::claim_state::kWasConnected;
  return r;
}

abi::ClaimMsg msg() {
  abi::ClaimMsg m{};
  m.type = static_cast<uint8_t>(abi::AttachMsg::kClaim);
  return m;
}

// Claim with a dup of `a` and a fresh reply pair; the reply (nullopt: none,
// R closed) and the status answer_claim returned.
struct Outcome {
  int ret;
  std::optional<abi::ClaimReply> reply;
};
Outcome claim(const FdIndex& idx, const void* owner, int a, size_t len = sizeof(abi::ClaimMsg), bool with_r = true,
              int diag = -1) {
  Pair r(SOCK_SEQPACKET);
  std::vector<int> fds{dup(a)};
  if (with_r) {
    fds.push_back(r.b);
    r.b = -1;  // answer_claim closes it
  }
  if (diag >= 0) fds.push_back(diag);
  const abi::ClaimMsg m = msg();
  uint8_t buf[64] = {};
  std::memcpy(buf, &m, sizeof(m));
  Outcome o{answer_claim(buf, len, fds, idx, owner, describe), std::nullopt};
  EXPECT_TRUE(fds.empty());  // every fd closed
  abi::ClaimReply rep{};
  const ssize_t n = recv(r.a, &rep, sizeof(rep), MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(sizeof(rep))) {
    o.reply = rep;
  } else if (with_r) {
    EXPECT_EQ(n, 0) << "R must be closed when nothing is answered";
  }
  return o;
}

uint64_t ino(int fd) { return inode_of_fd(fd); }

TEST(Claim, OwnSocketAnswersTheSlot) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  const Outcome o = claim(idx, &kClient, ab.a);
  EXPECT_EQ(o.ret, 0);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->status, 0);
  EXPECT_EQ(o.reply->sock, 7u);
  EXPECT_EQ(o.reply->gen, 42u);
  EXPECT_EQ(o.reply->type, SOCK_STREAM);
  EXPECT_EQ(o.reply->domain, AF_INET6);
  EXPECT_EQ(o.reply->state, abi::claim_state::kWasConnected);
}

TEST(Claim, AnotherAttachmentsSocketIsEnoent) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kOther, 7);
  const Outcome o = claim(idx, &kClient, ab.a);
  EXPECT_EQ(o.ret, ENOENT);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->status, ENOENT);
  EXPECT_EQ(o.reply->sock, 0u);  // nothing about the other client's socket
  EXPECT_EQ(o.reply->gen, 0u);
}

TEST(Claim, WrongPeerIsRefused) {
  Pair ab, stranger;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  // B itself (a claimer that kept a copy of B) and an unrelated pair's end.
  EXPECT_EQ(claim(idx, &kClient, ab.b).ret, EBADF);
  EXPECT_EQ(claim(idx, &kClient, stranger.a).ret, EBADF);
  // Not a socket at all.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(claim(idx, &kClient, p[0]).ret, EBADF);
  close(p[0]);
  close(p[1]);
}

TEST(Claim, ClosedSlotIsRefused) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  idx.remove(ino(ab.b));
  EXPECT_EQ(claim(idx, &kClient, ab.a).ret, EBADF);
  idx.add(ino(ab.b), &kClient, 3);  // describe() knows no slot 3: not a socket with an fd
  EXPECT_EQ(claim(idx, &kClient, ab.a).ret, EBADF);
}

TEST(Claim, TruncatedMessageGetsNoAnswer) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  const Outcome o = claim(idx, &kClient, ab.a, sizeof(abi::ClaimMsg) - 1);
  EXPECT_EQ(o.ret, -1);
  EXPECT_FALSE(o.reply);
}

TEST(Claim, MissingFdsGetNoAnswer) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  EXPECT_EQ(claim(idx, &kClient, ab.a, sizeof(abi::ClaimMsg), false).ret, -1);  // A alone
  // R that is not a socket: nowhere to answer.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::vector<int> fds{dup(ab.a), p[1]};
  const abi::ClaimMsg m = msg();
  EXPECT_EQ(answer_claim(reinterpret_cast<const uint8_t*>(&m), sizeof(m), fds, idx, &kClient, describe), -1);
  EXPECT_TRUE(fds.empty());
  char c;
  EXPECT_EQ(read(p[0], &c, 1), 0);  // the write end was closed
  close(p[0]);
}

TEST(Claim, AskedThroughTheClaimersSockDiagSocket) {
  Pair ab;
  FdIndex idx;
  idx.add(ino(ab.b), &kClient, 7);
  const int diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  ASSERT_GE(diag, 0);
  const Outcome o = claim(idx, &kClient, ab.a, sizeof(abi::ClaimMsg), true, diag);
  EXPECT_EQ(o.ret, 0);
  // A "diag" socket that is not NETLINK_SOCK_DIAG proves nothing.
  Pair fake;
  EXPECT_EQ(claim(idx, &kClient, ab.a, sizeof(abi::ClaimMsg), true, fake.a).ret, EBADF);
  fake.a = -1;  // closed by answer_claim
}

}  // namespace
}  // namespace stackd::ipc
