// Which file descriptors of the process are stack sockets: fd -> the client
// library's handle. Several fds (dup, dup2, F_DUPFD) may name one socket, as
// several fds name one open file in the kernel; the socket's kernel fd is
// shared by all of them, so the table only counts who still refers to it.
//
//   FdTable t(65536);
//   t.add(fd, handle);                 // socket(), accept()
//   t.dup(fd, newfd);                  // dup*(), fcntl(F_DUPFD*)
//   int h = t.handle(fd);              // every call: -1 = a kernel fd, forward to libc
//   auto r = t.remove(fd);             // close(), or newfd of dup2 before it is replaced
//   if (r.last) ...                    // no fd of this process names the socket any more
//
// handle() is lock-free (one atomic load: it runs on every read/write of the
// process); changes take a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace stackd::shim {

class FdTable {
 public:
  explicit FdTable(int capacity);

  // The handle of fd, or -1 (not a stack socket, or out of range).
  int handle(int fd) const {
    if (fd < 0 || fd >= capacity_) return -1;
    return slots_[static_cast<size_t>(fd)].load(std::memory_order_acquire);
  }
  // fd (a new kernel fd) stands for handle h. False if fd is out of range.
  bool add(int fd, int h);
  // newfd now names what oldfd names (a no-op if oldfd is not ours).
  // newfd must not be in the table (remove it first).
  bool dup(int oldfd, int newfd);

  struct Removed {
    int handle = -1;  // -1: fd was not a stack socket
    bool last = false;  // no other fd of this process names the socket
    int other_fd = -1;  // when !last: one fd that still does
  };
  Removed remove(int fd);

  // fds naming handle h (tests, diagnostics).
  size_t fds_of(int h) const;
  // Every fd in the table (exec: which of them the new image inherits);
  // nullopt when another thread holds the table's mutex (an exec in a
  // forked child must not wait for a lock whose holder did not fork).
  std::optional<std::vector<int>> fds() const;
  // Sockets in the table (lock-free).
  size_t sockets() const { return sockets_.load(std::memory_order_acquire); }
  int capacity() const { return capacity_; }

 private:
  int capacity_;
  std::unique_ptr<std::atomic<int>[]> slots_;
  mutable std::mutex mu_;
  std::unordered_map<int, std::vector<int>> by_handle_;
  std::atomic<size_t> sockets_{0};  // by_handle_.size()
};

}  // namespace stackd::shim
