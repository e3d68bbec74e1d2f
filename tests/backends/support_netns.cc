#include "support_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace stackd::test {

int sh(const std::string& cmd) {
  int r = std::system(cmd.c_str());
  if (r == -1 || !WIFEXITED(r)) return -1;
  return WEXITSTATUS(r);
}

std::string sh_output(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  std::array<char, 512> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  pclose(f);
  return out;
}

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid() % 100000) + "x" + std::to_string(counter++);
}

NetnsGuard::NetnsGuard(std::vector<std::string> names) : names_(std::move(names)) {
  for (const auto& n : names_) ok_ = ok_ && sh("ip netns add " + n) == 0;
}

NetnsGuard::~NetnsGuard() {
  for (const auto& n : names_) sh("ip netns del " + n + " 2>/dev/null");
}

NetnsScope::NetnsScope(const std::string& name) {
  old_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (old_fd_ >= 0 && fd >= 0) ok_ = setns(fd, CLONE_NEWNET) == 0;
  if (fd >= 0) close(fd);
}

NetnsScope::~NetnsScope() {
  if (ok_) setns(old_fd_, CLONE_NEWNET);
  if (old_fd_ >= 0) close(old_fd_);
}

int socket_in(const std::string& ns, int domain, int type, int protocol) {
  NetnsScope scope(ns);
  if (!scope.ok()) return -1;
  return socket(domain, type | SOCK_CLOEXEC, protocol);
}

}  // namespace stackd::test
