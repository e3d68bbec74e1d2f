#include "ip/icmp_rate_limit.h"

#include <algorithm>

namespace stackd::ip {

bool IcmpRateLimiter::global_allow(Instant now) {
  if (cfg_.msgs_per_sec == 0) return true;  // Linux: 0 disables the global limit
  const int64_t cap = int64_t{cfg_.burst} * 1000;
  if (!started_) {
    started_ = true;
    last_refill_ = now;
    global_tokens_milli_ = cap;
  }
  int64_t elapsed_ms = (now - last_refill_).as_millis();
  if (elapsed_ms > 0) {
    // msgs_per_sec tokens per second = msgs_per_sec milli-tokens per ms.
    global_tokens_milli_ =
        std::min(cap, global_tokens_milli_ + elapsed_ms * int64_t{cfg_.msgs_per_sec});
    last_refill_ = last_refill_ + Duration::millis(elapsed_ms);
  }
  if (global_tokens_milli_ < 1000) return false;
  global_tokens_milli_ -= 1000;
  return true;
}

RateVerdict IcmpRateLimiter::allow(const Ipv6Addr& dst, Instant now) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : dst.b) h = (h ^ b) * 0x100000001b3ull;
  return allow_key(h | (uint64_t{1} << 63), now);  // never equal to an IPv4 key
}

RateVerdict IcmpRateLimiter::allow_key(uint64_t key, Instant now) {
  // Linux icmpv4_xrlim_allow: the per-host bucket first, then the global one
  // (icmp_global_allow), so a host-limited message does not spend a
  // global token.
  if (cfg_.per_host_ms != 0) {
    const int64_t cost = Duration::millis(cfg_.per_host_ms).ns;
    const int64_t cap = cost * 6;  // XRLIM_BURST_FACTOR
    auto it = peers_.find(key);
    if (it == peers_.end()) {
      if (peers_.size() >= cfg_.max_hosts) {
        // Forget peers whose bucket has refilled anyway (they are
        // indistinguishable from new ones); if none, forget all.
        std::erase_if(peers_, [&](const auto& kv) { return (now - kv.second.last).ns >= cap; });
        if (peers_.size() >= cfg_.max_hosts) peers_.clear();
      }
      it = peers_.emplace(key, Peer{now, cap}).first;
    }
    Peer& p = it->second;
    p.tokens_ns = std::min(cap, p.tokens_ns + (now - p.last).ns);
    p.last = now;
    if (p.tokens_ns < cost) return RateVerdict::kHostLimited;
    if (!global_allow(now)) return RateVerdict::kGlobalLimited;
    p.tokens_ns -= cost;
    return RateVerdict::kAllow;
  }
  return global_allow(now) ? RateVerdict::kAllow : RateVerdict::kGlobalLimited;
}

}  // namespace stackd::ip
