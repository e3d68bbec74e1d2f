// Scenario program of tests/net/test_shim_exec.sh, run unmodified under the
// shim (plain libc, no stackd API): stack sockets across exec and passed
// with SCM_RIGHTS. Each mode exits 0 when every check held, else prints
// what failed.
//
//   shim_test_exec_scenarios exec-client HOST ECHO_PORT WATCH_PORT GO_FILE [spawn]
//       connect to ECHO_PORT and (SOCK_CLOEXEC) to WATCH_PORT, then execv
//       (or posix_spawn and wait) this program as "child": the CLOEXEC
//       socket must be gone (EBADF), the other one works: getpeername,
//       TCP_INFO, poll, 1 MB echoed byte-exact; it waits for GO_FILE (the
//       test saw the CLOEXEC connection's FIN) before it ends.
//   shim_test_exec_scenarios exec-listener PORT
//       listen, exec as "listener-child": accept one connection, echo to EOF.
//   shim_test_exec_scenarios exec-chain HOST ECHO_PORT N
//       connect, then exec itself N times in a row, each image using the
//       socket (a request on its thread's channel, an echo); the last one
//       counts the channels marked claimed in the stackd segment (found
//       through its memfd in /proc/self/fd): the exec'ed images' channels
//       must have been freed (at most 2 claimed, not one per image).
//   shim_test_exec_scenarios scm-foreign HOST ECHO_PORT
//       fork before either process attached: parent and child attach on
//       their own (two attachments); the parent passes a connected socket
//       to the child, which cannot claim it (another attachment's: ENOENT,
//       a known difference): there it is the bare unix socket (SO_DOMAIN
//       AF_UNIX), while the parent's copy still works.
//   shim_test_exec_scenarios scm-rights HOST ECHO_PORT
//       make a socket (the process attaches), fork; the parent connects
//       after the fork and passes the fd to the child over a unix
//       socketpair (SCM_RIGHTS), closes its copy; the child checks the
//       peer's name and TCP_INFO and echoes 1 MB byte-exact through it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stackd/abi/segment.h"

extern char** environ;

