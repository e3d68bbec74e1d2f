#include "fd_table.h"

#include <algorithm>

namespace stackd::shim {

FdTable::FdTable(int capacity) : capacity_(capacity < 0 ? 0 : capacity) {
  slots_ = std::make_unique<std::atomic<int>[]>(static_cast<size_t>(capacity_));
  for (int i = 0; i < capacity_; ++i) slots_[static_cast<size_t>(i)].store(-1, std::memory_order_relaxed);
}

bool FdTable::add(int fd, int h) {
  if (fd < 0 || fd >= capacity_ || h < 0) return false;
  std::lock_guard lk(mu_);
  slots_[static_cast<size_t>(fd)].store(h, std::memory_order_release);
  by_handle_[h].push_back(fd);
  sockets_.store(by_handle_.size(), std::memory_order_release);
  return true;
}

bool FdTable::dup(int oldfd, int newfd) {
  const int h = handle(oldfd);
  if (h < 0) return true;
  return add(newfd, h);
}

FdTable::Removed FdTable::remove(int fd) {
  Removed r;
  if (fd < 0 || fd >= capacity_) return r;
  std::lock_guard lk(mu_);
  r.handle = slots_[static_cast<size_t>(fd)].exchange(-1, std::memory_order_acq_rel);
  if (r.handle < 0) return r;
  auto it = by_handle_.find(r.handle);
  if (it == by_handle_.end()) {
    r.last = true;
    return r;
  }
  std::erase(it->second, fd);
  if (it->second.empty()) {
    by_handle_.erase(it);
    sockets_.store(by_handle_.size(), std::memory_order_release);
    r.last = true;
  } else {
    r.other_fd = it->second.front();
  }
  return r;
}

size_t FdTable::fds_of(int h) const {
  std::lock_guard lk(mu_);
  auto it = by_handle_.find(h);
  return it == by_handle_.end() ? 0 : it->second.size();
}

std::optional<std::vector<int>> FdTable::fds() const {
  std::unique_lock lk(mu_, std::try_to_lock);
  if (!lk.owns_lock()) return std::nullopt;
  std::vector<int> out;
  for (const auto& [h, v] : by_handle_) out.insert(out.end(), v.begin(), v.end());
  return out;
}

}  // namespace stackd::shim
