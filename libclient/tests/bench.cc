// Benchmarks of tests/bench/client_bench.sh: the same program on stackd's
// native API and on kernel sockets.
//   stk_test_bench rtt  stk|kernel HOST PORT N          64-byte request/response, prints p50/p99 us
//   stk_test_bench tput stk|zc|kernel HOST PORT BYTES    one connection to a sink, prints MB/s
// (busy-poll profile for stk: STACKD_BUSY_POLL_US in the environment)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stackd/client.hpp"

namespace {

struct Api {
  int (*socket)(int, int, int);
  int (*connect)(int, const sockaddr*, socklen_t);
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*recv)(int, void*, size_t, int);
  int (*setsockopt)(int, int, int, const void*, socklen_t);
  int (*close)(int);
};
const Api kStk{stk_socket, stk_connect, stk_send, stk_recv, stk_setsockopt, stk_close};
const Api kKernel{::socket, ::connect, ::send, ::recv, ::setsockopt, ::close};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int connect_to(const Api& api, const char* host, int port) {
  const int s = api.socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &a.sin_addr);
  if (s < 0 || api.connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const int one = 1;
  api.setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s rtt|tput stk|zc|kernel HOST PORT N\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1], api_name = argv[2];
  const Api& api = api_name == "kernel" ? kKernel : kStk;
  const int s = connect_to(api, argv[3], std::atoi(argv[4]));
  if (what == "rtt") {
    const long n = std::atol(argv[5]);
    char msg[64], in[64];
    std::memset(msg, 'r', sizeof(msg));
    std::vector<double> us;
    us.reserve(static_cast<size_t>(n));
    for (long i = 0; i < n + 100; ++i) {
      const double t0 = now_s();
      if (api.send(s, msg, 64, 0) != 64) return 1;
      size_t got = 0;
      while (got < 64) {
        const ssize_t r = api.recv(s, in + got, 64 - got, 0);
        if (r <= 0) return 1;
        got += static_cast<size_t>(r);
      }
      if (i >= 100) us.push_back((now_s() - t0) * 1e6);  // after a warm-up
    }
    std::sort(us.begin(), us.end());
    std::printf("rtt %s p50_us=%.1f p99_us=%.1f n=%ld\n", api_name.c_str(), us[us.size() / 2],
                us[us.size() * 99 / 100], n);
  } else {
    const double total = std::atof(argv[5]);
    std::vector<char> buf(256 * 1024, 'x');
    double sent = 0;
    const double t0 = now_s();
    if (api_name == "zc") {
      stackd::client::Socket sock(s);
      while (sent < total) {
        auto r = sock.reserve(static_cast<size_t>(total - sent));
        if (!r) return 1;
        std::memset(r->data.data(), 'x', r->data.size());  // the application writes its bytes in place
        sent += static_cast<double>(r->data.size());
        r->commit(r->data.size());
      }
      sock.shutdown(SHUT_WR);
      std::byte b[1];
      (void)sock.recv(b);  // the sink closes after reading everything
    } else {
      while (sent < total) {
        const size_t m = static_cast<size_t>(std::min<double>(buf.size(), total - sent));
        const ssize_t r = api.send(s, buf.data(), m, 0);
        if (r <= 0) return 1;
        sent += static_cast<double>(r);
      }
      if (api_name == "kernel") ::shutdown(s, SHUT_WR);
      else stk_shutdown(s, SHUT_WR);
      char b[1];
      api.recv(s, b, 1, 0);
    }
    const double el = now_s() - t0;
    std::printf("tput %s MB_s=%.0f bytes=%.0f seconds=%.3f\n", api_name.c_str(), sent / el / 1e6, sent, el);
    if (api_name == "zc") return 0;  // the Socket closed it
  }
  api.close(s);
  return 0;
}
