// [attach] of stackd.toml: where clients attach and who may.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stackd::ipc {

struct AttachConfig {
  bool enabled = true;
  std::string socket = "/run/stackd/stackd.sock";
  std::string group;          // owner group of the socket file ("" = stackd's)
  uint32_t mode = 0660;       // socket file mode
  std::vector<uint32_t> allow_uids;  // root is always allowed
  std::vector<uint32_t> allow_gids;  // primary or supplementary group of the client
  // SOCK_RAW (Linux: CAP_NET_RAW) for these uids / groups; root always.
  std::vector<uint32_t> raw_uids;
  std::vector<uint32_t> raw_gids;
  uint32_t max_sockets = 64;   // per client
  uint32_t max_channels = 16;  // per client (client threads using sockets at once)
  uint32_t ring_kib = 256;     // per socket and direction, a power of two
};

inline constexpr uint32_t kMaxSocketsPerClient = 65536;
inline constexpr uint32_t kMaxChannels = 1024;
inline constexpr uint32_t kMinRingKib = 4;
inline constexpr uint32_t kMaxRingKib = 16384;

}  // namespace stackd::ipc
