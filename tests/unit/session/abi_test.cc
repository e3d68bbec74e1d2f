// The shared-memory ABI's pure parts: ring byte access (masking, wrap),
// index validation, segment geometry, and the request decoder.
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <vector>

#include "session/request.h"
#include "stackd/abi/ring.h"
#include "stackd/abi/segment.h"

namespace stackd::session {
namespace {

TEST(RingBytes, CopiesWrapAroundTheEnd) {
  std::vector<uint8_t> store(16, 0);
  abi::RingBytes r(store.data(), 16);
  std::vector<uint8_t> in(10);
  std::iota(in.begin(), in.end(), 1);
  r.copy_in(12, in.data(), 10);  // 4 bytes at the end, 6 at the start
  EXPECT_EQ(store[12], 1);
  EXPECT_EQ(store[15], 4);
  EXPECT_EQ(store[0], 5);
  EXPECT_EQ(store[5], 10);
  std::vector<uint8_t> out(10);
  r.copy_out(12, out.data(), 10);
  EXPECT_EQ(out, in);
}

TEST(RingBytes, PositionsAreMaskedSoNoIndexEscapes) {
  std::vector<uint8_t> store(16 + 16, 0xee);  // a guard after the ring
  abi::RingBytes r(store.data(), 16);
  const uint8_t b[3] = {1, 2, 3};
  r.copy_in(0xfffffffeu, b, 3);  // free-running index near 2^32 wraps to 14, 15, 0
  EXPECT_EQ(store[14], 1);
  EXPECT_EQ(store[15], 2);
  EXPECT_EQ(store[0], 3);
  for (size_t i = 16; i < store.size(); ++i) EXPECT_EQ(store[i], 0xee);
  auto sp = r.span_at(0xdeadbeefu, 100);
  EXPECT_GE(sp.data(), store.data());
  EXPECT_LE(sp.data() + sp.size(), store.data() + 16);
}

TEST(RingIndices, UsedDetectsImpossiblePairs) {
  EXPECT_EQ(abi::ring_used(10, 4, 16), 6u);
  EXPECT_EQ(abi::ring_used(3, 0xfffffffdu, 16), 6u);  // across the 2^32 wrap
  EXPECT_EQ(abi::ring_used(20, 4, 16), 16u);           // exactly full
  EXPECT_EQ(abi::ring_used(21, 4, 16), UINT32_MAX);    // more than the capacity
  EXPECT_EQ(abi::ring_used(4, 5, 16), UINT32_MAX);     // consumer ahead of producer
}

TEST(Geometry, LaysOutPageAlignedRegionsAndRejectsBadParameters) {
  const auto g = abi::make_geometry(4, 8, 65536);
  ASSERT_NE(g.segment_bytes, 0u);
  EXPECT_EQ(g.channels_off % 4096, 0u);
  EXPECT_EQ(g.sockets_off % 4096, 0u);
  EXPECT_EQ(g.rings_off % 4096, 0u);
  EXPECT_GE(g.sockets_off, g.channels_off + 4 * sizeof(abi::Channel));
  EXPECT_GE(g.rings_off, g.sockets_off + 8 * sizeof(abi::SocketShm));
  EXPECT_EQ(g.segment_bytes, g.rings_off + 8u * 2 * 65536);
  EXPECT_EQ(abi::make_geometry(4, 8, 65535).segment_bytes, 0u);   // not a power of two
  EXPECT_EQ(abi::make_geometry(0, 8, 65536).segment_bytes, 0u);
  EXPECT_EQ(abi::make_geometry(4, 65536, 1u << 24).segment_bytes, 0u);  // > 4 GiB
}

TEST(Abi, ProducerAndConsumerIndicesSitOnSeparateCacheLines) {
  abi::RingIndices r;
  const auto h = reinterpret_cast<uintptr_t>(&r.head), t = reinterpret_cast<uintptr_t>(&r.tail);
  EXPECT_GE(t - h, abi::kCacheLine);
  abi::SocketShm s;
  EXPECT_GE(reinterpret_cast<uintptr_t>(&s.waiters) - reinterpret_cast<uintptr_t>(&s.seq), abi::kCacheLine);
}

abi::Request req(abi::Op op, uint32_t slot = 0) {
  abi::Request r{};
  r.op = static_cast<uint32_t>(op);
  r.tag = 7;
  r.sock = slot;
  return r;
}

TEST(DecodeRequest, RejectsUnknownOpsAndSlotsOutOfRange) {
  auto bad = req(abi::Op::kNone);
  EXPECT_EQ(decode_request(bad, 8).error(), EINVAL);
  bad.op = 999;
  EXPECT_EQ(decode_request(bad, 8).error(), EINVAL);
  EXPECT_EQ(decode_request(req(abi::Op::kClose, 8), 8).error(), EBADF);
  EXPECT_TRUE(decode_request(req(abi::Op::kClose, 7), 8).ok());
  // kSocket names no slot: whatever is there is ignored.
  EXPECT_TRUE(decode_request(req(abi::Op::kSocket, 0xffffffffu), 8).ok());
}

TEST(DecodeRequest, ParsesAddressesOnceAndRejectsOtherFamilies) {
  auto r = req(abi::Op::kBind, 1);
  abi::WireAddr w{};
  w.family = AF_INET;
  w.port = 8080;
  w.addr[0] = 10;
  w.addr[3] = 2;
  std::memcpy(r.data, &w, sizeof(w));
  auto d = decode_request(r, 8);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->addr.has_value());
  EXPECT_EQ(d->addr->addr, IpAddr(Ipv4Addr::from_octets(10, 0, 0, 2)));
  EXPECT_EQ(d->addr->port, 8080);
  EXPECT_EQ(d->tag, 7u);
  w.family = AF_INET6;  // the same 16 bytes as an IPv6 address
  std::memcpy(r.data, &w, sizeof(w));
  auto d6 = decode_request(r, 8);
  ASSERT_TRUE(d6.ok());
  ASSERT_TRUE(d6->addr.has_value());
  EXPECT_EQ(d6->addr->addr, IpAddr(*Ipv6Addr::parse("a00:2::")));
  w.family = 12345;
  std::memcpy(r.data, &w, sizeof(w));
  EXPECT_EQ(decode_request(r, 8).error(), EAFNOSUPPORT);
}

TEST(WireAddr, RoundTripsIpv4) {
  const auto w = wire_from_endpoint(IpAddr(Ipv4Addr::from_octets(192, 168, 1, 9)), 443);
  auto e = endpoint_from_wire(w);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->addr, IpAddr(Ipv4Addr::from_octets(192, 168, 1, 9)));
  EXPECT_EQ(e->port, 443);
}

}  // namespace
}  // namespace stackd::session
