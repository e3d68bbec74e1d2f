#include "ip/icmp_rate_limit.h"

#include <gtest/gtest.h>

namespace stackd::ip {
namespace {

TEST(IcmpRateLimit, PerHostBurstOfSixThenOnePerInterval) {
  IcmpRateLimiter rl({.msgs_per_sec = 1000, .burst = 50, .per_host_ms = 1000, .max_hosts = 16});
  ManualClock c;
  Ipv4Addr a = Ipv4Addr::from_octets(10, 0, 0, 1), b = Ipv4Addr::from_octets(10, 0, 0, 2);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kAllow) << i;
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kHostLimited);
  EXPECT_EQ(rl.allow(b, c.now()), RateVerdict::kAllow);  // other host unaffected
  c.advance(Duration::millis(999));
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kHostLimited);
  c.advance(Duration::millis(1));
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kAllow);
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kHostLimited);
}

TEST(IcmpRateLimit, GlobalBucket) {
  IcmpRateLimiter rl({.msgs_per_sec = 10, .burst = 5, .per_host_ms = 0, .max_hosts = 16});
  ManualClock c;
  Ipv4Addr a = Ipv4Addr::from_octets(10, 0, 0, 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kAllow);
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kGlobalLimited);
  c.advance(Duration::millis(99));
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kGlobalLimited);
  c.advance(Duration::millis(1));  // 10/s: one token per 100 ms
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kAllow);
  EXPECT_EQ(rl.allow(a, c.now()), RateVerdict::kGlobalLimited);
}

TEST(IcmpRateLimit, HostTableIsBounded) {
  IcmpRateLimiter rl({.msgs_per_sec = 0, .burst = 5, .per_host_ms = 1000, .max_hosts = 8});
  ManualClock c;
  for (uint32_t i = 0; i < 100; ++i) rl.allow(Ipv4Addr{i + 1}, c.now());
  EXPECT_LE(rl.hosts(), 8u);
}

}  // namespace
}  // namespace stackd::ip
