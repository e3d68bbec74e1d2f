// The shim's fd table: which fds name which stack socket, and when the
// process's last fd of a socket goes (the handle is then forgotten).
#include "fd_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace stackd::shim {
namespace {

TEST(FdTable, KernelFdsAreNotOurs) {
  FdTable t(64);
  EXPECT_EQ(t.handle(3), -1);
  EXPECT_EQ(t.handle(-1), -1);
  EXPECT_EQ(t.handle(64), -1);  // beyond the capacity: a kernel fd
  EXPECT_EQ(t.remove(3).handle, -1);
}

TEST(FdTable, AddRejectsOutOfRange) {
  FdTable t(8);
  EXPECT_FALSE(t.add(8, 1));
  EXPECT_FALSE(t.add(-1, 1));
  EXPECT_FALSE(t.add(2, -1));
  EXPECT_TRUE(t.add(7, 1));
  EXPECT_EQ(t.handle(7), 1);
}

TEST(FdTable, CloseOfOnlyFdIsTheLast) {
  FdTable t(64);
  ASSERT_TRUE(t.add(5, 42));
  const auto r = t.remove(5);
  EXPECT_EQ(r.handle, 42);
  EXPECT_TRUE(r.last);
  EXPECT_EQ(t.handle(5), -1);
  EXPECT_EQ(t.fds_of(42), 0u);
}

TEST(FdTable, DupedFdsCloseIndependently) {
  FdTable t(64);
  ASSERT_TRUE(t.add(5, 42));
  ASSERT_TRUE(t.dup(5, 9));
  ASSERT_TRUE(t.dup(9, 12));
  EXPECT_EQ(t.handle(9), 42);
  EXPECT_EQ(t.handle(12), 42);
  EXPECT_EQ(t.fds_of(42), 3u);
  auto r = t.remove(5);
  EXPECT_EQ(r.handle, 42);
  EXPECT_FALSE(r.last);
  EXPECT_TRUE(r.other_fd == 9 || r.other_fd == 12);
  EXPECT_EQ(t.handle(9), 42);  // the others still name the socket
  r = t.remove(12);
  EXPECT_FALSE(r.last);
  EXPECT_EQ(r.other_fd, 9);
  r = t.remove(9);
  EXPECT_TRUE(r.last);
  EXPECT_EQ(t.fds_of(42), 0u);
}

TEST(FdTable, DupOfAKernelFdAddsNothing) {
  FdTable t(64);
  EXPECT_TRUE(t.dup(3, 4));
  EXPECT_EQ(t.handle(4), -1);
}

TEST(FdTable, RemovingTwiceIsHarmless) {
  FdTable t(64);
  ASSERT_TRUE(t.add(5, 1));
  EXPECT_TRUE(t.remove(5).last);
  const auto r = t.remove(5);
  EXPECT_EQ(r.handle, -1);
  EXPECT_FALSE(r.last);
}

TEST(FdTable, HandlesAreSeparate) {
  FdTable t(64);
  ASSERT_TRUE(t.add(5, 1));
  ASSERT_TRUE(t.add(6, 2));
  EXPECT_TRUE(t.remove(5).last);
  EXPECT_EQ(t.handle(6), 2);
  EXPECT_EQ(t.fds_of(2), 1u);
}

TEST(FdTable, ThreadsAddAndRemoveTheirOwnFds) {
  FdTable t(4096);
  std::vector<std::thread> th;
  for (int k = 0; k < 4; ++k)
    th.emplace_back([&t, k] {
      for (int round = 0; round < 200; ++round)
        for (int i = 0; i < 100; ++i) {
          const int fd = k * 1000 + i;
          t.add(fd, fd);
          t.dup(fd, fd + 500);
          t.remove(fd);
          t.remove(fd + 500);
        }
    });
  for (auto& x : th) x.join();
  for (int fd = 0; fd < 4096; ++fd) EXPECT_EQ(t.handle(fd), -1);
}

}  // namespace
}  // namespace stackd::shim