namespace {

int g_failures = 0;
#define CHECK(cond)                                                                                        \
  do {                                                                                                     \
    if (!(cond)) {                                                                                         \
      std::fprintf(stderr, "check failed at line %d: %s (errno %s)\n", __LINE__, #cond, std::strerror(errno)); \
      ++g_failures;                                                                                        \
    }                                                                                                      \
  } while (0)

int connect_to(const char* host, int port, int flags) {
  const int s = socket(AF_INET, SOCK_STREAM | flags, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &sa.sin_addr);
  CHECK(s >= 0 && connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  return s;
}

uint8_t pattern(size_t i) { return static_cast<uint8_t>((i * 131) ^ (i >> 9)); }

// Send n pattern bytes on fd and read them back (poll for each read), byte-exact.
void echo_check(int fd, size_t n) {
  std::vector<uint8_t> out(n), in;
  for (size_t i = 0; i < n; ++i) out[i] = pattern(i);
  size_t sent = 0;
  while (in.size() < n) {
    if (sent < n) {
      const ssize_t w = send(fd, out.data() + sent, std::min<size_t>(n - sent, 65536), MSG_DONTWAIT);
      if (w > 0) sent += static_cast<size_t>(w);
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) {
      CHECK(!"poll: no echo within 10 s");
      return;
    }
    uint8_t buf[65536];
    const ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0) break;
    if (r > 0) in.insert(in.end(), buf, buf + r);
  }
  CHECK(in == out);
}

void check_peer(int fd, const char* host, int port) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  CHECK(getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  char a[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
  CHECK(std::strcmp(a, host) == 0 && ntohs(sa.sin_port) == port);
  tcp_info ti{};
  len = sizeof(ti);
  CHECK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == 1 /* TCP_ESTABLISHED */);
}

int child(int fd, int gone_fd, const char* host, int port, const char* go_file) {
  errno = 0;
  CHECK(fcntl(gone_fd, F_GETFD) == -1 && errno == EBADF);  // SOCK_CLOEXEC: closed by the exec
  check_peer(fd, host, port);
  echo_check(fd, 1 << 20);
  std::printf("child ok\n");
  std::fflush(stdout);
  struct stat st {};
  for (int i = 0; i < 200 && stat(go_file, &st) != 0; ++i) usleep(50000);
  close(fd);
  return g_failures == 0 ? 0 : 1;
}

int exec_client(char** argv, bool spawn) {
  const char* host = argv[2];
  const int port = std::atoi(argv[3]);
  const int fd = connect_to(host, port, 0);
  const int gone = connect_to(host, std::atoi(argv[4]), SOCK_CLOEXEC);
  const std::string a = std::to_string(fd), b = std::to_string(gone);
  char* args[] = {argv[0], const_cast<char*>("child"), const_cast<char*>(a.c_str()), const_cast<char*>(b.c_str()),
                  argv[2], argv[3], argv[5], nullptr};
  if (!spawn) {
    execv("/proc/self/exe", args);
    std::perror("execv");
    return 1;
  }
  pid_t pid = 0;
  CHECK(posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args, environ) == 0);
  close(fd);  // the child holds the sockets now
  close(gone);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return g_failures == 0 ? 0 : 1;
}

int exec_listener(char** argv) {
  const int l = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  CHECK(bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 && listen(l, 8) == 0);
  const std::string a = std::to_string(l);
  execl("/proc/self/exe", argv[0], "listener-child", a.c_str(), static_cast<char*>(nullptr));
  std::perror("execl");
  return 1;
}

int listener_child(int l) {
  std::printf("listening\n");
  std::fflush(stdout);
  const int c = accept(l, nullptr, nullptr);
  CHECK(c >= 0);
  uint8_t buf[65536];
  for (;;) {
    const ssize_t r = read(c, buf, sizeof(buf));
    if (r <= 0) break;
    for (ssize_t off = 0; off < r;) {
      const ssize_t w = write(c, buf + off, static_cast<size_t>(r - off));
      if (w <= 0) break;
      off += w;
    }
  }
  close(c);
  close(l);
  return g_failures == 0 ? 0 : 1;
}

// Channels marked claimed in the stackd segment this process holds (its
// memfd, kept open by the library), -1 if none is found.
int claimed_channels() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int found = -1;
  while (dirent* e = readdir(d)) {
    char path[320], link[256] = {};
    std::snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    if (readlink(path, link, sizeof(link) - 1) <= 0 || std::strstr(link, "memfd:stackd-client-") == nullptr) continue;
    const int fd = std::atoi(e->d_name);
    stackd::abi::SegmentHeader h{};
    if (pread(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h)) || h.magic != stackd::abi::kMagic) continue;
    void* base = mmap(nullptr, h.segment_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) continue;
    const auto* ch = reinterpret_cast<const stackd::abi::Channel*>(static_cast<uint8_t*>(base) + h.channels_off);
    found = 0;
    for (uint32_t c = 0; c < h.max_channels; ++c) found += ch[c].claimed.load() != 0;
    munmap(base, h.segment_bytes);
  }
  closedir(d);
  return found;
}

int chain_step(char** argv, int fd, int left) {
  check_peer(fd, argv[3], std::atoi(argv[4]));  // a request on this image's channel
  echo_check(fd, 4096);
  if (left > 0) {
    const std::string a = std::to_string(fd), n = std::to_string(left - 1);
    execl("/proc/self/exe", argv[0], "chain-step", a.c_str(), argv[3], argv[4], n.c_str(), static_cast<char*>(nullptr));
    std::perror("execl");
    return 1;
  }
  const int claimed = claimed_channels();
  std::printf("claimed channels after the chain: %d\n", claimed);
  CHECK(claimed >= 1 && claimed <= 2);
  close(fd);
  return g_failures == 0 ? 0 : 1;
}

