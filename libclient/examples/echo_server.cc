// A threaded TCP echo server on stackd: one thread per connection, all on
// the socket API's blocking calls.
//   stk_echo_server PORT [MAX_CONNECTIONS]   (0 = forever)
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
  const int l = stk_socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) {
    std::perror("stk_socket");
    return 1;
  }
  const int one = 1;
  stk_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  if (stk_bind(l, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 || stk_listen(l, 128) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (long served = 0; max == 0 || served < max; ++served) {
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int c = stk_accept(l, reinterpret_cast<sockaddr*>(&peer), &len);
    if (c < 0) {
      std::perror("stk_accept");
      return 1;
    }
    char a[INET_ADDRSTRLEN];
    std::printf("connection from %s:%d\n", inet_ntop(AF_INET, &peer.sin_addr, a, sizeof(a)), ntohs(peer.sin_port));
    std::fflush(stdout);
    threads.emplace_back(serve, c);
  }
  for (auto& t : threads) t.join();  // MAX_CONNECTIONS served: finish them, then exit
  stk_close(l);
  return 0;
}
