// exec and fd passing (preload/README.md "exec and SCM_RIGHTS"): the exec
// family and posix_spawn keep the process's attachment for a new image that
// loads the shim (STACKD_ATTACH, libclient exec.cc); the new image adopts it
// at load and claims every inherited socket fd; recvmsg claims the socket
// fds it receives (abi/attach.h "Claim").
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "exec_env.h"
#include "libc.h"
#include "shim.h"
#include "stackd/client.h"

extern char** environ;

namespace stackd::shim {

// Only an AF_UNIX stream socket can be a stack socket's fd A: two
// getsockopt on fds that already are sockets, nothing for the others.
bool may_be_stack_fd(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int v = 0;
  socklen_t len = sizeof(v);
  if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) != 0 || v != AF_UNIX) return false;
  len = sizeof(v);
  return REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM;
}

int claim_fd(int fd) {
  if (!may_be_stack_fd(fd)) return -1;
  const int h = stk_claim_fd(fd);
  if (h < 0) return -1;  // another attachment's (ENOENT) or a plain unix socket: stays bare
  if (table().handle(fd) >= 0) release(table().remove(fd));  // a stale entry (closed behind our back)
  table().add(fd, h);
  return h;
}

void claim_received(const msghdr* m) {
  if (m == nullptr || m->msg_control == nullptr || m->msg_controllen < sizeof(cmsghdr)) return;
  for (cmsghdr* cm = CMSG_FIRSTHDR(m); cm != nullptr; cm = CMSG_NXTHDR(const_cast<msghdr*>(m), cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    const size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
      claim_fd(fd);
    }
  }
}

namespace {

// The new image: the attachment named by STACKD_ATTACH, then every socket
// fd inherited from the old image. Runs at load, before main and before
// any thread; nothing happens without the variable (a normal start).
__attribute__((constructor)) void resume_after_exec() {
  const char* v = std::getenv(kAttachVar);
  if (v == nullptr) return;
  const std::string value = v;
  unsetenv(kAttachVar);  // our children get it only through an exec that passes it
  if (stk_exec_resume(value.c_str()) != 0) return;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return;
  std::vector<int> fds;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && fd != dirfd(d)) fds.push_back(static_cast<int>(fd));
  }
  closedir(d);
  for (int fd : fds) claim_fd(fd);
}

// The attachment goes along when the new image loads the shim and will
// hold a stack socket: an inheritable fd of the table (exec), or any (a
// spawn's file actions may dup one onto a new number).
bool passes_attachment(char* const* envp, bool spawn) {
  if (table().sockets() == 0 || !ExecEnv(envp).preloads_shim()) return false;
  if (spawn) return true;
  const std::optional<std::vector<int>> fds = table().fds();
  if (!fds) return true;  // busy (a fork while another thread changed it): pass, harmless
  for (int fd : *fds) {
    const int f = REAL(fcntl)(fd, F_GETFD);
    if (f >= 0 && !(f & FD_CLOEXEC)) return true;
  }
  return false;
}

// envp for the exec, and the attachment made inheritable when it goes along.
struct Prepared {
  ExecEnv env;
  char* const* envp;
  bool passed = false;
  Prepared(char* const* given, bool spawn) : env(given), envp(given) {
    char value[256];
    if (passes_attachment(given, spawn) && stk_exec_prepare(value, sizeof(value)) == 1) {
      passed = true;
      envp = env.with(value);
    } else {
      envp = env.with("");
    }
  }
  // The exec failed (or the spawn is done): close-on-exec again.
  void done() {
    if (!passed) return;
    const int e = errno;
    stk_exec_abandoned();
    errno = e;
  }
};

std::vector<char*> collect(const char* arg0, va_list ap, char*** envp) {
  std::vector<char*> argv{const_cast<char*>(arg0)};
  while (argv.back() != nullptr) argv.push_back(va_arg(ap, char*));
  if (envp != nullptr) *envp = va_arg(ap, char**);
  return argv;
}

}  // namespace
}  // namespace stackd::shim

using namespace stackd::shim;

extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) {
  Prepared prep(envp, false);
  const int r = REAL(execve)(path, argv, prep.envp);
  prep.done();
  return r;
}

int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  Prepared prep(envp, false);
  const int r = REAL(execvpe)(file, argv, prep.envp);
  prep.done();
  return r;
}

int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }

int fexecve(int fd, char* const argv[], char* const envp[]) {
  Prepared prep(envp, false);
  const int r = REAL(fexecve)(fd, argv, prep.envp);
  prep.done();
  return r;
}

int execl(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  std::vector<char*> argv = collect(arg, ap, nullptr);
  va_end(ap);
  return execve(path, argv.data(), environ);
}

int execlp(const char* file, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  std::vector<char*> argv = collect(arg, ap, nullptr);
  va_end(ap);
  return execvpe(file, argv.data(), environ);
}

int execle(const char* path, const char* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  char** envp = nullptr;
  std::vector<char*> argv = collect(arg, ap, &envp);
  va_end(ap);
  return execve(path, argv.data(), envp);
}

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa, const posix_spawnattr_t* attr,
                char* const argv[], char* const envp[]) {
  Prepared prep(envp, true);
  const int r = REAL(posix_spawn)(pid, path, fa, attr, argv, prep.envp);  // returns once the child exec'ed
  prep.done();
  return r;
}

int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa, const posix_spawnattr_t* attr,
                 char* const argv[], char* const envp[]) {
  Prepared prep(envp, true);
  const int r = REAL(posix_spawnp)(pid, file, fa, attr, argv, prep.envp);
  prep.done();
  return r;
}

}  // extern "C"
