// Demux tables: which transport endpoint a packet is for, by hash, never by
// scanning (DESIGN.md). EndpointTable maps a local (address, port) to an
// endpoint, with the wildcard address (0.0.0.0 / ::) as the fallback
// (bound with INADDR_ANY); FlowTable maps a 4-tuple (local, remote) to a
// connection (TCP, connected UDP). Keys are family-agnostic.
#pragma once

#include <cstdint>
#include <cstring>

#include "base/addr.h"
#include "base/byteorder.h"
#include "transport/flat_table.h"

namespace stackd::transport {

// An address as two 64-bit words (IPv4 in the low word of `lo`) plus the
// family, so keys compare and hash as plain integers.
struct AddrKey {
  uint64_t hi = 0, lo = 0;
  uint8_t family = 0;  // 4 or 6; 0 only in empty slots

  static AddrKey of(const IpAddr& a) {
    if (a.is_v4()) return {0, a.v4().v, 4};
    return {load_be64(a.v6().b.data()), load_be64(a.v6().b.data() + 8), 6};
  }
  static AddrKey any(IpFamily f) { return {0, 0, static_cast<uint8_t>(f)}; }
  bool is_any() const { return hi == 0 && lo == 0; }
  bool operator==(const AddrKey&) const = default;
};

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

struct EndpointKey {
  AddrKey addr;
  uint16_t port = 0;
  bool operator==(const EndpointKey&) const = default;
};
struct EndpointHash {
  size_t operator()(const EndpointKey& k) const noexcept {
    return mix64(k.addr.lo ^ (k.addr.hi * 0x9e3779b97f4a7c15ull) ^
                 (uint64_t{k.port} << 40) ^ (uint64_t{k.addr.family} << 56));
  }
};

struct FlowKey {
  EndpointKey local;
  EndpointKey remote;
  bool operator==(const FlowKey&) const = default;
};
struct FlowHash {
  size_t operator()(const FlowKey& k) const noexcept {
    return mix64(EndpointHash{}(k.local) ^ (EndpointHash{}(k.remote) * 0xc2b2ae3d27d4eb4full));
  }
};

// Local endpoints: exact address first, then the wildcard address.
template <typename T>
class EndpointTable {
 public:
  bool insert(const IpAddr& addr, uint16_t port, T v) {
    EndpointKey k{AddrKey::of(addr), port};
    if (!table_.insert(k, v)) return false;
    if (!k.addr.is_any()) ++specific_;
    PortKey pk{k.addr.family, port};
    if (uint32_t* n = ports_.find(pk))
      ++*n;
    else
      ports_.insert(pk, 1);
    return true;
  }
  bool erase(const IpAddr& addr, uint16_t port) {
    EndpointKey k{AddrKey::of(addr), port};
    if (!table_.erase(k)) return false;
    if (!k.addr.is_any()) --specific_;
    PortKey pk{k.addr.family, port};
    if (uint32_t* n = ports_.find(pk); n && --*n == 0) ports_.erase(pk);
    return true;
  }
  // Exact (addr, port) only.
  T* find_exact(const IpAddr& addr, uint16_t port) {
    return table_.find(EndpointKey{AddrKey::of(addr), port});
  }
  // The receive lookup: (dst, port), else (any, port). When nothing is bound
  // to a specific address the first probe is skipped.
  T* lookup(const AddrKey& dst, uint16_t port) {
    if (specific_ != 0)
      if (T* v = table_.find(EndpointKey{dst, port})) return v;
    return table_.find(EndpointKey{AddrKey{0, 0, dst.family}, port});
  }
  // Would binding (addr, port) conflict (no SO_REUSEADDR)? With a specific
  // address: the same address or the wildcard holds the port. With the
  // wildcard: any address holds it (a per-port count, no scan).
  bool conflicts(const IpAddr& addr, uint16_t port) const {
    AddrKey k = AddrKey::of(addr);
    if (k.is_any()) return ports_.find(PortKey{k.family, port}) != nullptr;
    return table_.find(EndpointKey{AddrKey::any(addr.family()), port}) != nullptr ||
           table_.find(EndpointKey{k, port}) != nullptr;
  }
  size_t size() const { return table_.size(); }
  // Every bound value (listings: `stackctl conn -u`), no order.
  template <typename F>
  void for_each(F&& f) const {
    table_.for_each([&](const EndpointKey&, const T& v) { f(v); });
  }

 private:
  struct PortKey {
    uint8_t family = 0;
    uint16_t port = 0;
    bool operator==(const PortKey&) const = default;
  };
  struct PortHash {
    size_t operator()(const PortKey& k) const noexcept {
      return mix64(uint64_t{k.port} | uint64_t{k.family} << 16);
    }
  };
  FlatTable<EndpointKey, T, EndpointHash> table_;
  FlatTable<PortKey, uint32_t, PortHash> ports_;  // bindings per (family, port)
  size_t specific_ = 0;
};

template <typename T>
class FlowTable {
 public:
  bool insert(const FlowKey& k, T v) { return table_.insert(k, v); }
  bool erase(const FlowKey& k) { return table_.erase(k); }
  T* find(const FlowKey& k) { return table_.find(k); }
  size_t size() const { return table_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    table_.for_each([&](const FlowKey&, const T& v) { f(v); });
  }

 private:
  FlatTable<FlowKey, T, FlowHash> table_;
};

}  // namespace stackd::transport
