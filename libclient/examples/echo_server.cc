// A threaded TCP echo server on stackd: one thread per connection, all on
// the socket API's blocking calls.
//   stk_echo_server PORT [MAX_CONNECTIONS] [-6]   (0 = forever)
// -6: an AF_INET6 socket on [::] (dual-stack: IPv4 peers show as ::ffff:a.b.c.d).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "stackd/client.h"

static void serve(int c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = stk_recv(c, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (stk_send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  stk_close(c);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [MAX_CONNECTIONS]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const long max = argc > 2 ? std::atol(argv[2]) : 0;
  const bool v6 = argc > 3 && std::strcmp(argv[3], "-6") == 0;
  const int l = stk_socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (l < 0) {
    std::perror("stk_socket");
    return 1;
  }
  const int one = 1;
  stk_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(static_cast<uint16_t>(port));  // sin6_addr = in6addr_any
  const int b = v6 ? stk_bind(l, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6))
                   : stk_bind(l, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  if (b != 0 || stk_listen(l, 128) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (long served = 0; max == 0 || served < max; ++served) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int c = stk_accept(l, reinterpret_cast<sockaddr*>(&peer), &len);
    if (c < 0) {
      std::perror("stk_accept");
      return 1;
    }
    char a[INET6_ADDRSTRLEN];
    const auto* p4 = reinterpret_cast<const sockaddr_in*>(&peer);
    const auto* p6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    if (peer.ss_family == AF_INET6)
      std::printf("connection from %s port %d\n", inet_ntop(AF_INET6, &p6->sin6_addr, a, sizeof(a)),
                  ntohs(p6->sin6_port));
    else
      std::printf("connection from %s:%d\n", inet_ntop(AF_INET, &p4->sin_addr, a, sizeof(a)),
                  ntohs(p4->sin_port));
    std::fflush(stdout);
    threads.emplace_back(serve, c);
  }
  for (auto& t : threads) t.join();  // MAX_CONNECTIONS served: finish them, then exit
  stk_close(l);
  return 0;
}
