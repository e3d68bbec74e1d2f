// The control socket and its authorization: a live socket of another
// process is never taken over, a stale file is; the socket is 0660; peer
// credentials come back for our own connection; root or the admin group
// may mutate, others only read, and non-unix peers are refused.
#include "control/peer_auth.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace stackd::control {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/stackd-ctl-test.XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

int bound_socket(const std::string& path, bool listen) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return -1;
  if (listen) ::listen(fd, 1);
  return fd;
}

TEST(UnixListener, NeverTakesOverALiveSocket) {
  const std::string dir = temp_dir(), path = dir + "/c.sock";
  int other = bound_socket(path, true);
  ASSERT_GE(other, 0);
  UnixListener l;
  std::string err;
  EXPECT_FALSE(l.open(path, "", &err));
  EXPECT_NE(err.find("another process"), std::string::npos) << err;
  ::close(other);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(UnixListener, ReplacesAStaleFileAndIs0660) {
  const std::string dir = temp_dir(), path = dir + "/c.sock";
  int stale = bound_socket(path, false);
  ASSERT_GE(stale, 0);
  ::close(stale);  // the file stays, nobody listens
  {
    UnixListener l;
    std::string err;
    ASSERT_TRUE(l.open(path, "", &err)) << err;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "stop() removes the socket file";
  ::rmdir(dir.c_str());
}

TEST(PeerCred, OwnConnectionReportsOurIds) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto c = peer_cred(sv[0]);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->pid, ::getpid());
  EXPECT_EQ(c->uid, ::geteuid());
  EXPECT_EQ(c->gid, ::getegid());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(Authorizer, RootOrAdminGroupMayMutate) {
  Authorizer root_only(std::nullopt);
  EXPECT_TRUE(root_only.may_mutate({1, 0, 0, {}}));
  EXPECT_FALSE(root_only.may_mutate({1, 1000, 1000, {4}}));
  Authorizer adm(gid_t{4});
  EXPECT_TRUE(adm.may_mutate({1, 1000, 1000, {100, 4}}));
  EXPECT_TRUE(adm.may_mutate({1, 1000, 4, {}}));
  EXPECT_FALSE(adm.may_mutate({1, 1000, 1000, {100}}));
}

TEST(Authorizer, PeersByFdOnly) {
  Authorizer a(std::nullopt);
  a.remember(17, {42, 1000, 1000, {}});
  auto p = a.peer("fd:17");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 42);
  EXPECT_FALSE(a.peer("fd:18").has_value());
  EXPECT_FALSE(a.peer("ipv4:127.0.0.1:5000").has_value());
  EXPECT_FALSE(a.peer("fd:").has_value());
  a.remember(17, {43, 0, 0, {}});  // the fd number reused by a new connection
  EXPECT_EQ(a.peer("fd:17")->uid, 0u);
}

}  // namespace
}  // namespace stackd::control
