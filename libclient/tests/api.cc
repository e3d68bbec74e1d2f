// Scenarios for tests/net/test_client_*.sh: each checks return values and
// errno of the socket API against what Linux gives, against a Linux peer.
//   stk_test_api errno PEER_ADDR          (peer: echo on 5000, UDP echo on 5001, 5002 closed,
//                                          5003 accepts and never reads)
//   stk_test_api threads PEER_ADDR        (peer: echo on 5000, UDP echo on 5001)
//   stk_test_api hold PEER_ADDR PORT      connect, send forever (killed by the test)
//   stk_test_api restart PEER_ADDR PORT   stackd killed and restarted under a connected socket
// Prints "ok NAME" / "FAIL NAME: ..." per check; exits 1 if any failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stackd/client.h"

namespace {

int g_failed = 0;
sockaddr_in g_peer{};

void check(bool ok, const char* name, const std::string& why = "") {
  if (ok) {
    std::printf("ok %s\n", name);
  } else {
    std::printf("FAIL %s: %s (errno %d %s)\n", name, why.c_str(), errno, std::strerror(errno));
    ++g_failed;
  }
  std::fflush(stdout);
}

// r == -1 with errno == e
void expect_errno(long r, int e, const char* name) {
  const int got = errno;
  check(r == -1 && got == e, name,
        "got " + std::to_string(r) + " errno " + std::to_string(got) + ", want -1 errno " + std::to_string(e));
}

sockaddr_in addr(uint16_t port, const sockaddr_in& base = g_peer) {
  sockaddr_in a = base;
  a.sin_port = htons(port);
  return a;
}
sockaddr* sa(sockaddr_in& a) { return reinterpret_cast<sockaddr*>(&a); }

int tcp_connected(uint16_t port) {
  const int s = stk_socket(AF_INET, SOCK_STREAM, 0);
  auto a = addr(port);
  if (stk_connect(s, sa(a), sizeof(a)) != 0) return -1;
  return s;
}

double secs_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void scenario_errno() {
  // socket()
  expect_errno(stk_socket(AF_INET, 42, 0), ESOCKTNOSUPPORT, "socket bad type ESOCKTNOSUPPORT");
  expect_errno(stk_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT, "socket bad protocol EPROTONOSUPPORT");
  expect_errno(stk_send(4000, "x", 1, 0), EBADF, "send on a bad handle EBADF");
  expect_errno(stk_close(4000), EBADF, "close of a bad handle EBADF");

  // connect: refused, blocking and non-blocking (EINPROGRESS, then SO_ERROR).
  {
    const int s = stk_socket(AF_INET, SOCK_STREAM, 0);
    auto a = addr(5002);
    expect_errno(stk_connect(s, sa(a), sizeof(a)), ECONNREFUSED, "blocking connect ECONNREFUSED");
    stk_close(s);
  }
  {
    const int s = stk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto a = addr(5002);
    expect_errno(stk_connect(s, sa(a), sizeof(a)), EINPROGRESS, "non-blocking connect EINPROGRESS");
    pollfd p{s, POLLOUT, 0};
    const int n = stk_poll(&p, 1, 3000);
    check(n == 1 && (p.revents & POLLERR), "poll reports the failed connect (POLLERR)");
    int err = 0;
    socklen_t len = sizeof(err);
    check(stk_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED && len == sizeof(int),
          "SO_ERROR = ECONNREFUSED", "SO_ERROR " + std::to_string(err));
    stk_close(s);
  }
  {
    const int s = stk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    auto a = addr(5000);
    expect_errno(stk_connect(s, sa(a), sizeof(a)), EINPROGRESS, "non-blocking connect to a listener EINPROGRESS");
    pollfd p{s, POLLOUT, 0};
    check(stk_poll(&p, 1, 3000) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR), "poll POLLOUT once connected");
    int err = -1;
    socklen_t len = sizeof(err);
    check(stk_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "SO_ERROR 0 after connect");
    char b[8];
    expect_errno(stk_recv(s, b, sizeof(b), 0), EAGAIN, "non-blocking recv with nothing EAGAIN");
    expect_errno(stk_connect(s, sa(a), sizeof(a)), EISCONN, "connect when connected EISCONN");
    stk_close(s);
  }
  // Unconnected sockets.
  {
    const int s = stk_socket(AF_INET, SOCK_STREAM, 0);
    char b[8];
    expect_errno(stk_recv(s, b, sizeof(b), 0), ENOTCONN, "recv unconnected ENOTCONN");
    expect_errno(stk_send(s, b, sizeof(b), MSG_NOSIGNAL), EPIPE, "send unconnected EPIPE");
    sockaddr_in pa{};
    socklen_t pl = sizeof(pa);
    expect_errno(stk_getpeername(s, sa(pa), &pl), ENOTCONN, "getpeername unconnected ENOTCONN");
    expect_errno(stk_accept(s, nullptr, nullptr), EINVAL, "accept on a non-listener EINVAL");
    expect_errno(stk_shutdown(s, SHUT_WR), ENOTCONN, "shutdown unconnected ENOTCONN");
    stk_close(s);
  }
  // bind / listen
  {
    const int a = stk_socket(AF_INET, SOCK_STREAM, 0), b = stk_socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(7100);
    check(stk_bind(a, sa(any), sizeof(any)) == 0 && stk_listen(a, 16) == 0, "bind + listen");
    expect_errno(stk_bind(b, sa(any), sizeof(any)), EADDRINUSE, "second bind to the port EADDRINUSE");
    sockaddr_in got{};
    socklen_t gl = sizeof(got);
    check(stk_getsockname(a, sa(got), &gl) == 0 && ntohs(got.sin_port) == 7100 && gl == sizeof(got), "getsockname port");
    int v = 0;
    socklen_t vl = sizeof(v);
    check(stk_getsockopt(a, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1, "SO_ACCEPTCONN 1");
    check(stk_fcntl(a, F_SETFL, O_NONBLOCK) == 0 && (stk_fcntl(a, F_GETFL, 0) & O_NONBLOCK), "fcntl O_NONBLOCK");
    expect_errno(stk_accept(a, nullptr, nullptr), EAGAIN, "non-blocking accept EAGAIN");
    sockaddr_in sin{};
    sin.sin_family = AF_INET6;
    expect_errno(stk_bind(b, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), EAFNOSUPPORT, "bind AF_INET6 address EAFNOSUPPORT");
    expect_errno(stk_bind(b, sa(any), 4), EINVAL, "bind short address EINVAL");
    stk_close(a);
    stk_close(b);
    const int u = stk_socket(AF_INET, SOCK_DGRAM, 0);
    expect_errno(stk_listen(u, 1), EOPNOTSUPP, "listen on UDP EOPNOTSUPP");
    stk_close(u);
  }
  // Options.
  {
    const int s = tcp_connected(5000);
    check(s >= 0, "connect to the echo peer");
    int one = 1, v = 0;
    socklen_t vl = sizeof(v);
    check(stk_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
              stk_getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1, "TCP_NODELAY set/get");
    int zero = 0;
    expect_errno(stk_setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &zero, sizeof(zero)), EINVAL, "TCP_KEEPCNT 0 EINVAL");
    int idle = 30;
    vl = sizeof(v);
    check(stk_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == 0 &&
              stk_getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl) == 0 && v == 30, "TCP_KEEPIDLE set/get");
    check(stk_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0, "SO_KEEPALIVE");
    expect_errno(stk_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "nope", 4), ENOENT, "TCP_CONGESTION unknown ENOENT");
    char cc[16] = {};
    socklen_t cl = sizeof(cc);
    check(stk_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) == 0 &&
              stk_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cc, &cl) == 0 && std::strcmp(cc, "reno") == 0,
          "TCP_CONGESTION reno set/get", cc);
    expect_errno(stk_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 2), EINVAL, "short optlen EINVAL");
    expect_errno(stk_setsockopt(s, SOL_SOCKET, 9999, &one, sizeof(one)), ENOPROTOOPT, "unknown option ENOPROTOOPT");
    tcp_info ti{};
    socklen_t tl = sizeof(ti);
    check(stk_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == 1 && tl == sizeof(ti) &&
              ti.tcpi_snd_mss > 0, "TCP_INFO ESTABLISHED");
    linger lg{1, 0}, lg2{};
    socklen_t ll = sizeof(lg2);
    check(stk_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0 &&
              stk_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &ll) == 0 && lg2.l_onoff == 1 && lg2.l_linger == 0,
          "SO_LINGER set/get");
    v = 0;
    vl = sizeof(v);
    check(stk_getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM, "SO_TYPE");
    sockaddr_in pa{};
    socklen_t pl = sizeof(pa);
    check(stk_getpeername(s, sa(pa), &pl) == 0 && pa.sin_addr.s_addr == g_peer.sin_addr.s_addr &&
              ntohs(pa.sin_port) == 5000, "getpeername");
    // SO_RCVTIMEO: a recv with nothing to read fails with EAGAIN after the timeout.
    timeval tv{0, 300000};
    stk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    timeval tv2{};
    socklen_t tvl = sizeof(tv2);
    check(stk_getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &tvl) == 0 && tv2.tv_usec == 300000, "SO_RCVTIMEO get");
    char b[16];
    auto t0 = std::chrono::steady_clock::now();
    const long r = stk_recv(s, b, sizeof(b), 0);
    const double el = secs_since(t0);
    expect_errno(r, EAGAIN, "recv past SO_RCVTIMEO EAGAIN");
    check(el >= 0.28 && el < 2.0, "SO_RCVTIMEO waited about 300 ms", std::to_string(el));
    // Echo through send/recv with MSG_WAITALL, writev/readv.
    check(stk_send(s, "hello world", 11, 0) == 11, "send");
    check(stk_recv(s, b, 11, MSG_WAITALL) == 11 && std::memcmp(b, "hello world", 11) == 0, "recv MSG_WAITALL");
    iovec wv[2] = {{const_cast<char*>("abc"), 3}, {const_cast<char*>("defg"), 4}};
    check(stk_writev(s, wv, 2) == 7, "writev");
    char r1[2], r2[5];
    iovec rv[2] = {{r1, 2}, {r2, 5}};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    check(stk_readv(s, rv, 2) == 7 && std::memcmp(r1, "ab", 2) == 0 && std::memcmp(r2, "cdefg", 5) == 0, "readv");
    // shutdown(SHUT_WR): the echo peer closes, we read EOF; then send is EPIPE.
    check(stk_shutdown(s, SHUT_WR) == 0, "shutdown SHUT_WR");
    tv = {3, 0};
    stk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    check(stk_recv(s, b, sizeof(b), 0) == 0, "recv EOF after the peer's FIN");
    expect_errno(stk_send(s, "x", 1, MSG_NOSIGNAL), EPIPE, "send after SHUT_WR EPIPE");
    check(stk_close(s) == 0, "close");
    expect_errno(stk_close(s), EBADF, "second close EBADF");
  }
  // UDP errno paths.
  {
    const int u = stk_socket(AF_INET, SOCK_DGRAM, 0);
    expect_errno(stk_send(u, "x", 1, 0), EDESTADDRREQ, "UDP send unconnected EDESTADDRREQ");
    std::vector<char> big(70000);
    auto a = addr(5001);
    expect_errno(stk_sendto(u, big.data(), big.size(), 0, sa(a), sizeof(a)), EMSGSIZE, "UDP 70000 bytes EMSGSIZE");
    char b[64];
    expect_errno(stk_recv(u, b, sizeof(b), MSG_DONTWAIT), EAGAIN, "UDP recv MSG_DONTWAIT EAGAIN");
    check(stk_sendto(u, "ping", 4, 0, sa(a), sizeof(a)) == 4, "UDP sendto");
    sockaddr_in from{};
    socklen_t fl = sizeof(from);
    timeval tv{3, 0};
    stk_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    check(stk_recvfrom(u, b, 2, MSG_TRUNC, sa(from), &fl) == 4 && ntohs(from.sin_port) == 5001, "UDP recvfrom MSG_TRUNC real length");
    // The event API: this thread's fd becomes readable when a watched socket
    // gets data (a kernel poll(2) on it, as an application's loop would).
    const int efd = stk_event_fd();
    check(efd >= 0 && stk_watch(u, 1) == 0, "event fd and watch");
    stk_event_arm();
    check(!(stk_readiness(u) & POLLIN), "nothing readable before the echo");
    pollfd p{efd, POLLIN, 0};
    check(::poll(&p, 1, 0) == 0, "event fd quiet while nothing happened");
    stk_sendto(u, "pong", 4, 0, sa(a), sizeof(a));
    // The fd says "look again" (sending changed the socket too); the
    // application's loop: arm, look at readiness, sleep on the fd.
    bool readable = false;
    for (int i = 0; i < 20 && !readable; ++i) {
      if (::poll(&p, 1, 2000) != 1) break;
      stk_event_arm();
      readable = (stk_readiness(u) & POLLIN) != 0;
    }
    check(readable, "event fd wakes the loop and readiness shows POLLIN when the echo arrives");
    stk_close(u);
    // A connected UDP socket learns of the closed port (ICMP) as ECONNREFUSED.
    const int c = stk_socket(AF_INET, SOCK_DGRAM, 0);
    auto closed = addr(5002);
    check(stk_connect(c, sa(closed), sizeof(closed)) == 0, "UDP connect");
    stk_send(c, "x", 1, 0);
    stk_setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    expect_errno(stk_recv(c, b, sizeof(b), 0), ECONNREFUSED, "UDP recv after ICMP port unreachable ECONNREFUSED");
    stk_close(c);
  }
}

