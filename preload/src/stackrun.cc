// stackrun [--profile latency|throughput] [--fallback kernel|fail] [--] CMD [ARGS...]
//
// Runs CMD with libstackshim.so preloaded (its AF_INET sockets on stackd).
// Refuses binaries LD_PRELOAD cannot reach: static ones (no PT_INTERP: no
// dynamic loader, nothing is preloaded) and Go ones (their runtime makes
// system calls itself, not through libc). The exit status is CMD's (exec).
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: stackrun [--profile latency|throughput] [--fallback kernel|fail] [--] CMD [ARGS...]\n"
               "  runs CMD with libstackshim.so preloaded: its AF_INET sockets use stackd\n"
               "  ($STACKD_SOCKET, default /run/stackd/stackd.sock)\n");
}

// CMD as execvp would find it (snprintf: GCC 12's -O3 string warnings).
std::string resolve(const char* cmd) {
  if (std::strchr(cmd, '/') != nullptr) return cmd;
  const char* path = std::getenv("PATH");
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const char* end = std::strchr(path, ':');
    const int len = static_cast<int>(end != nullptr ? end - path : std::strlen(path));
    char f[PATH_MAX];
    std::snprintf(f, sizeof(f), "%.*s/%s", len, len == 0 ? "." : path, cmd);
    if (len == 0) std::snprintf(f, sizeof(f), "./%s", cmd);
    if (access(f, X_OK) == 0) return f;
    if (end == nullptr) return {};
    path = end + 1;
  }
}

bool read_at(int fd, void* buf, size_t n, off_t off) { return pread(fd, buf, n, off) == static_cast<ssize_t>(n); }

// Empty when LD_PRELOAD reaches the binary, else why not. Only 64-bit ELF
// is inspected; scripts (#!) run a dynamic interpreter as a rule.
std::string unreachable_reason(const std::string& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string why;
  Elf64_Ehdr eh{};
  if (read_at(fd, &eh, sizeof(eh), 0) && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
      eh.e_ident[EI_CLASS] == ELFCLASS64) {
    bool interp = false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph{};
      if (read_at(fd, &ph, sizeof(ph), static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) && ph.p_type == PT_INTERP)
        interp = true;
    }
    bool go = false;
    Elf64_Shdr strtab{};
    if (eh.e_shstrndx != SHN_UNDEF && eh.e_shstrndx < eh.e_shnum &&
        read_at(fd, &strtab, sizeof(strtab), static_cast<off_t>(eh.e_shoff + eh.e_shstrndx * eh.e_shentsize))) {
      for (unsigned i = 0; i < eh.e_shnum && !go; ++i) {
        Elf64_Shdr sh{};
        char name[32] = {};
        if (!read_at(fd, &sh, sizeof(sh), static_cast<off_t>(eh.e_shoff + i * eh.e_shentsize))) break;
        if (pread(fd, name, sizeof(name) - 1, static_cast<off_t>(strtab.sh_offset + sh.sh_name)) <= 0) continue;
        go = std::strcmp(name, ".note.go.buildid") == 0 || std::strcmp(name, ".go.buildinfo") == 0;
      }
    }
    if (go) why = "is a Go program: the Go runtime makes its socket system calls itself, LD_PRELOAD cannot reach them";
    else if (!interp) why = "is statically linked: there is no dynamic loader to preload libstackshim.so into it";
  }
  close(fd);
  return why;
}

// libstackshim.so next to this program (build tree), in ../lib/<triplet>
// or ../lib (installed), else the loader's search path.
std::string shim_path() {
  if (const char* e = std::getenv("STACKD_SHIM")) return e;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& c : {dir + "/libstackshim.so", dir + "/../lib/" MULTIARCH_DIR "/libstackshim.so",
                                 dir + "/../lib/libstackshim.so"})
      if (access(c.c_str(), R_OK) == 0) return c;
  }
  return "libstackshim.so";
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  const char* profile = nullptr;
  const char* fallback = nullptr;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if ((a == "--profile" || a == "--fallback") && i + 1 < argc) {
      (a == "--profile" ? profile : fallback) = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "stackrun: unknown option %s\n", a.c_str());
      usage();
      return 2;
    } else {
      break;
    }
  }
  if (i >= argc) {
    usage();
    return 2;
  }
  if (profile != nullptr) {
    // latency: spin 50 us before sleeping in every wait; throughput: never spin.
    if (std::strcmp(profile, "latency") == 0) setenv("STACKD_BUSY_POLL_US", "50", 1);
    else if (std::strcmp(profile, "throughput") == 0) setenv("STACKD_BUSY_POLL_US", "0", 1);
    else {
      std::fprintf(stderr, "stackrun: --profile is latency or throughput, not %s\n", profile);
      return 2;
    }
  }
  if (fallback != nullptr) {
    if (std::strcmp(fallback, "kernel") != 0 && std::strcmp(fallback, "fail") != 0) {
      std::fprintf(stderr, "stackrun: --fallback is kernel or fail, not %s\n", fallback);
      return 2;
    }
    setenv("STACKD_FALLBACK", fallback, 1);
  }
  const std::string file = resolve(argv[i]);
  if (file.empty()) {
    std::fprintf(stderr, "stackrun: %s: command not found\n", argv[i]);
    return 127;
  }
  const std::string why = unreachable_reason(file);
  if (!why.empty()) {
    std::fprintf(stderr, "stackrun: %s %s; run it on the kernel, or use a dynamically linked build\n", file.c_str(),
                 why.c_str());
    return 126;
  }
  // After what is preloaded already (a sanitizer runtime must come first).
  const std::string shim = shim_path();
  const char* old = std::getenv("LD_PRELOAD");
  std::string pre = old != nullptr ? old : "";
  if (!pre.empty()) pre.push_back(':');
  pre.append(shim);
  setenv("LD_PRELOAD", pre.c_str(), 1);
  execv(file.c_str(), argv + i);
  std::fprintf(stderr, "stackrun: %s: %s\n", file.c_str(), std::strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
