#include "wire/udp.h"

#include <gtest/gtest.h>

#include <vector>

#include "hex.h"

namespace stackd::wire {
namespace {

using test::hex;

const IpAddr kSrc4 = Ipv4Addr::from_octets(10, 0, 0, 1);
const IpAddr kDst4 = Ipv4Addr::from_octets(10, 0, 0, 2);

std::vector<uint8_t> udp4() {
  auto f = hex(test::kUdpFrame);
  return {f.begin() + 34, f.end()};
}

TEST(Udp, ParsesCapturedDatagram) {
  auto d = udp4();
  auto r = UdpRepr::parse(d, kSrc4, kDst4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src_port, 5353);
  EXPECT_EQ(r->dst_port, 53);
  EXPECT_EQ(r->payload_len, 12);
  auto v = UdpView<const uint8_t>::checked(d);
  EXPECT_EQ(std::string(v->payload().begin(), v->payload().end()), "hello stackd");
  std::vector<uint8_t> out(d);
  std::fill(out.begin(), out.begin() + 8, 0);
  r->emit(out, kSrc4, kDst4);
  EXPECT_EQ(out, d);  // checksum 0x5277
}

TEST(Udp, Ipv6ChecksumAndZeroChecksum) {
  IpAddr s = *Ipv6Addr::parse("fe80::1");
  IpAddr t = *Ipv6Addr::parse("fe80::2");
  auto d = udp4();
  UdpRepr r{5353, 53, 12};
  r.emit(d, s, t);
  EXPECT_EQ(load_be16(&d[6]), 0x6975);  // computed independently
  EXPECT_TRUE(UdpRepr::parse(d, s, t));
  EXPECT_EQ(UdpRepr::parse(d, kSrc4, kDst4).error(), DropReason::kUdpBadChecksum);
  store_be16(&d[6], 0);
  EXPECT_EQ(UdpRepr::parse(d, s, t).error(), DropReason::kUdpZeroChecksumV6);
  EXPECT_EQ(UdpRepr::parse(d, s, t, ChecksumCheck::kSkip).error(), DropReason::kUdpZeroChecksumV6);
  EXPECT_TRUE(UdpRepr::parse(d, kSrc4, kDst4));  // IPv4: zero means none
}

TEST(Udp, ComputedZeroIsSentAsAllOnes) {
  // Choose the payload so that the complemented sum is 0: find the two bytes
  // that make the total sum 0xffff.
  std::vector<uint8_t> d(10, 0);
  UdpRepr r{1, 2, 2};
  r.emit(d, kSrc4, kDst4);
  uint16_t c = load_be16(&d[6]);
  // Putting the checksum value into the payload makes the sum of everything
  // (with a zero checksum field) 0xffff, so the computed checksum is 0.
  store_be16(&d[8], c);
  r.emit(d, kSrc4, kDst4);
  EXPECT_EQ(load_be16(&d[6]), 0xffff);
  EXPECT_TRUE(UdpRepr::parse(d, kSrc4, kDst4));
}

TEST(Udp, LengthChecks) {
  auto d = udp4();
  for (size_t n = 0; n < 8; ++n)
    EXPECT_EQ(UdpRepr::parse(std::span<const uint8_t>(d.data(), n), kSrc4, kDst4).error(),
              DropReason::kUdpTruncated);
  for (size_t n = 8; n < d.size(); ++n)
    EXPECT_EQ(UdpRepr::parse(std::span<const uint8_t>(d.data(), n), kSrc4, kDst4).error(),
              DropReason::kUdpTruncated);
  for (uint16_t len : {0, 1, 7}) {
    auto b = d;
    store_be16(&b[4], len);
    EXPECT_EQ(UdpRepr::parse(b, kSrc4, kDst4).error(), DropReason::kUdpBadLength);
  }
  // Trailing bytes past the length field are not part of the datagram.
  auto b = d;
  b.push_back(0xaa);
  auto r = UdpRepr::parse(b, kSrc4, kDst4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload_len, 12);
}

TEST(Udp, BadChecksum) {
  auto d = udp4();
  for (size_t i = 0; i < d.size(); ++i) {
    if (i == 4 || i == 5) continue;  // length
    auto b = d;
    b[i] ^= 0x40;
    EXPECT_EQ(UdpRepr::parse(b, kSrc4, kDst4).error(), DropReason::kUdpBadChecksum) << i;
    EXPECT_TRUE(UdpRepr::parse(b, kSrc4, kDst4, ChecksumCheck::kSkip)) << i;
  }
  // Wrong pseudo-header address.
  EXPECT_EQ(UdpRepr::parse(d, kSrc4, IpAddr(Ipv4Addr::from_octets(10, 0, 0, 3))).error(),
            DropReason::kUdpBadChecksum);
}

}  // namespace
}  // namespace stackd::wire