// SO_SNDTIMEO: a peer that never reads (port 5003) fills both windows and
// the rings; a blocking send then fails with EAGAIN after the timeout
// (Linux: a partial count if some bytes went, else -1 EAGAIN). A connect
// that nobody answers (an address without a host) gives up with
// EINPROGRESS when SO_SNDTIMEO expires, as on Linux.
void scenario_sndtimeo() {
  const int s = tcp_connected(5003);
  check(s >= 0, "connect to the peer that never reads");
  timeval tv{0, 300000};
  check(stk_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0, "SO_SNDTIMEO set");
  std::vector<char> buf(65536, 'z');
  long r = 0;
  int err = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000 && secs_since(t0) < 30; ++i) {
    r = stk_send(s, buf.data(), buf.size(), 0);
    err = errno;
    if (r < 0) break;
  }
  errno = err;
  expect_errno(r, EAGAIN, "send past SO_SNDTIMEO EAGAIN");
  t0 = std::chrono::steady_clock::now();
  r = stk_send(s, buf.data(), buf.size(), 0);
  const double el = secs_since(t0);
  expect_errno(r, EAGAIN, "again EAGAIN");
  check(el >= 0.28 && el < 2.0, "send waited about 300 ms", std::to_string(el));
  stk_close(s);
  const int c = stk_socket(AF_INET, SOCK_STREAM, 0);
  stk_setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in nobody = g_peer;
  nobody.sin_addr.s_addr = htonl((ntohl(g_peer.sin_addr.s_addr) & 0xffffff00u) | 77u);
  nobody.sin_port = htons(80);
  t0 = std::chrono::steady_clock::now();
  expect_errno(stk_connect(c, sa(nobody), sizeof(nobody)), EINPROGRESS, "connect past SO_SNDTIMEO EINPROGRESS");
  check(secs_since(t0) < 2.0, "connect gave up after about 300 ms", std::to_string(secs_since(t0)));
  stk_close(c);
}

