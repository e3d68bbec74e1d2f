// Scenario program of tests/net/test_shim_fork.sh, run unmodified under the
// shim (plain libc calls, no stackd API): what makes a stack socket a real
// fd. Each mode exits 0 when every check held, else prints what failed.
//
//   shim_test_fd_semantics fork-server PORT BYTES
//       listen, fork; the parent closes its copy of the listener at once
//       (the socket must live on in the child), the child accepts one
//       connection, echoes BYTES bytes waiting with poll(2), closes.
//   shim_test_fd_semantics dup-client HOST PORT BYTES
//       connect (non-blocking, EINPROGRESS, POLLOUT, SO_ERROR), dup2 to fd
//       100, close the original, then send BYTES and read the echo through
//       fd 100 with edge-triggered epoll (re-armed by reading to EAGAIN);
//       a dup'ed copy closed early must not close the connection. With
//       SHIM_TEST_LINGER_S=N it stays alive N s after its last close.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

int g_failures = 0;
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "check failed at line %d: %s (errno %s)\n", __LINE__, #cond, std::strerror(errno)); \
      ++g_failures;                                                              \
    }                                                                            \
  } while (0)

uint8_t pattern(size_t i) { return static_cast<uint8_t>((i * 131 + (i >> 8)) & 0xff); }

int fork_server(int port, size_t bytes) {
  const int l = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(l >= 0);
  struct stat st {};
  CHECK(fstat(l, &st) == 0 && S_ISSOCK(st.st_mode));  // a real kernel fd
  const int one = 1;
  CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  CHECK(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  CHECK(listen(l, 16) == 0);
  pollfd lp{l, POLLIN | POLLOUT, 0};
  CHECK(poll(&lp, 1, 0) == 0);  // a listener is never writable, and nobody connected yet
  std::printf("listening\n");
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    pollfd p{l, POLLIN, 0};
    CHECK(poll(&p, 1, 20000) == 1 && (p.revents & POLLIN));  // a connection waits
    const int c = accept(l, nullptr, nullptr);
    CHECK(c >= 0);
    CHECK(close(l) == 0);
    size_t got = 0;
    std::vector<uint8_t> buf(65536);
    while (got < bytes) {
      pollfd q{c, POLLIN, 0};
      if (poll(&q, 1, 20000) != 1) {
        CHECK(!"poll timed out");
        break;
      }
      const ssize_t n = read(c, buf.data(), buf.size());
      if (n <= 0) {
        CHECK(n > 0);
        break;
      }
      for (ssize_t i = 0; i < n; ++i)
        if (buf[static_cast<size_t>(i)] != pattern(got + static_cast<size_t>(i))) {
          CHECK(!"byte mismatch");
          _exit(1);
        }
      size_t off = 0;
      while (off < static_cast<size_t>(n)) {
        const ssize_t w = write(c, buf.data() + off, static_cast<size_t>(n) - off);
        if (w <= 0) {
          CHECK(w > 0);
          _exit(1);
        }
        off += static_cast<size_t>(w);
      }
      got += static_cast<size_t>(n);
    }
    char b;
    CHECK(read(c, &b, 1) == 0);  // the client's FIN
    CHECK(close(c) == 0);
    _exit(g_failures == 0 ? 0 : 1);
  }
  CHECK(child > 0);
  CHECK(close(l) == 0);  // the child's copy keeps the listener alive
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return g_failures == 0 ? 0 : 1;
}

int dup_client(const char* host, int port, size_t bytes) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &a.sin_addr);
  const int r = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  CHECK(r == 0 || errno == EINPROGRESS);
  pollfd p{s, POLLOUT, 0};
  CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLOUT));
  int err = -1;
  socklen_t el = sizeof(err);
  CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0);
  // A copy closed early: the connection lives on in the others.
  const int early = dup(s);
  CHECK(early >= 0 && early != s);
  CHECK(close(early) == 0);
  CHECK(dup2(s, 100) == 100);
  CHECK(close(s) == 0);
  const int fd = 100;
  CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);  // shared by the dup'ed fds
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.fd = fd;
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
  size_t sent = 0, got = 0;
  std::vector<uint8_t> out(65536), in(65536);
  bool shut = false;
  int idle = 0;
  ssize_t last_n = 0;
  int last_errno = 0;
  while (got < bytes) {
    // Edge-triggered: do everything possible, then wait for the next edge.
    while (sent < bytes) {
      const size_t n = std::min(out.size(), bytes - sent);
      for (size_t i = 0; i < n; ++i) out[i] = pattern(sent + i);
      const ssize_t w = send(fd, out.data(), n, MSG_NOSIGNAL);
      if (w < 0) {
        CHECK(errno == EAGAIN);
        break;
      }
      sent += static_cast<size_t>(w);
    }
    if (sent == bytes && !shut) {
      CHECK(shutdown(fd, SHUT_WR) == 0);
      shut = true;
    }
    for (;;) {
      const ssize_t n = recv(fd, in.data(), in.size(), 0);
      last_n = n;
      last_errno = n < 0 ? errno : 0;
      if (n < 0) {
        CHECK(errno == EAGAIN);
        break;
      }
      if (n == 0) break;
      for (ssize_t i = 0; i < n; ++i)
        if (in[static_cast<size_t>(i)] != pattern(got + static_cast<size_t>(i))) {
          std::fprintf(stderr, "byte %zu differs\n", got + static_cast<size_t>(i));
          return 1;
        }
      got += static_cast<size_t>(n);
    }
    if (got == bytes) break;
    epoll_event e{};
    const int k = epoll_wait(ep, &e, 1, 10000);
    if (k != 1 && ++idle > 1) {
      int unread = -1, unsent = -1;
      ioctl(fd, FIONREAD, &unread);
      ioctl(fd, SIOCOUTQ, &unsent);
      pollfd q{fd, POLLIN | POLLOUT, 0};
      poll(&q, 1, 0);
      std::fprintf(stderr,
                   "no edge for 20 s: sent %zu got %zu (FIONREAD %d, SIOCOUTQ %d, poll revents %#x, last recv %zd "
                   "errno %d)\n",
                   sent, got, unread, unsent, q.revents, last_n, last_errno);
      return 1;
    }
  }
  char b;
  pollfd q{fd, POLLIN, 0};
  CHECK(poll(&q, 1, 10000) == 1);
  CHECK(recv(fd, &b, 1, 0) == 0);  // the echo server's FIN after ours
  CHECK(close(fd) == 0);
  CHECK(close(ep) == 0);
  std::printf("echoed %zu bytes\n", got);
  std::fflush(stdout);
  // Still attached: the test sees stackd close the socket at the last close.
  if (const char* l = std::getenv("SHIM_TEST_LINGER_S")) sleep(static_cast<unsigned>(std::atoi(l)));
  return g_failures == 0 && got == bytes ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "fork-server") == 0)
    return fork_server(std::atoi(argv[2]), std::strtoull(argv[3], nullptr, 10));
  if (argc == 5 && std::strcmp(argv[1], "dup-client") == 0)
    return dup_client(argv[2], std::atoi(argv[3]), std::strtoull(argv[4], nullptr, 10));
  std::fprintf(stderr, "usage: %s fork-server PORT BYTES | dup-client HOST PORT BYTES\n", argv[0]);
  return 2;
}
