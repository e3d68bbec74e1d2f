// RFC 4861 §7.2.5: how a Neighbor Advertisement updates the (family-
// agnostic) neighbour cache, entry state by entry state, for an IPv6
// neighbour: the same slab, timers and queues as ARP.
#include <gtest/gtest.h>

#include <vector>

#include "buf/pool.h"
#include "l2/neighbour_cache.h"

namespace stackd::l2 {
namespace {

const IpAddr kPeer6 = *Ipv6Addr::parse("fd00::1");
const MacAddr kMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kOther{{0x02, 0, 0, 0, 0, 0x99}};

struct Events : NeighbourCache::Events {
  int solicits = 0, released = 0;
  void solicit(uint16_t, const IpAddr&, std::optional<MacAddr>, Instant) override { ++solicits; }
  void resolved(uint16_t, const IpAddr&, const MacAddr&, std::span<buf::PacketBuf> p,
                Instant) override {
    released += static_cast<int>(p.size());
  }
  void unresolved(uint16_t, const IpAddr&, std::span<buf::PacketBuf>, Instant) override {}
};

class NeighbourAdvert : public ::testing::Test {
 protected:
  stack::NeighbourTimers timers{};
  buf::FixedPool pool{8, 256};
  DropStats drops;
  Events ev;
  ManualClock clock;
  NeighbourCache cache{timers, drops, ev};

  void incomplete() {
    auto p = pool.alloc(1);
    ASSERT_TRUE(p.append(1));
    EXPECT_FALSE(cache.resolve(1, kPeer6, p, clock.now()));
  }
  NeighState state() { return cache.find(1, kPeer6)->state; }
  MacAddr mac() { return cache.find(1, kPeer6)->mac; }
  LearnResult na(std::optional<MacAddr> tlla, bool s, bool o) {
    return cache.advert(1, kPeer6, tlla, s, o, clock.now());
  }
  void TearDown() override {
    cache.flush_interface(1);
    EXPECT_EQ(pool.in_use(), 0u);
  }
};

TEST_F(NeighbourAdvert, NoEntryCreatesNothing) {
  EXPECT_EQ(na(kMac, false, true), LearnResult::kIgnored);
  EXPECT_FALSE(cache.find(1, kPeer6));
}

TEST_F(NeighbourAdvert, IncompleteBecomesReachableWhenSolicitedStaleWhenNot) {
  incomplete();
  EXPECT_EQ(na(std::nullopt, true, true), LearnResult::kIgnored);  // no address to record
  EXPECT_EQ(state(), NeighState::kIncomplete);
  EXPECT_EQ(na(kMac, true, false), LearnResult::kUpdated);
  EXPECT_EQ(state(), NeighState::kReachable);
  EXPECT_EQ(ev.released, 1);
  cache.remove(1, kPeer6);
  incomplete();
  na(kMac, false, false);
  EXPECT_EQ(state(), NeighState::kStale);
}

TEST_F(NeighbourAdvert, OverrideClearDifferentAddressOnlyStalesAReachableEntry) {
  incomplete();
  na(kMac, true, true);
  na(kOther, true, false);
  EXPECT_EQ(state(), NeighState::kStale);
  EXPECT_EQ(mac(), kMac);  // the cached address stays
  na(kOther, false, false);  // STALE stays STALE, address kept
  EXPECT_EQ(state(), NeighState::kStale);
  EXPECT_EQ(mac(), kMac);
}

TEST_F(NeighbourAdvert, OverrideTakesTheNewAddress) {
  incomplete();
  na(kMac, true, true);
  na(kOther, false, true);  // unsolicited, changed: STALE with the new address
  EXPECT_EQ(state(), NeighState::kStale);
  EXPECT_EQ(mac(), kOther);
  na(std::nullopt, true, false);  // solicited without an address: confirms
  EXPECT_EQ(state(), NeighState::kReachable);
  EXPECT_EQ(mac(), kOther);
}

TEST_F(NeighbourAdvert, PermanentEntriesAreNeverChanged) {
  cache.add_static(1, kPeer6, kMac, clock.now());
  EXPECT_EQ(na(kOther, true, true), LearnResult::kIgnored);
  EXPECT_EQ(mac(), kMac);
  EXPECT_EQ(state(), NeighState::kPermanent);
}

}  // namespace
}  // namespace stackd::l2