// 8 threads on 8 sockets, then 8 threads on one socket.
void scenario_threads() {
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      const int s = tcp_connected(5000);
      if (s < 0) return;
      std::vector<uint8_t> out(256 * 1024), in(out.size());
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + t);
      std::thread w([&] { stk_send(s, out.data(), out.size(), 0); });
      const long n = stk_recv(s, in.data(), in.size(), MSG_WAITALL);
      w.join();
      if (n == static_cast<long>(in.size()) && in == out) ++ok;
      stk_close(s);
    });
  }
  for (auto& t : ts) t.join();
  check(ok == 8, "8 threads on 8 sockets, 256 KiB echo each", std::to_string(ok.load()) + " of 8");

  // One TCP socket, 8 writer threads of 64-byte records, one reader: every
  // thread's records arrive whole and in its order.
  const int s = tcp_connected(5000);
  constexpr int kRecords = 2000;
  ts.clear();
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      uint8_t rec[64];
      for (int i = 0; i < kRecords; ++i) {
        std::memset(rec, t, sizeof(rec));
        std::memcpy(rec + 1, &i, sizeof(i));
        if (stk_send(s, rec, sizeof(rec), 0) != 64) return;
      }
    });
  }
  int next[8] = {};
  bool order_ok = true;
  for (long got = 0; got < 8L * kRecords;) {
    uint8_t rec[64];
    if (stk_recv(s, rec, sizeof(rec), MSG_WAITALL) != 64) {
      order_ok = false;
      break;
    }
    const int t = rec[0];
    int i;
    std::memcpy(&i, rec + 1, sizeof(i));
    if (t >= 8 || i != next[t] || rec[63] != t) {
      order_ok = false;
      break;
    }
    ++next[t];
    ++got;
  }
  for (auto& t : ts) t.join();
  check(order_ok, "8 threads writing one shared socket: records whole and in order");
  stk_close(s);

  // One UDP socket shared by 8 threads doing request/response.
  const int u = stk_socket(AF_INET, SOCK_DGRAM, 0);
  timeval tv{2, 0};
  stk_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::atomic<int> replies{0};
  ts.clear();
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      auto a = addr(5001);
      char b[128];
      for (int i = 0; i < 200; ++i) {
        if (stk_sendto(u, "0123456789abcdef", 16, 0, sa(a), sizeof(a)) != 16) return;
        if (stk_recv(u, b, sizeof(b), 0) == 16) ++replies;
      }
    });
  }
  for (auto& t : ts) t.join();
  check(replies >= 1550, "8 threads on one UDP socket: replies", std::to_string(replies.load()) + " of 1600");
  stk_close(u);
}

