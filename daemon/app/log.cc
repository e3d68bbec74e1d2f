#include "app/log.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <string>

namespace stackd::app::log {

LogLevel g_level = LogLevel::kInfo;

namespace {

int g_fd = STDERR_FILENO;
bool g_journal = false;

int syslog_priority(LogLevel l) {
  switch (l) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarn:
      return LOG_WARNING;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      break;
  }
  return LOG_DEBUG;
}

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

bool is_journal_stream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(journal_stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

bool use_journal_if_stderr() {
  g_journal = is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  return g_journal;
}
void use_journal(bool on) { g_journal = on; }
bool using_journal() { return g_journal; }

std::vector<std::string> journal_fields(LogLevel l, std::string_view msg, std::span<const Field> fields) {
  std::vector<std::string> out;
  out.reserve(3 + fields.size());
  out.push_back(fmt::format("PRIORITY={}", syslog_priority(l)));
  out.push_back(fmt::format("MESSAGE={}", msg));
  out.push_back("SYSLOG_IDENTIFIER=stackd");
  for (const auto& f : fields) out.push_back(fmt::format("{}={}", f.name, f.value));
  return out;
}

void write(LogLevel l, std::string_view msg, std::span<const Field> fields) {
  if (g_journal) {
    auto entry = journal_fields(l, msg, fields);
    std::vector<iovec> iov;
    iov.reserve(entry.size());
    for (auto& e : entry) iov.push_back({e.data(), e.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) == 0) return;
    // The journal is gone (journald restarting): the stream still takes text.
  }
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
