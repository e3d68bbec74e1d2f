// Leveled logging to stderr: "2026-11-24T11:33:08.123Z info  message".
// The level test is inline, so a disabled debug line costs one compare
// and no formatting. The daemon logs from one thread; each line is one
// write(2), so lines never interleave with other writers.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "app/config.h"

namespace stackd::app::log {

void set_level(LogLevel l);
LogLevel level();

inline bool enabled(LogLevel l) {
  extern LogLevel g_level;
  return l <= g_level;
}

// Write one line (a timestamp and the level are prepended).
void write(LogLevel l, std::string_view msg);

// Where lines go (default stderr); tests point it at a pipe or file.
void set_fd(int fd);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kError)) write(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kWarn)) write(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kInfo)) write(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(LogLevel::kDebug)) write(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

// Write text as is (no timestamp): counter reports, --check-config output.
void raw(std::string_view text);

}  // namespace stackd::app::log
