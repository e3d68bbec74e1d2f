#include "ip/pmtu6.h"

#include <algorithm>

namespace stackd::ip {

std::optional<uint32_t> Pmtu6Cache::update(const Ipv6Addr& dst, uint32_t mtu, uint32_t current,
                                           Instant now) {
  const uint32_t pmtu = std::max(mtu, kMinMtu);
  if (auto known = lookup(dst, now)) current = std::min(current, *known);
  if (pmtu >= current) return std::nullopt;  // RFC 8201 §4: never increased by a PTB
  if (map_.size() >= max_ && !map_.contains(dst)) {
    std::erase_if(map_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (map_.size() >= max_) map_.clear();
  }
  map_[dst] = {pmtu, now + kAge};
  return pmtu;
}

std::optional<uint32_t> Pmtu6Cache::lookup(const Ipv6Addr& dst, Instant now) const {
  auto it = map_.find(dst);
  if (it == map_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.mtu;
}

}  // namespace stackd::ip