// Pass fd over unix socket `via` (SCM_RIGHTS, one byte).
void send_fd(int via, int fd) {
  char b = 'x';
  iovec v{&b, 1};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof(cbuf);
  cmsghdr* cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  CHECK(sendmsg(via, &m, 0) == 1);
}

int recv_fd(int via) {
  char b;
  iovec v{&b, 1};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof(cbuf);
  int fd = -1;
  if (recvmsg(via, &m, 0) == 1 && CMSG_FIRSTHDR(&m) != nullptr) std::memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
  CHECK(fd >= 0);
  return fd;
}

int scm_foreign(char** argv) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    const int own = socket(AF_INET, SOCK_STREAM, 0);  // the child's own attachment
    const int fd = recv_fd(sv[1]);
    int dom = 0;
    socklen_t len = sizeof(dom);
    CHECK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_UNIX);
    close(fd);
    close(own);
    const char done = 'd';
    CHECK(write(sv[1], &done, 1) == 1);
    _exit(g_failures == 0 ? 0 : 1);
  }
  close(sv[1]);
  const int s = connect_to(argv[2], std::atoi(argv[3]), 0);  // the parent attaches after the fork
  send_fd(sv[0], s);
  char done = 0;
  CHECK(read(sv[0], &done, 1) == 1 && done == 'd');
  echo_check(s, 65536);  // the owner's socket is untouched by the refused claim
  close(s);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return g_failures == 0 ? 0 : 1;
}

int scm_rights(char** argv) {
  // A socket before the fork attaches the process: the child shares that
  // attachment (a process that attaches only after forking has its own).
  const int early = socket(AF_INET, SOCK_STREAM, 0);
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    const int fd = recv_fd(sv[1]);
    check_peer(fd, argv[2], std::atoi(argv[3]));
    echo_check(fd, 1 << 20);
    close(fd);
    _exit(g_failures == 0 ? 0 : 1);
  }
  close(sv[1]);
  const int s = connect_to(argv[2], std::atoi(argv[3]), SOCK_CLOEXEC);  // made after the fork
  send_fd(sv[0], s);
  close(s);  // the child's copy is the socket now
  close(early);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int r = 2;
  if (argc == 6 && std::strcmp(argv[1], "exec-client") == 0) r = exec_client(argv, false);
  else if (argc == 7 && std::strcmp(argv[1], "exec-client") == 0) r = exec_client(argv, true);
  else if (argc == 7 && std::strcmp(argv[1], "child") == 0)
    r = child(std::atoi(argv[2]), std::atoi(argv[3]), argv[4], std::atoi(argv[5]), argv[6]);
  else if (argc == 3 && std::strcmp(argv[1], "exec-listener") == 0) r = exec_listener(argv);
  else if (argc == 3 && std::strcmp(argv[1], "listener-child") == 0) r = listener_child(std::atoi(argv[2]));
  else if (argc == 4 && std::strcmp(argv[1], "scm-rights") == 0) r = scm_rights(argv);
  else if (argc == 4 && std::strcmp(argv[1], "scm-foreign") == 0) r = scm_foreign(argv);
  else if (argc == 5 && std::strcmp(argv[1], "exec-chain") == 0) {
    char* args[] = {argv[0], argv[1], nullptr, argv[2], argv[3], argv[4]};  // as chain-step's
    r = chain_step(args, connect_to(argv[2], std::atoi(argv[3]), 0), std::atoi(argv[4]));
  } else if (argc == 6 && std::strcmp(argv[1], "chain-step") == 0)
    r = chain_step(argv, std::atoi(argv[2]), std::atoi(argv[5]));
  else std::fprintf(stderr, "usage: see the comment at the top of exec_scenarios.cc\n");
  if (r != 0) std::fprintf(stderr, "%s: FAILED (%d checks)\n", argc > 1 ? argv[1] : "?", g_failures);
  return r;
}
