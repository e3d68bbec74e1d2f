// stackd's configuration file (TOML, schema in deploy/stackd.toml.example):
// the daemon's own settings plus the stack::StackConfig the core runs with.
// Parsing collects every error it finds, each naming file:line:column, the
// key path and what was expected, so `stackd --check-config` shows them all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/attach_config.h"
#include "stack/config.h"

namespace stackd::app {

enum class LogLevel : uint8_t { kError, kWarn, kInfo, kDebug };

std::optional<LogLevel> parse_log_level(std::string_view s);  // error|warn|info|debug
std::string_view log_level_name(LogLevel l);

struct DaemonConfig {
  LogLevel log_level = LogLevel::kInfo;
  uint32_t busy_poll_us = 50;   // keep polling this long after the last work
  uint32_t umem_frames = 2048;  // AF_XDP UMEM frames (2 KiB each) per interface
};

// ---- [control]: the gRPC control plane (daemon/control/README.md)
struct ControlConfig {
  bool enabled = true;
  std::string socket = "/run/stackd/control.sock";  // unix socket, mode 0660
  std::string group = "stackd";       // the socket's group (if it exists): read access
  std::string admin_group;            // may mutate besides root (empty: root only)
  uint16_t tcp_port = 0;              // loopback port for grpc.health.v1 only (0 = off)
  // Prometheus text exposition on GET /metrics at this loopback address
  // ("127.0.0.1:9464" or "[::1]:9464"); empty = off.
  std::string metrics_listen;
  // The file has a [control] table: failing to serve it stops stackd.
  // Without one, the default socket is best effort (a warning).
  bool configured = false;
};
// ---- end [control]

struct Config {
  DaemonConfig daemon;
  ControlConfig control;  // [control]
  stack::StackConfig stack;
  ipc::AttachConfig attach;  // [attach]: client attach (daemon/ipc)
};

struct ConfigError {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 = not tied to a position (e.g. unreadable file)
  uint32_t column = 0;  // 1-based; 0 = unknown
  std::string key;      // "interface[0].mtu"; empty for syntax errors
  std::string message;  // "expected an integer in 68..9000, got 70000"

  // "stackd.toml:12:1: interface[0].mtu: expected an integer in 68..9000, got 70000"
  std::string to_string() const;
};

struct ConfigResult {
  Config config;
  std::vector<ConfigError> errors;  // sorted by position
  bool ok() const { return errors.empty(); }
};

// Parse `text`; `file` is the name errors carry.
ConfigResult parse_config(std::string_view text, std::string_view file);

// Read and parse the file at `path`.
ConfigResult load_config(const std::string& path);

// "127.0.0.1:9464" / "[::1]:9464": a loopback address and a port 1..65535.
std::optional<std::pair<IpAddr, uint16_t>> loopback_endpoint(std::string_view s);

// "10.0.0.2/24,10.0.1.2/24" ("none" when empty), for log lines.
std::string format_addrs(const std::vector<IpPrefix>& addrs);

// Valid ranges, shared by the parser and its messages.
inline constexpr uint32_t kMinMtu = 68;      // RFC 791: every host must accept 68
inline constexpr uint32_t kMaxMtu = 9000;    // jumbo frames
inline constexpr uint32_t kMaxBusyPollUs = 1'000'000;
inline constexpr uint32_t kMinUmemFrames = 256;
inline constexpr uint32_t kMaxUmemFrames = 1u << 20;
inline constexpr size_t kMaxIfNameLen = 15;  // IFNAMSIZ - 1

}  // namespace stackd::app
