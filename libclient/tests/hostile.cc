// A hostile client: attaches, opens sockets, then writes random bytes over
// its whole shared segment (found in /proc/self/maps) in a loop for SECONDS,
// ringing stackd's doorbell the whole time, so stackd decodes garbage
// requests, garbage ring indices and garbage records. stackd must survive
// and hurt nobody else; this process's own sockets may break.
//   stk_test_hostile PEER_ADDR PORT SECONDS SEED
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "stackd/client.h"

namespace {

bool find_segment(uint8_t** base, size_t* len) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("memfd:stackd-client-") == std::string::npos) continue;
    unsigned long lo = 0, hi = 0;
    std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi);
    *base = reinterpret_cast<uint8_t*>(lo);
    *len = hi - lo;
    return true;
  }
  return false;
}

// The attach socket: the only AF_UNIX SOCK_SEQPACKET fd the library opened.
int find_attach_fd() {
  for (int fd = 3; fd < 1024; ++fd) {
    int type = 0;
    socklen_t tl = sizeof(type);
    sockaddr_un sa{};
    socklen_t sl = sizeof(sa);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_SEQPACKET &&
        getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &sl) == 0 && sa.sun_family == AF_UNIX)
      return fd;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PEER_ADDR PORT SECONDS SEED\n", argv[0]);
    return 2;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &to.sin_addr);
  const double seconds = std::atof(argv[3]);
  std::mt19937_64 rng(std::strtoull(argv[4], nullptr, 10));
  // Real state first: connected TCP sockets and a UDP socket.
  for (int i = 0; i < 4; ++i) {
    const int s = stk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    stk_connect(s, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  const int u = stk_socket(AF_INET, SOCK_DGRAM, 0);
  stk_sendto(u, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  uint8_t* base = nullptr;
  size_t len = 0;
  const int afd = find_attach_fd();
  if (!find_segment(&base, &len) || afd < 0) {
    std::fprintf(stderr, "hostile: segment or attach socket not found\n");
    return 1;
  }
  std::printf("hostile: scribbling %zu bytes for %.1f s\n", len, seconds);
  std::fflush(stdout);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t rounds = 0;
  while (std::chrono::steady_clock::now() < end) {
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {
      // The whole segment.
      for (size_t i = 0; i + 8 <= len; i += 8) {
        const uint64_t v = rng();
        std::memcpy(base + i, &v, 8);
      }
    } else {
      // Small random stores: plausible-looking indices hit more paths.
      for (int k = 0; k < 4096; ++k) {
        const size_t off = rng() % (len - 8);
        const uint64_t v = mode == 1 ? rng() : (mode == 2 ? rng() % 4096 : (rng() & 0xff));
        std::memcpy(base + (off & ~size_t{3}), &v, 4);
      }
    }
    const uint8_t bell = 3;  // abi::AttachMsg::kDoorbell
    send(afd, &bell, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    ++rounds;
    if (rounds % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::printf("hostile: %llu rounds\n", static_cast<unsigned long long>(rounds));
  std::fflush(stdout);
  _exit(0);  // the library's own state is garbage now: leave without touching it
}
