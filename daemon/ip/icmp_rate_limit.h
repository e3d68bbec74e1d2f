// Rate limiting of ICMP error messages (RFC 1812 §4.3.2.8, RFC 1122
// §3.2.2), as Linux does it: a global token bucket (icmp_msgs_per_sec with
// a burst of icmp_msgs_burst, counted as IcmpOutRateLimitGlobal) and a
// per-destination bucket (one message per icmp_ratelimit_ms with a burst of
// six, Linux's XRLIM_BURST_FACTOR; IcmpOutRateLimitHost). Echo replies are
// not limited (Linux icmp_ratemask leaves them out). Time is an input.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "base/addr.h"
#include "base/time.h"

namespace stackd::ip {

enum class RateVerdict : uint8_t { kAllow, kGlobalLimited, kHostLimited };

class IcmpRateLimiter {
 public:
  struct Config {
    uint32_t msgs_per_sec = 1000;
    uint32_t burst = 50;
    uint32_t per_host_ms = 1000;  // 0 = no per-host limit
    uint32_t max_hosts = 4096;    // bound of the per-host table
  };
  explicit IcmpRateLimiter(const Config& cfg) : cfg_(cfg) {}

  // May an error be sent to `dst` now? Takes a token from both buckets
  // when it may.
  RateVerdict allow(Ipv4Addr dst, Instant now) { return allow_key(dst.v, now); }
  // ICMPv6 (RFC 4443 §2.4(f)): the same buckets, the address folded to 64
  // bits (two hosts whose folds collide share a bucket: stricter, never
  // looser).
  RateVerdict allow(const Ipv6Addr& dst, Instant now);

  size_t hosts() const { return peers_.size(); }

 private:
  struct Peer {
    Instant last;
    int64_t tokens_ns;  // Linux inet_peer rate_tokens, in ns
  };
  bool global_allow(Instant now);
  RateVerdict allow_key(uint64_t key, Instant now);

  Config cfg_;
  bool started_ = false;
  Instant last_refill_;
  int64_t global_tokens_milli_ = 0;  // tokens * 1000
  std::unordered_map<uint64_t, Peer> peers_;
};

}  // namespace stackd::ip
