#include "ip/reassembly.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace stackd::ip {
namespace {

class ReasmTest : public ::testing::Test {
 protected:
  ReasmTest() { limits.timeout = Duration::seconds(30); }

  Reassembler& r() {
    if (!reasm) reasm.emplace(limits, pool, counters, drops);
    return *reasm;
  }
  // Fragment of datagram `id` carrying bytes [off, off+len) of `data`.
  std::optional<Reassembled> frag(uint16_t id, uint32_t off, uint32_t len, bool more,
                                  uint8_t proto = 17) {
    FragmentIn f;
    f.src = Ipv4Addr::from_octets(10, 0, 0, 1);
    f.dst = Ipv4Addr::from_octets(10, 0, 0, 2);
    f.id = id;
    f.protocol = proto;
    f.offset = off;
    f.more = more;
    f.ifindex = 1;
    f.header = std::span<const uint8_t>(header, 20);
    f.payload = std::span<const uint8_t>(data.data() + off, len);
    return r().add(f, clock.now());
  }

  std::vector<uint8_t> data = [] {
    std::vector<uint8_t> d(70000);
    for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i * 7 + i / 251);
    return d;
  }();
  uint8_t header[20] = {0x45, 0, 0, 20, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  ReasmLimits limits;
  buf::HeapPool pool;
  Counters counters;
  DropStats drops;
  ManualClock clock;
  std::optional<Reassembler> reasm;
};

TEST_F(ReasmTest, InOrderAndOutOfOrder) {
  EXPECT_FALSE(frag(1, 0, 1480, true));
  EXPECT_FALSE(frag(1, 1480, 1480, true));
  auto d = frag(1, 2960, 100, false);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->payload.size(), 3060u);
  EXPECT_TRUE(std::equal(d->payload.bytes().begin(), d->payload.bytes().end(), data.begin()));
  EXPECT_GE(d->payload.headroom(), buf::kDefaultHeadroom);
  EXPECT_EQ(d->first.header_len, 20);
  EXPECT_EQ(d->first.len, 28);

  // Reverse order, other id.
  EXPECT_FALSE(frag(2, 2960, 100, false));
  EXPECT_FALSE(frag(2, 1480, 1480, true));
  d = frag(2, 0, 1480, true);
  ASSERT_TRUE(d);
  EXPECT_TRUE(std::equal(d->payload.bytes().begin(), d->payload.bytes().end(), data.begin()));
  EXPECT_EQ(counters[Counter::IpReasmOKs], 2u);
  EXPECT_EQ(counters[Counter::IpReasmReqds], 6u);
  EXPECT_EQ(r().datagrams(), 0u);
  d.reset();
  EXPECT_EQ(r().bytes_held(), 0u);
}

TEST_F(ReasmTest, MaximumSizedDatagram) {
  // 65515 bytes of payload + 20 header = 65535: the largest datagram.
  uint32_t off = 0;
  std::optional<Reassembled> d;
  while (off < 65515) {
    uint32_t len = std::min<uint32_t>(1480, 65515 - off);
    d = frag(3, off, len, off + len < 65515);
    off += len;
  }
  limits.max_frags = 64;
  ASSERT_TRUE(d);
  EXPECT_EQ(d->payload.size(), 65515u);
  EXPECT_TRUE(std::equal(d->payload.bytes().begin(), d->payload.bytes().end(), data.begin()));
}

TEST_F(ReasmTest, KeyIncludesProtocol) {
  EXPECT_FALSE(frag(4, 0, 8, true, 17));
  EXPECT_FALSE(frag(4, 8, 8, false, 6));
  EXPECT_EQ(r().datagrams(), 2u);
}

TEST_F(ReasmTest, OverlapDiscardsWholeDatagram) {
  EXPECT_FALSE(frag(5, 0, 16, true));
  EXPECT_FALSE(frag(5, 8, 16, true));  // overlaps [8,16)
  EXPECT_EQ(drops[DropReason::kIpFragOverlap], 1u);
  EXPECT_EQ(r().datagrams(), 0u);
  // The rest arriving later cannot complete it.
  EXPECT_FALSE(frag(5, 16, 8, false));
  EXPECT_EQ(counters[Counter::IpReasmFails], 1u);
  EXPECT_EQ(counters[Counter::IpReasmOKs], 0u);
}

TEST_F(ReasmTest, ExactDuplicateIsDroppedAlone) {
  EXPECT_FALSE(frag(6, 0, 16, true));
  EXPECT_FALSE(frag(6, 0, 16, true));
  EXPECT_EQ(drops[DropReason::kIpFragDuplicate], 1u);
  EXPECT_TRUE(frag(6, 16, 4, false));
}

