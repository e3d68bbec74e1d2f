// A UDP tool on stackd.
//   stk_udp_tool echo PORT COUNT           answer COUNT datagrams to their sender
//   stk_udp_tool send HOST PORT COUNT SIZE [--broadcast]
//                                          send COUNT datagrams of SIZE bytes (seeded) and
//                                          expect each back (from an echo), byte-exact
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stackd/client.h"

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "echo") == 0) {
    const int s = stk_socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    if (s < 0 || stk_bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
      std::perror("bind");
      return 1;
    }
    std::printf("udp echo on %s\n", argv[2]);
    std::fflush(stdout);
    std::vector<char> buf(65536);
    for (long i = 0, n = std::atol(argv[3]); i < n; ++i) {
      sockaddr_in from{};
      socklen_t fl = sizeof(from);
      const ssize_t r = stk_recvfrom(s, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (r < 0) {
        std::perror("recvfrom");
        return 1;
      }
      stk_sendto(s, buf.data(), static_cast<size_t>(r), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
    stk_close(s);
    return 0;
  }
  if (argc >= 6 && std::strcmp(argv[1], "send") == 0) {
    const int s = stk_socket(AF_INET, SOCK_DGRAM, 0);
    if (argc > 6 && std::strcmp(argv[6], "--broadcast") == 0) {
      const int one = 1;
      stk_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[3])));
    inet_pton(AF_INET, argv[2], &to.sin_addr);
    timeval tv{2, 0};
    stk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const long count = std::atol(argv[4]);
    const size_t size = static_cast<size_t>(std::atol(argv[5]));
    std::vector<unsigned char> out(size), in(65536);
    long ok = 0;
    for (long i = 0; i < count; ++i) {
      for (size_t j = 0; j < size; ++j) out[j] = static_cast<unsigned char>(i * 31 + j * 7);
      if (stk_sendto(s, out.data(), size, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != static_cast<ssize_t>(size)) {
        std::perror("sendto");
        return 1;
      }
      const ssize_t r = stk_recvfrom(s, in.data(), in.size(), 0, nullptr, nullptr);
      if (r == static_cast<ssize_t>(size) && std::memcmp(in.data(), out.data(), size) == 0) ++ok;
    }
    std::printf("udp: %ld of %ld datagrams echoed byte-exact\n", ok, count);
    return ok == count ? 0 : 1;
  }
  std::fprintf(stderr, "usage: %s echo PORT COUNT | send HOST PORT COUNT SIZE [--broadcast]\n", argv[0]);
  return 2;
}
