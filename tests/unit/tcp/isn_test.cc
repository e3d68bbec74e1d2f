#include "transport/tcp/isn.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace stackd::tcp {
namespace {

constexpr SipKey kKey{0x0123456789abcdefull, 0xfedcba9876543210ull};
constexpr Instant kT0 = Instant::from_nanos(5'000'000'000);

ConnTuple tuple(uint16_t lport = 80, uint16_t rport = 40000) {
  return {Ipv4Addr::from_octets(10, 0, 0, 1), lport, Ipv4Addr::from_octets(10, 0, 0, 2), rport};
}

TEST(Isn, SameTupleSameInstantSameIsn) {
  IsnGenerator g(kKey);
  EXPECT_EQ(g.isn(tuple(), kT0), g.isn(tuple(), kT0));
}

TEST(Isn, ClockAdvancesOneEveryFourMicroseconds) {
  // RFC 6528: the F part is fixed per tuple, so the difference is M alone.
  IsnGenerator g(kKey);
  const SeqNum a = g.isn(tuple(), kT0);
  EXPECT_EQ(g.isn(tuple(), kT0 + Duration::micros(3)), a);
  EXPECT_EQ(g.isn(tuple(), kT0 + Duration::micros(4)), a + 1u);
  EXPECT_EQ((g.isn(tuple(), kT0 + Duration::seconds(1)) - a).v, 250'000u);
}

TEST(Isn, ClockWrapsModulo2To32) {
  // 2^32 ticks of 4 µs is about 4.77 hours: the ISN comes back around.
  IsnGenerator g(kKey);
  const Duration wrap = Duration::micros(4) * (int64_t{1} << 32);
  EXPECT_EQ(g.isn(tuple(), kT0 + wrap), g.isn(tuple(), kT0));
  EXPECT_EQ(IsnGenerator::clock_ticks(Instant::from_nanos(4000 * 10)), 10u);
}

TEST(Isn, EveryTupleFieldChangesTheIsn) {
  IsnGenerator g(kKey);
  const SeqNum base = g.isn(tuple(), kT0);
  ConnTuple t = tuple();
  t.local_port = 81;
  EXPECT_NE(g.isn(t, kT0), base);
  t = tuple();
  t.remote_port = 40001;
  EXPECT_NE(g.isn(t, kT0), base);
  t = tuple();
  t.local = Ipv4Addr::from_octets(10, 0, 0, 3);
  EXPECT_NE(g.isn(t, kT0), base);
  t = tuple();
  t.remote = Ipv4Addr::from_octets(10, 0, 0, 4);
  EXPECT_NE(g.isn(t, kT0), base);
  // Swapping the sides is a different connection.
  t = {tuple().remote, tuple().remote_port, tuple().local, tuple().local_port};
  EXPECT_NE(g.isn(t, kT0), base);
}

TEST(Isn, SecretChangesTheIsn) {
  IsnGenerator a(kKey);
  IsnGenerator b(SipKey{kKey.k0, kKey.k1 + 1});
  EXPECT_NE(a.isn(tuple(), kT0), b.isn(tuple(), kT0));
}

TEST(Isn, Ipv6TuplesHashAndDifferFromV4) {
  IsnGenerator g(kKey);
  Ipv6Addr l = *Ipv6Addr::parse("fd00::1");
  Ipv6Addr r = *Ipv6Addr::parse("fd00::2");
  ConnTuple t6{l, 80, r, 40000};
  ConnTuple t6b{l, 80, *Ipv6Addr::parse("fd00::3"), 40000};
  EXPECT_NE(g.isn(t6, kT0), g.isn(t6b, kT0));
  // An IPv4 address and an IPv6 one with the same low bytes do not collide.
  ConnTuple v4{Ipv4Addr{1}, 80, Ipv4Addr{2}, 40000};
  Ipv6Addr one{}, two{};
  one.b[15] = 1;
  two.b[15] = 2;
  ConnTuple v6{one, 80, two, 40000};
  EXPECT_NE(g.isn(v4, kT0), g.isn(v6, kT0));
}

TEST(Isn, SpreadOverThePortsOfOnePeer) {
  // Consecutive source ports of one peer must not give nearby ISNs.
  IsnGenerator g(kKey);
  std::set<uint32_t> high_bytes;
  for (uint16_t p = 40000; p < 40064; ++p) high_bytes.insert(g.isn(tuple(80, p), kT0).raw() >> 24);
  EXPECT_GT(high_bytes.size(), 40u);
}

TEST(EphemeralPort, StartIsInRangeAndDependsOnDestination) {
  IsnGenerator g(kKey);
  PortRange r;
  const IpAddr local = Ipv4Addr::from_octets(10, 0, 0, 1);
  std::set<uint16_t> starts;
  for (uint8_t host = 1; host <= 50; ++host) {
    const uint16_t p = g.ephemeral_port_start(local, Ipv4Addr::from_octets(10, 0, 1, host), 80, r, 0);
    EXPECT_GE(p, r.lo);
    EXPECT_LE(p, r.hi);
    starts.insert(p);
  }
  EXPECT_GT(starts.size(), 45u);  // not the same start for every peer
  // The counter walks forward from the per-destination offset.
  const IpAddr remote = Ipv4Addr::from_octets(10, 0, 1, 1);
  const uint16_t s0 = g.ephemeral_port_start(local, remote, 80, r, 0);
  const uint16_t s1 = g.ephemeral_port_start(local, remote, 80, r, 1);
  EXPECT_EQ(s1, s0 == r.hi ? r.lo : s0 + 1);
  // ... and the remote port is part of the destination.
  EXPECT_NE(g.ephemeral_port_offset(local, remote, 80), g.ephemeral_port_offset(local, remote, 443));
}

TEST(EphemeralPort, PickSkipsUnusablePortsAndAdvancesCounter) {
  IsnGenerator g(kKey);
  PortRange r{1000, 1009};
  const IpAddr local = Ipv4Addr::from_octets(10, 0, 0, 1);
  const IpAddr remote = Ipv4Addr::from_octets(10, 0, 0, 2);
  uint32_t counter = 0;
  std::set<uint16_t> used;
  for (int i = 0; i < 10; ++i) {
    auto p = g.pick_ephemeral_port(local, remote, 80, r, counter,
                                   [&](uint16_t port) { return !used.contains(port); });
    ASSERT_TRUE(p.has_value());
    EXPECT_GE(*p, r.lo);
    EXPECT_LE(*p, r.hi);
    EXPECT_TRUE(used.insert(*p).second) << "port handed out twice";
  }
  // All ten taken: no port, and the search gave up after one pass.
  const uint32_t before = counter;
  EXPECT_FALSE(g.pick_ephemeral_port(local, remote, 80, r, counter,
                                     [&](uint16_t port) { return !used.contains(port); }));
  EXPECT_EQ(counter - before, 10u);
}

TEST(EphemeralPort, FullRangeAtTheTopOfThePortSpace) {
  IsnGenerator g(kKey);
  PortRange r{65530, 65535};
  uint32_t counter = 7;
  std::set<uint16_t> got;
  for (int i = 0; i < 6; ++i) {
    auto p = g.pick_ephemeral_port(Ipv4Addr{1}, Ipv4Addr{2}, 80, r, counter,
                                   [&](uint16_t port) { return !got.contains(port); });
    ASSERT_TRUE(p.has_value());
    got.insert(*p);
  }
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(*got.begin(), 65530);
  EXPECT_EQ(*got.rbegin(), 65535);
}

}  // namespace
}  // namespace stackd::tcp
