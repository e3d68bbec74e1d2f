#include "transport/tcp/syn_cookie.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace stackd::tcp {
namespace {

constexpr SipKey kKey{0x1111222233334444ull, 0x5555666677778888ull};
// A start well inside a counter period.
constexpr Instant kT0 = Instant::from_nanos(1000 * kSynCookiePeriod.ns + 5'000'000'000);
constexpr SeqNum kPeerIsn(0xfffffff0u);  // near the wrap

ConnTuple tuple() {
  return {Ipv4Addr::from_octets(10, 0, 0, 1), 80, Ipv4Addr::from_octets(10, 0, 0, 2), 40000};
}

SynCookieOptions full_opts() {
  return {.mss = 1460, .ts_ok = true, .ts_now = 0x12345678u, .ws_ok = true,
          .peer_wscale = 7, .sack_ok = true, .ecn_ok = false};
}

std::optional<SynCookieDecoded> decode(const SynCookie& c, Instant when,
                                       const ConnTuple& t = tuple(), SeqNum peer = kPeerIsn) {
  return syn_cookie_decode(t, c.isn, peer, c.tsval, when, kKey);
}

TEST(SynCookie, RoundTripWithoutTimestampsCarriesMssOnly) {
  SynCookieOptions o{.mss = 1460, .ws_ok = true, .peer_wscale = 7, .sack_ok = true};
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, o, kT0, kKey);
  EXPECT_FALSE(c.tsval.has_value());
  auto d = decode(c, kT0 + Duration::seconds(1));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->mss, 1460);
  EXPECT_FALSE(d->ts_ok);
  EXPECT_FALSE(d->ws_ok);
  EXPECT_FALSE(d->sack_ok);
}

TEST(SynCookie, RoundTripWithTimestampsCarriesOptions) {
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), kT0, kKey);
  ASSERT_TRUE(c.tsval.has_value());
  auto d = decode(c, kT0);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->mss, 1460);
  EXPECT_TRUE(d->ts_ok);
  EXPECT_TRUE(d->ws_ok);
  EXPECT_EQ(d->peer_wscale, 7);
  EXPECT_TRUE(d->sack_ok);
  EXPECT_FALSE(d->ecn_ok);
}

TEST(SynCookie, EveryOptionCombinationRoundTrips) {
  for (int ws = -1; ws <= 14; ++ws)
    for (int sack = 0; sack < 2; ++sack)
      for (int ecn = 0; ecn < 2; ++ecn) {
        SynCookieOptions o = full_opts();
        o.ws_ok = ws >= 0;
        o.peer_wscale = static_cast<uint8_t>(ws < 0 ? 0 : ws);
        o.sack_ok = sack;
        o.ecn_ok = ecn;
        const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, o, kT0, kKey);
        auto d = decode(c, kT0);
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->ws_ok, ws >= 0);
        EXPECT_EQ(d->peer_wscale, ws < 0 ? 0 : ws);
        EXPECT_EQ(d->sack_ok, sack == 1);
        EXPECT_EQ(d->ecn_ok, ecn == 1);
      }
}

TEST(SynCookie, TsvalNeverAheadOfTheClockAndWithin64) {
  for (uint32_t now : {0x12345678u, 0x12345640u, 0x1234567fu, 0u, 5u, 0xffffffffu}) {
    SynCookieOptions o = full_opts();
    o.ts_now = now;
    const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, o, kT0, kKey);
    ASSERT_TRUE(c.tsval.has_value());
    const auto behind = static_cast<int32_t>(now - *c.tsval);
    EXPECT_GE(behind, 0) << now;
    EXPECT_LT(behind, 64) << now;
  }
}

TEST(SynCookie, MssTableChoosesLargestNotAbovePeer) {
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(1460)], 1460);
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(1459)], 1440);
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(1400)], 1380);
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(65495)], 8960);
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(536)], 536);
  EXPECT_EQ(kSynCookieMss[syn_cookie_mss_index(100)], 536);  // Linux: the smallest entry
  for (uint16_t m : kSynCookieMss) {
    SynCookieOptions o{.mss = m};
    auto d = decode(syn_cookie_encode(tuple(), kPeerIsn, o, kT0, kKey), kT0);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->mss, m);
  }
}

