// Fib: the forwarding information base, family-agnostic (IPv4 and IPv6
// routes in one object), with longest-prefix match (ip/lpm_table.h).
// Among routes with the same prefix the lowest metric wins; `ip route`
// semantics: add fails on an existing (prefix, metric), replace overwrites
// it, remove takes the prefix and optionally the metric.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/addr.h"
#include "ip/lpm_table.h"

namespace stackd::ip {

struct Route {
  IpPrefix dst;                  // stored with host bits cleared
  std::optional<IpAddr> gateway;  // none = on-link (next hop is the destination)
  uint16_t ifindex = 0;
  uint32_t metric = 0;
  uint32_t mtu = 0;              // 0 = the interface MTU
  bool connected = false;        // derived from an interface address

  // The next hop for a packet to `dst` over this route.
  IpAddr next_hop(const IpAddr& dst) const { return gateway ? *gateway : dst; }
};

enum class FibStatus : uint8_t { kOk, kExists, kNotFound, kInvalid };

class Fib {
 public:
  FibStatus add(const Route& r);
  // Replace the route with the same prefix and metric, or add it.
  FibStatus replace(const Route& r);
  // Remove the route for `dst` with `metric`, or the best one when none.
  FibStatus remove(const IpPrefix& dst, std::optional<uint32_t> metric = std::nullopt);
  // Remove every route through `ifindex` (interface gone).
  size_t remove_interface(uint16_t ifindex);
  // The connected (on-link) route for an interface address: 10.0.0.2/24 ->
  // 10.0.0.0/24 dev ifindex. A /32 (or /128) address adds no route.
  FibStatus add_connected(const IpPrefix& iface_addr, uint16_t ifindex, uint32_t metric = 0);

  // Lookups return a pointer into the table: valid until the next change.
  const Route* lookup(const IpAddr& dst) const;
  const Route* lookup_v4(Ipv4Addr dst) const;  // the fast path
  // The route for exactly this prefix (best metric), or null.
  const Route* find(const IpPrefix& dst) const;

  std::vector<Route> list() const;
  size_t size() const { return size_; }

 private:
  struct V4Hash {
    size_t operator()(uint32_t k) const noexcept { return k * 0x9e3779b97f4a7c15ull >> 16; }
  };
  struct V6Key {
    uint64_t hi = 0, lo = 0;
    bool operator==(const V6Key&) const = default;
  };
  struct V6Hash {
    size_t operator()(const V6Key& k) const noexcept {
      return (k.hi * 0x9e3779b97f4a7c15ull) ^ (k.lo * 0xc2b2ae3d27d4eb4full);
    }
  };
  static V6Key v6_key(const Ipv6Addr& a, int len);

  std::vector<Route>* bucket(const IpPrefix& net);
  const std::vector<Route>* bucket(const IpPrefix& net) const;
  std::vector<Route>& make_bucket(const IpPrefix& net);
  void erase_bucket(const IpPrefix& net);

  LpmTable<uint32_t, V4Hash, Route, 32> v4_;
  LpmTable<V6Key, V6Hash, Route, 128> v6_;
  size_t size_ = 0;
};

}  // namespace stackd::ip
