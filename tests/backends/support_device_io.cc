#include "support_device_io.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "support_netns.h"

namespace stackd::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::optional<std::vector<uint8_t>> wait_frame(nic::Device& dev, const FrameMatch& match,
                                               int timeout_ms, int* others) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::array<buf::PacketBuf, 32> burst;
  for (;;) {
    size_t n = dev.rx_burst(burst, Instant{});
    std::optional<std::vector<uint8_t>> found;
    for (size_t i = 0; i < n; ++i) {
      auto b = burst[i].bytes();
      if (!found && match(b))
        found.emplace(b.begin(), b.end());
      else if (others != nullptr)
        ++*others;
      burst[i].reset();
    }
    if (found) return found;
    int left = remaining_ms(deadline);
    if (left == 0) return std::nullopt;
    if (n == 0) {
      pollfd p{dev.wait_fd(), POLLIN, 0};
      poll(&p, 1, std::min(left, 50));
    }
  }
}

bool send_frame(nic::Device& dev, buf::FramePool& pool, std::span<const uint8_t> frame) {
  buf::PacketBuf b = pool.alloc(static_cast<uint32_t>(frame.size()));
  if (!b || !b.append(static_cast<uint32_t>(frame.size()))) return false;
  std::memcpy(b.data(), frame.data(), frame.size());
  size_t taken = dev.tx_burst(std::span<buf::PacketBuf>(&b, 1), Instant{});
  dev.flush(Instant{});
  return taken == 1;
}

int udp_socket(const std::string& ns, Ipv4Addr addr, uint16_t port) {
  int fd = ns.empty() ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)
                      : socket_in(ns, AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr.v);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool udp_send(int fd, Ipv4Addr dst, uint16_t port, const std::string& payload) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(dst.v);
  return sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa),
                sizeof sa) == static_cast<ssize_t>(payload.size());
}

std::optional<std::string> udp_recv(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
  std::array<char, 2048> buf{};
  ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0) return std::nullopt;
  return std::string(buf.data(), static_cast<size_t>(n));
}

}  // namespace stackd::test
