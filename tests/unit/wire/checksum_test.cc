#include "wire/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "base/byteorder.h"
#include "hex.h"

namespace stackd::wire {
namespace {

using test::hex;

// A plain RFC 1071 reference: 16-bit words, 32-bit sum, no tricks.
uint16_t reference_sum(std::span<const uint8_t> d) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < d.size(); i += 2) s += uint32_t{d[i]} << 8 | d[i + 1];
  if (d.size() % 2) s += uint32_t{d.back()} << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  auto b = hex("0001f203f4f5f6f7");
  EXPECT_EQ(checksum_fold(checksum_partial(b)), 0xddf2);
  EXPECT_EQ(internet_checksum(b), 0x220d);
}

TEST(Checksum, KnownIpv4Header) {
  // The classic header with checksum b861 (checksum field zeroed here).
  auto h = hex("450000730000400040110000c0a80001c0a800c7");
  EXPECT_EQ(internet_checksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_TRUE(checksum_ok(h));
  h[19] ^= 1;
  EXPECT_FALSE(checksum_ok(h));
}

TEST(Checksum, MatchesReferenceForEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::vector<uint8_t> buf(300);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t off = 0; off < 8; ++off)
    for (size_t len = 0; len + off <= buf.size(); ++len) {
      std::span<const uint8_t> s(buf.data() + off, len);
      ASSERT_EQ(checksum_fold(checksum_partial(s)), reference_sum(s)) << off << " " << len;
    }
}

TEST(Checksum, AllOnesDoesNotOverflow) {
  std::vector<uint8_t> buf(65536, 0xff);
  EXPECT_EQ(checksum_fold(checksum_partial(buf)), 0xffff);
  EXPECT_EQ(reference_sum(buf), 0xffff);
}

TEST(Checksum, PartialSumsCombineAtEvenSplits) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(101);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  uint16_t whole = checksum_fold(checksum_partial(buf));
  for (size_t split = 0; split <= buf.size(); split += 2) {
    std::span<const uint8_t> s(buf);
    EXPECT_EQ(checksum_fold(checksum_add(checksum_partial(s.first(split)),
                                         checksum_partial(s.subspan(split)))),
              whole);
  }
}

TEST(Checksum, Ipv4PseudoHeaderMatchesBytes) {
  auto ph = hex("0a000001 0a000002 00 11 0014");
  EXPECT_EQ(checksum_fold(ipv4_pseudo_header_sum(Ipv4Addr::from_octets(10, 0, 0, 1),
                                                 Ipv4Addr::from_octets(10, 0, 0, 2), 17, 20)),
            checksum_fold(checksum_partial(ph)));
}

TEST(Checksum, Ipv6PseudoHeaderMatchesBytes) {
  auto src = *Ipv6Addr::parse("2001:db8::1");
  auto dst = *Ipv6Addr::parse("fe80::abcd:1");
  std::vector<uint8_t> ph(src.b.begin(), src.b.end());
  ph.insert(ph.end(), dst.b.begin(), dst.b.end());
  auto tail = hex("00012345 000000 3a");
  ph.insert(ph.end(), tail.begin(), tail.end());
  EXPECT_EQ(checksum_fold(ipv6_pseudo_header_sum(src, dst, 58, 0x12345)),
            checksum_fold(checksum_partial(ph)));
  EXPECT_EQ(checksum_fold(pseudo_header_sum(IpAddr(src), IpAddr(dst), 58, 0x12345)),
            checksum_fold(checksum_partial(ph)));
}

TEST(Checksum, IncrementalUpdateMatchesRecompute) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> h(20);
    for (auto& b : h) b = static_cast<uint8_t>(rng());
    h[10] = h[11] = 0;
    uint16_t hc = internet_checksum(h);
    // 16-bit change at word 4 (TTL/protocol).
    uint16_t old16 = load_be16(&h[8]);
    uint16_t new16 = static_cast<uint16_t>(rng());
    store_be16(&h[8], new16);
    uint16_t hc2 = checksum_update16(hc, old16, new16);
    EXPECT_EQ(checksum_fold(hc2), checksum_fold(internet_checksum(h)));
    // 32-bit change (an address).
    uint32_t old32 = load_be32(&h[12]);
    uint32_t new32 = static_cast<uint32_t>(rng());
    store_be32(&h[12], new32);
    uint16_t hc3 = checksum_update32(hc2, old32, new32);
    store_be16(&h[10], hc3);
    EXPECT_TRUE(checksum_ok(h));
  }
}

TEST(Checksum, Rfc1624Example) {
  // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 -> m' = 0x3285, HC' = 0x0000 (eqn. 3),
  // where eqn. 2 would have given 0xffff.
  EXPECT_EQ(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

}  // namespace
}  // namespace stackd::wire
