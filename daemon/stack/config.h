// What the stack core is configured with. The daemon fills it from TOML
// (daemon/app/config.*); tests fill it directly. Plain data, no parsing here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/addr.h"
#include "base/time.h"

namespace stackd::stack {

enum class Backend : uint8_t { kAuto, kAfXdp, kTap };

struct InterfaceConfig {
  std::string name;                 // kernel interface (af_xdp) or tap name
  Backend backend = Backend::kAuto;
  std::optional<MacAddr> mac;       // default: the device's own / generated
  uint32_t mtu = 1500;
  std::vector<IpPrefix> addrs;      // "10.0.0.2/24", "fd00::2/64"
  bool ipv6 = true;                 // link-local address, ND, IPv6 input (RFC 4291)
  bool accept_ra = false;           // default route, on-link prefixes, MTU from RAs (RFC 4861 §6.3.4)
  bool mld = true;                  // report our multicast groups (RFC 3810, l2/mld.h)
};

struct RouteConfig {
  IpPrefix dst;                     // 0.0.0.0/0 for the default route
  std::optional<IpAddr> via;        // gateway; none = on-link
  std::string dev;                  // interface name (may be empty when via resolves it)
  uint32_t metric = 0;
  uint32_t mtu = 0;                 // 0 = interface MTU
  bool operator==(const RouteConfig&) const = default;  // reload diffs
};

struct NeighbourConfig {            // static (permanent) entries
  IpAddr addr;
  MacAddr mac;
  std::string dev;
  bool operator==(const NeighbourConfig&) const = default;
};

enum class ServiceKind : uint8_t { kEcho, kDiscard, kChargen };  // RFC 862 / 863 / 864 (chargen: TCP only)
enum class ServiceProto : uint8_t { kUdp, kTcp };

struct ServiceConfig {
  ServiceKind kind = ServiceKind::kEcho;
  ServiceProto proto = ServiceProto::kUdp;
  std::optional<IpAddr> addr;       // none = every address of the stack
  uint16_t port = 7;                // 7 echo, 9 discard, 19 chargen by default
  uint64_t bytes = 0;               // chargen: bytes to send, then close (0 = until the peer closes)
  std::string congestion{};         // tcp: Linux TCP_CONGESTION name ("cubic", "reno"); empty = TcpStackConfig's
  bool operator==(const ServiceConfig&) const = default;
};

struct NeighbourTimers {            // RFC 1122 §2.3.2.1 / Linux defaults
  Duration reachable = Duration::seconds(30);
  Duration retrans = Duration::seconds(1);
  uint32_t max_probes = 3;
  uint32_t pending_per_entry = 64;  // packets queued while resolving (bound)
  uint32_t pending_total = 256;     // ... and across all entries (each holds a frame)
  uint32_t cache_size = 1024;
  uint32_t dad_transmits = 1;       // RFC 4862 §5.1 DupAddrDetectTransmits (0: no DAD)
};

struct IpConfig {
  uint8_t default_ttl = 64;
  Duration reasm_timeout = Duration::seconds(30);  // Linux ipfrag_time
  uint32_t reasm_max_bytes = 4u << 20;             // global bound (Linux ipfrag_high_thresh)
  uint32_t reasm_max_frags = 64;                   // per datagram
  uint32_t icmp_ratelimit_ms = 1000;               // Linux icmp_ratelimit (per host)
  uint32_t icmp_msgs_per_sec = 1000;               // Linux icmp_msgs_per_sec (global)
  uint32_t icmp_msgs_burst = 50;
};

// Secrets of the TCP layer: RFC 6528 ISNs / RFC 6056 ports, and SYN
// cookies. The daemon draws them from getrandom() at every start
// (app/secrets.h); the stack core only takes them as input.
struct TcpSecrets {
  std::array<uint64_t, 2> isn{};
  std::array<uint64_t, 2> cookie{};
};

struct TcpStackConfig {            // [tcp]
  std::string congestion = "cubic"; // Linux net.ipv4.tcp_congestion_control
  std::optional<TcpSecrets> secrets;  // none: the TCP layer's fixed test values
};

struct StackConfig {
  std::vector<InterfaceConfig> interfaces;
  std::vector<RouteConfig> routes;
  std::vector<NeighbourConfig> neighbours;
  std::vector<ServiceConfig> services;
  NeighbourTimers neigh;
  IpConfig ip;
  TcpStackConfig tcp;
};

}  // namespace stackd::stack