TEST(SynCookie, WrongTupleRejected) {
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), kT0, kKey);
  ConnTuple t = tuple();
  t.remote_port++;
  EXPECT_FALSE(decode(c, kT0, t));
  t = tuple();
  t.local_port++;
  EXPECT_FALSE(decode(c, kT0, t));
  t = tuple();
  t.remote = Ipv4Addr::from_octets(10, 0, 0, 9);
  EXPECT_FALSE(decode(c, kT0, t));
  t = tuple();
  t.local = Ipv4Addr::from_octets(10, 0, 0, 9);
  EXPECT_FALSE(decode(c, kT0, t));
}

TEST(SynCookie, ForgedAckAndWrongPeerIsnRejected) {
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), kT0, kKey);
  SynCookie f = c;
  f.isn = c.isn + 1u;
  EXPECT_FALSE(decode(f, kT0));
  f.isn = c.isn - 1u;
  EXPECT_FALSE(decode(f, kT0));
  EXPECT_FALSE(decode(c, kT0, tuple(), kPeerIsn + 1u));
  EXPECT_FALSE(syn_cookie_decode(tuple(), c.isn, kPeerIsn, c.tsval, kT0,
                                 SipKey{kKey.k0 + 1, kKey.k1}));
}

TEST(SynCookie, BlindGuessesFail) {
  // An attacker guessing ACK numbers: 24 hash bits and the age window make
  // a hit about 1 in 2^22; 100k tries should find none.
  uint32_t x = 0x9e3779b9u;
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) {
    x = x * 1664525u + 1013904223u;
    if (syn_cookie_decode(tuple(), SeqNum(x), kPeerIsn, std::nullopt, kT0, kKey)) ++accepted;
  }
  EXPECT_EQ(accepted, 0);
}

TEST(SynCookie, AgeLimitIsTwoCounterPeriods) {
  const Instant start = Instant::from_nanos(1000 * kSynCookiePeriod.ns);  // a period boundary
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), start, kKey);
  EXPECT_TRUE(decode(c, start + kSynCookiePeriod - Duration::nanos(1)));
  EXPECT_TRUE(decode(c, start + kSynCookiePeriod * 2 - Duration::nanos(1)));  // ~2 minutes
  EXPECT_FALSE(decode(c, start + kSynCookiePeriod * 2));
  EXPECT_FALSE(decode(c, start + kSynCookiePeriod * 32));  // the 5-bit counter wrapped
  EXPECT_FALSE(decode(c, start + kSynCookiePeriod * 33));
  // A cookie "from the future" (our clock went back a period) is refused.
  EXPECT_FALSE(decode(c, start - Duration::nanos(1)));
}

TEST(SynCookie, CounterCrossingAMultipleOf32) {
  const Instant start = Instant::from_nanos(31 * kSynCookiePeriod.ns + 1);
  const SynCookie c = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), start, kKey);
  EXPECT_TRUE(decode(c, start + kSynCookiePeriod));  // counter 32: low bits 0
}

TEST(SynCookie, IsnDiffersPerTupleAndPeerIsn) {
  const SynCookie a = syn_cookie_encode(tuple(), kPeerIsn, full_opts(), kT0, kKey);
  const SynCookie b = syn_cookie_encode(tuple(), kPeerIsn + 1u, full_opts(), kT0, kKey);
  ConnTuple t = tuple();
  t.remote_port++;
  const SynCookie c = syn_cookie_encode(t, kPeerIsn, full_opts(), kT0, kKey);
  // The top byte (counter and MSS index) is hidden by H0 too.
  EXPECT_NE(a.isn.raw() >> 24, b.isn.raw() >> 24);
  EXPECT_NE(a.isn.raw() >> 24, c.isn.raw() >> 24);
}

TEST(SynCookie, Ipv6Tuple) {
  ConnTuple t{*Ipv6Addr::parse("fd00::1"), 443, *Ipv6Addr::parse("fd00::2"), 50000};
  SynCookieOptions o = full_opts();
  o.mss = 1220;
  const SynCookie c = syn_cookie_encode(t, kPeerIsn, o, kT0, kKey);
  auto d = syn_cookie_decode(t, c.isn, kPeerIsn, c.tsval, kT0, kKey);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->mss, 1220);
  ConnTuple t2 = t;
  t2.remote = *Ipv6Addr::parse("fd00::3");
  EXPECT_FALSE(syn_cookie_decode(t2, c.isn, kPeerIsn, c.tsval, kT0, kKey));
}

}  // namespace
}  // namespace stackd::tcp
