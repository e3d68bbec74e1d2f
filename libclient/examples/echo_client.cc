// A TCP echo client on stackd: sends BYTES of a seeded pattern, reads them
// back and checks every byte. --zerocopy uses the reserve/commit and
// borrow/release API instead of send/recv.
//   stk_echo_client HOST PORT BYTES [--zerocopy]     (HOST: IPv4 or IPv6 address)
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "stackd/client.h"

static uint8_t pattern(uint64_t i) { return static_cast<uint8_t>((i * 2654435761u) >> 13); }

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT BYTES [--zerocopy]\n", argv[0]);
    return 2;
  }
  const uint64_t total = std::strtoull(argv[3], nullptr, 10);
  const bool zc = argc > 4 && std::strcmp(argv[4], "--zerocopy") == 0;
  // HOST: an IPv4 or an IPv6 address (an AF_INET6 socket for the latter).
  const uint16_t port = static_cast<uint16_t>(std::atoi(argv[2]));
  sockaddr_in sin{};
  sockaddr_in6 sin6{};
  const bool v6 = inet_pton(AF_INET6, argv[1], &sin6.sin6_addr) == 1;
  if (v6) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
  } else {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    inet_pton(AF_INET, argv[1], &sin.sin_addr);
  }
  const int s = stk_socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  const int c = s < 0 ? -1
                : v6  ? stk_connect(s, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6))
                      : stk_connect(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  if (c != 0) {
    std::perror("connect");
    return 1;
  }
  std::thread writer([&] {
    uint64_t sent = 0;
    std::vector<uint8_t> buf(65536);
    while (sent < total) {
      if (zc) {
        void* p = nullptr;
        const ssize_t n = stk_send_reserve(s, &p, total - sent, 0);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) static_cast<uint8_t*>(p)[i] = pattern(sent + i);
        stk_send_commit(s, static_cast<size_t>(n));
        sent += static_cast<uint64_t>(n);
      } else {
        const size_t m = static_cast<size_t>(std::min<uint64_t>(buf.size(), total - sent));
        for (size_t i = 0; i < m; ++i) buf[i] = pattern(sent + i);
        const ssize_t n = stk_send(s, buf.data(), m, 0);
        if (n <= 0) break;
        sent += static_cast<uint64_t>(n);
      }
    }
    stk_shutdown(s, SHUT_WR);
  });
  uint64_t got = 0;
  std::vector<uint8_t> buf(65536);
  bool bad = false;
  while (got < total && !bad) {
    const uint8_t* p;
    ssize_t n;
    if (zc) {
      const void* v = nullptr;
      n = stk_recv_borrow(s, &v, 1 << 20, 0);
      p = static_cast<const uint8_t*>(v);
    } else {
      n = stk_recv(s, buf.data(), buf.size(), 0);
      p = buf.data();
    }
    if (n <= 0) {
      if (n < 0) std::perror("recv");
      else if (got < total) std::fprintf(stderr, "end of stream early (readiness 0x%x)\n", stk_readiness(s));
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      if (p[i] != pattern(got + i)) {
        std::fprintf(stderr, "mismatch at byte %llu\n", static_cast<unsigned long long>(got + i));
        bad = true;
        break;
      }
    }
    if (zc) stk_recv_release(s, static_cast<size_t>(n));
    got += static_cast<uint64_t>(n);
  }
  writer.join();
  stk_close(s);
  if (bad || got != total) {
    std::fprintf(stderr, "echo: got %llu of %llu bytes\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(total));
    return 1;
  }
  std::printf("echo OK: %llu bytes\n", static_cast<unsigned long long>(total));
  return 0;
}