// stackd dies under a connected socket and comes back (the script kills and
// restarts it after "connected"): the blocked recv fails promptly with
// ECONNRESET, send with EPIPE, readiness reports the error, and new sockets
// work once stackd is back.
void scenario_restart(uint16_t port) {
  const int s = tcp_connected(port);
  check(s >= 0, "connected before the restart");
  std::printf("connected\n");
  std::fflush(stdout);
  char b[16];
  auto t0 = std::chrono::steady_clock::now();
  expect_errno(stk_recv(s, b, sizeof(b), 0), ECONNRESET, "blocked recv fails when stackd dies: ECONNRESET");
  check(secs_since(t0) < 5.0, "... promptly");
  expect_errno(stk_send(s, b, 1, MSG_NOSIGNAL), EPIPE, "send on a socket of the dead stackd: EPIPE");
  const short r = stk_readiness(s);
  check((r & POLLERR) && (r & POLLHUP), "readiness reports the error");
  int n = -1;
  for (int i = 0; i < 100 && n < 0; ++i) {
    n = tcp_connected(port);
    if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  check(n >= 0 && n != s, "a new socket works once stackd is back");
  check(stk_send(n, "again", 5, 0) == 5 && stk_recv(n, b, 5, MSG_WAITALL) == 5 && std::memcmp(b, "again", 5) == 0,
        "and carries data");
  expect_errno(stk_recv(s, b, sizeof(b), 0), ECONNRESET, "the old socket still fails, never aliases the new one");
  check(stk_close(s) == 0 && stk_close(n) == 0, "close both");
}

void scenario_hold(uint16_t port) {
  const int s = tcp_connected(port);
  if (s < 0) {
    std::perror("connect");
    std::exit(1);
  }
  std::printf("connected\n");
  std::fflush(stdout);
  std::vector<char> buf(65536, 'x');
  for (;;) {
    if (stk_send(s, buf.data(), buf.size(), 0) < 0) std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s errno|threads|hold PEER_ADDR [PORT]\n", argv[0]);
    return 2;
  }
  g_peer.sin_family = AF_INET;
  inet_pton(AF_INET, argv[2], &g_peer.sin_addr);
  const std::string what = argv[1];
  if (what == "errno") {
    scenario_errno();
    scenario_sndtimeo();
  }
  else if (what == "threads") scenario_threads();
  else if (what == "hold" && argc > 3) scenario_hold(static_cast<uint16_t>(std::atoi(argv[3])));
  else if (what == "restart" && argc > 3) scenario_restart(static_cast<uint16_t>(std::atoi(argv[3])));
  else return 2;
  std::printf("%d check(s) failed\n", g_failed);
  return g_failed == 0 ? 0 : 1;
}
