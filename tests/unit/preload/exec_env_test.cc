// ExecEnv: the environment an exec gets when the process's stackd
// attachment goes along (STACKD_ATTACH), and when it does not.
#include "exec_env.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "fd_table.h"

namespace stackd::shim {
namespace {

std::vector<std::string> strings(char* const* envp) {
  std::vector<std::string> v;
  for (; *envp != nullptr; ++envp) v.emplace_back(*envp);
  return v;
}

TEST(ExecEnv, PreloadsShimOnlyWithTheShimInLdPreload) {
  char a[] = "LD_PRELOAD=/usr/lib/libasan.so.8 /build/preload/libstackshim.so", b[] = "PATH=/bin";
  char* with[] = {b, a, nullptr};
  EXPECT_TRUE(ExecEnv(with).preloads_shim());
  char c[] = "LD_PRELOAD=/usr/lib/libother.so", d[] = "XLD_PRELOAD=libstackshim.so";
  char* without[] = {b, c, d, nullptr};
  EXPECT_FALSE(ExecEnv(without).preloads_shim());
  char* none[] = {nullptr};
  EXPECT_FALSE(ExecEnv(none).preloads_shim());
  EXPECT_FALSE(ExecEnv(nullptr).preloads_shim());
}

TEST(ExecEnv, AddsTheAttachmentAndDropsAStaleOne) {
  char a[] = "PATH=/bin", stale[] = "STACKD_ATTACH=9:1:10:2:", b[] = "STACKD_ATTACHX=keep";
  char* envp[] = {a, stale, b, nullptr};
  ExecEnv e(envp);
  EXPECT_EQ(strings(e.with("5:77:6:78:0.3")),
            (std::vector<std::string>{"PATH=/bin", "STACKD_ATTACHX=keep", "STACKD_ATTACH=5:77:6:78:0.3"}));
  ExecEnv e2(envp);
  EXPECT_EQ(strings(e2.with("")), (std::vector<std::string>{"PATH=/bin", "STACKD_ATTACHX=keep"}));
}

TEST(ExecEnv, UnchangedWhenNothingToDo) {
  char a[] = "PATH=/bin";
  char* envp[] = {a, nullptr};
  ExecEnv e(envp);
  EXPECT_EQ(e.with(""), envp);
}

TEST(FdTable, FdsListsEveryFdOfEverySocket) {
  FdTable t(64);
  t.add(5, 1);
  t.dup(5, 9);
  t.add(7, 2);
  EXPECT_EQ(t.sockets(), 2u);
  std::vector<int> fds = t.fds().value();
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<int>{5, 7, 9}));
  t.remove(9);
  t.remove(7);
  EXPECT_EQ(t.sockets(), 1u);
  fds = t.fds().value();
  EXPECT_EQ(fds, (std::vector<int>{5}));
}

}  // namespace
}  // namespace stackd::shim
