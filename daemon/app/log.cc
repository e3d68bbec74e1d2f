#include "app/log.h"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

namespace stackd::app::log {

LogLevel g_level = LogLevel::kInfo;

namespace {

int g_fd = STDERR_FILENO;

void write_all(std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(g_fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void set_level(LogLevel l) { g_level = l; }
LogLevel level() { return g_level; }
void set_fd(int fd) { g_fd = fd; }

void write(LogLevel l, std::string_view msg) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {:<5} {}\n", t.tm_year + 1900,
                                 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                                 ts.tv_nsec / 1'000'000, log_level_name(l), msg);
  write_all(line);
}

void raw(std::string_view text) { write_all(text); }

}  // namespace stackd::app::log
