// Path MTU per IPv6 destination (RFC 8201), learnt from ICMPv6 Packet Too
// Big: never below the IPv6 minimum link MTU of 1280 (RFC 8201 §4, RFC 8200
// §5: no atomic fragments are generated for smaller reports, RFC 8021),
// never raised by a report, forgotten after `kAge` so a larger path MTU
// is rediscovered (RFC 8201 §4 suggests 10 minutes, Linux mtu_expires).
// Bounded: when full, expired entries go first, then everything (a
// forgotten entry only costs one more Packet Too Big).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "base/addr.h"
#include "base/time.h"

namespace stackd::ip {

class Pmtu6Cache {
 public:
  static constexpr Duration kAge = Duration::seconds(600);
  static constexpr uint32_t kMinMtu = 1280;
  explicit Pmtu6Cache(size_t max_entries = 1024) : max_(max_entries) {}

  // A Packet Too Big for `dst` said `mtu`; `current` is what we used.
  // Returns the path MTU now recorded (>= 1280), or nullopt when ignored.
  std::optional<uint32_t> update(const Ipv6Addr& dst, uint32_t mtu, uint32_t current, Instant now);
  // The recorded path MTU for `dst`, if any and not expired.
  std::optional<uint32_t> lookup(const Ipv6Addr& dst, Instant now) const;
  size_t size() const { return map_.size(); }

 private:
  struct Hash {
    size_t operator()(const Ipv6Addr& a) const noexcept {
      uint64_t h = 0xcbf29ce484222325ull;
      for (uint8_t b : a.b) h = (h ^ b) * 0x100000001b3ull;
      return static_cast<size_t>(h);
    }
  };
  struct Entry {
    uint32_t mtu;
    Instant expires;
  };
  size_t max_;
  std::unordered_map<Ipv6Addr, Entry, Hash> map_;
};

}  // namespace stackd::ip