TEST_F(ReasmTest, BadFragments) {
  EXPECT_FALSE(frag(7, 0, 12, true));  // not a multiple of 8
  EXPECT_FALSE(frag(7, 0, 0, true));   // empty
  EXPECT_EQ(drops[DropReason::kIpFragBad], 2u);
  // Two different ends.
  EXPECT_FALSE(frag(8, 16, 8, false));
  EXPECT_FALSE(frag(8, 32, 8, false));
  EXPECT_EQ(drops[DropReason::kIpFragBad], 3u);
  // A last fragment ending before bytes already held.
  EXPECT_FALSE(frag(9, 64, 8, true));
  EXPECT_FALSE(frag(9, 0, 8, false));
  EXPECT_EQ(drops[DropReason::kIpFragBad], 4u);
  // A fragment past the known end.
  EXPECT_TRUE(frag(10, 0, 8, false));
  EXPECT_EQ(r().datagrams(), 0u);  // a lone offset-0, MF=0 datagram: complete at once
  EXPECT_FALSE(frag(11, 8, 8, false));
  EXPECT_FALSE(frag(11, 16, 8, true));
  EXPECT_EQ(drops[DropReason::kIpFragBad], 5u);
}

TEST_F(ReasmTest, OffsetBeyond65535IsTooBig) {
  EXPECT_FALSE(frag(12, 65512, 8, false));  // 65520 + 20 > 65535
  EXPECT_EQ(drops[DropReason::kIpFragTooBig], 1u);
  EXPECT_FALSE(frag(12, 65528, 8, true));
  EXPECT_EQ(drops[DropReason::kIpFragTooBig], 2u);
  EXPECT_EQ(r().datagrams(), 0u);
}

TEST_F(ReasmTest, TooManyTinyFragments) {
  limits.max_frags = 8;
  for (uint32_t i = 0; i < 8; ++i) EXPECT_FALSE(frag(13, i * 8, 8, true));
  EXPECT_FALSE(frag(13, 64, 8, false));
  EXPECT_EQ(drops[DropReason::kIpFragTooMany], 1u);
  EXPECT_EQ(r().datagrams(), 0u);
}

TEST_F(ReasmTest, TimeoutReportsFirstFragmentQuote) {
  EXPECT_FALSE(frag(14, 0, 16, true));
  clock.advance(Duration::seconds(1));
  EXPECT_FALSE(frag(15, 16, 16, true));  // no first fragment
  EXPECT_EQ(r().poll_at(), Instant{clock.now().ns - Duration::seconds(1).ns} + limits.timeout);
  std::vector<ReasmExpired> expired;
  clock.advance(Duration::seconds(29) - Duration::nanos(1));
  r().on_timer(clock.now(), [&](const ReasmExpired& e) { expired.push_back(e); });
  EXPECT_TRUE(expired.empty());
  clock.advance(Duration::nanos(1));
  r().on_timer(clock.now(), [&](const ReasmExpired& e) { expired.push_back(e); });
  ASSERT_EQ(expired.size(), 1u);
  ASSERT_TRUE(expired[0].first);
  EXPECT_EQ(expired[0].first->len, 28);
  EXPECT_EQ(expired[0].first->bytes[0], 0x45);
  EXPECT_EQ(expired[0].first->bytes[20], data[0]);
  clock.advance(Duration::seconds(1));
  r().on_timer(clock.now(), [&](const ReasmExpired& e) { expired.push_back(e); });
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_FALSE(expired[1].first);
  EXPECT_EQ(counters[Counter::IpReasmTimeout], 2u);
  EXPECT_EQ(drops[DropReason::kIpReasmTimeout], 2u);
  EXPECT_EQ(r().poll_at(), Instant::never());
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(ReasmTest, MemoryBoundEvictsOldest) {
  limits.max_bytes = 3 * (1480 + buf::kDefaultHeadroom) + 100;
  EXPECT_FALSE(frag(20, 0, 1480, true));
  EXPECT_FALSE(frag(21, 0, 1480, true));
  EXPECT_FALSE(frag(22, 0, 1480, true));
  EXPECT_EQ(r().datagrams(), 3u);
  EXPECT_FALSE(frag(23, 0, 1480, true));  // evicts 20
  EXPECT_EQ(r().datagrams(), 3u);
  EXPECT_EQ(drops[DropReason::kIpReasmMemory], 1u);
  EXPECT_LE(r().bytes_held(), limits.max_bytes);
  // 20 is gone: its last fragment starts a new datagram rather than completing.
  EXPECT_FALSE(frag(20, 1480, 8, false));
  EXPECT_TRUE(frag(23, 1480, 8, false));
}

TEST_F(ReasmTest, DatagramLargerThanBoundIsDropped) {
  limits.max_bytes = 1000;
  EXPECT_FALSE(frag(30, 0, 1480, true));
  EXPECT_EQ(drops[DropReason::kIpReasmMemory], 1u);
  EXPECT_EQ(r().datagrams(), 0u);
}

}  // namespace
}  // namespace stackd::ip
