// Leveled logging to stderr: "2026-11-24T11:33:08.123Z info  message".
// The level test is inline, so a disabled debug line costs one compare
// and no formatting. The daemon logs from one thread; each line is one
// write(2), so lines never interleave with other writers.
//
// Under journald (systemd sets JOURNAL_STREAM=dev:ino for the stream
// stderr is connected to; use_journal_if_stderr() checks that stderr still
// is that stream) lines go to the journal natively with sd_journal_send:
// PRIORITY (syslog level), MESSAGE, SYSLOG_IDENTIFIER=stackd and the
// line's structured fields (STACKD_INTERFACE=..., STACKD_CONFIG_FILE=...),
// so `journalctl -u stackd STACKD_INTERFACE=eth1` selects by field.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "app/config.h"

namespace stackd::app::log {

void set_level(LogLevel l);
LogLevel level();

inline bool enabled(LogLevel l) {
  extern LogLevel g_level;
  return l <= g_level;
}

// A structured field: journal field name (upper case, STACKD_ prefix) and value.
struct Field {
  std::string_view name;
  std::string_view value;
};

// Write one line (a timestamp and the level are prepended; under the
// journal, PRIORITY and the fields instead).
void write(LogLevel l, std::string_view msg, std::span<const Field> fields = {});

// JOURNAL_STREAM names `fd`'s device and inode ("dev:ino", as systemd sets it)?
bool is_journal_stream(const char* journal_stream, int fd);
// Send to the journal from now on when stderr is the journal's stream;
// returns whether it does. main calls it once at start-up.
bool use_journal_if_stderr();
void use_journal(bool on);  // tests
bool using_journal();
// The journal entry's fields for one line ("PRIORITY=6", "MESSAGE=...", ...).
std::vector<std::string> journal_fields(LogLevel l, std::string_view msg, std::span<const Field> fields);

// Where lines go (default stderr); tests point it at a pipe or file.
void set_fd(int fd);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kError)) write(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(std::initializer_list<Field> fields, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kError))
    write(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...), {fields.begin(), fields.size()});
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kWarn)) write(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(std::initializer_list<Field> fields, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kWarn))
    write(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...), {fields.begin(), fields.size()});
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kInfo)) write(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(std::initializer_list<Field> fields, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kInfo))
    write(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...), {fields.begin(), fields.size()});
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kDebug)) write(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(std::initializer_list<Field> fields, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kDebug))
    write(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...), {fields.begin(), fields.size()});
}

// Write text as is (no timestamp): counter reports, --check-config output.
void raw(std::string_view text);

}  // namespace stackd::app::log
