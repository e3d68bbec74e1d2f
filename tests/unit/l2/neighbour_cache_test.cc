// The neighbour cache state machine on its own (RFC 4861 §7.3.2, RFC 1122
// §2.3.2.1), driven with a manual clock and a recording Events fake.
#include "l2/neighbour_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "buf/pool.h"

namespace stackd::l2 {
namespace {

constexpr uint16_t kIf = 1;
const IpAddr kPeer = Ipv4Addr::from_octets(10, 0, 0, 1);
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kOtherMac{{0x02, 0, 0, 0, 0, 0x99}};

struct Solicit {
  IpAddr target;
  std::optional<MacAddr> unicast;
  Instant at;
};

struct Recorder : NeighbourCache::Events {
  std::vector<Solicit> solicits;
  std::vector<uint8_t> released;  // first payload byte of each released packet
  std::vector<uint8_t> failed;
  void solicit(uint16_t, const IpAddr& t, std::optional<MacAddr> u, Instant now) override {
    solicits.push_back({t, u, now});
  }
  void resolved(uint16_t, const IpAddr&, const MacAddr&, std::span<buf::PacketBuf> p,
                Instant) override {
    for (auto& b : p) released.push_back(b.data()[0]);
  }
  void unresolved(uint16_t, const IpAddr&, std::span<buf::PacketBuf> p, Instant) override {
    for (auto& b : p) failed.push_back(b.data()[0]);
  }
};

class NeighbourCacheTest : public ::testing::Test {
 protected:
  stack::NeighbourTimers timers{.reachable = Duration::seconds(30),
                                .retrans = Duration::seconds(1),
                                .max_probes = 3,
                                .pending_per_entry = 4,
                                .cache_size = 8};
  buf::FixedPool pool{64, 256};
  DropStats drops;
  Recorder ev;
  ManualClock clock;
  NeighbourCache cache{timers, drops, ev};

  buf::PacketBuf packet(uint8_t tag) {
    auto p = pool.alloc(1);
    EXPECT_TRUE(p.append(1));
    p.data()[0] = tag;
    return p;
  }
  std::optional<MacAddr> send(const IpAddr& to, uint8_t tag = 0) {
    auto p = packet(tag);
    return cache.resolve(kIf, to, p, clock.now());
  }
  NeighState state(const IpAddr& a = kPeer) { return cache.find(kIf, a)->state; }
  void run_until(Instant t) {
    while (cache.poll_at() <= t) {
      clock.set(cache.poll_at());
      cache.on_timer(clock.now());
    }
    clock.set(t);
  }
  void advance(Duration d) { run_until(clock.now() + d); }
  // A REACHABLE entry, reached the real way: resolve, then a unicast reply.
  void reachable() {
    EXPECT_FALSE(send(kPeer));
    cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kConfirmed, false, clock.now());
    ASSERT_EQ(state(), NeighState::kReachable);
    ev.solicits.clear();
    ev.released.clear();
  }
  void TearDown() override {
    cache.flush_interface(kIf);
    cache.flush_interface(2);
    EXPECT_EQ(pool.in_use(), 0u) << "leaked packet buffers";
  }
};

// RFC 4861 §7.2.2: the first packet to an unknown neighbour creates an
// INCOMPLETE entry, is queued, and a solicitation goes out.
TEST_F(NeighbourCacheTest, FirstPacketCreatesIncompleteQueuesAndSolicits) {
  EXPECT_FALSE(send(kPeer, 1));
  EXPECT_EQ(state(), NeighState::kIncomplete);
  EXPECT_EQ(cache.find(kIf, kPeer)->pending, 1u);
  ASSERT_EQ(ev.solicits.size(), 1u);
  EXPECT_EQ(ev.solicits[0].target, kPeer);
  EXPECT_FALSE(ev.solicits[0].unicast) << "INCOMPLETE solicits by broadcast";
  EXPECT_EQ(cache.poll_at(), clock.now() + timers.retrans);
  // A second packet while INCOMPLETE is queued, no new solicitation.
  EXPECT_FALSE(send(kPeer, 2));
  EXPECT_EQ(ev.solicits.size(), 1u);
}

// The answer releases the queued packets in the order they were sent.
TEST_F(NeighbourCacheTest, ReplyReleasesQueueInOrder) {
  send(kPeer, 1), send(kPeer, 2), send(kPeer, 3);
  EXPECT_EQ(cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kConfirmed, false, clock.now()),
            LearnResult::kUpdated);
  EXPECT_EQ(ev.released, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(state(), NeighState::kReachable);
  EXPECT_EQ(send(kPeer), kPeerMac);
}

// The pending queue is bounded: the oldest packet gives way (as Linux).
TEST_F(NeighbourCacheTest, PendingQueueDropsOldestBeyondBound) {
  for (uint8_t t = 1; t <= 6; ++t) send(kPeer, t);
  EXPECT_EQ(cache.find(kIf, kPeer)->pending, 4u);
  EXPECT_EQ(drops[DropReason::kNeighPendingOverflow], 2u);
  cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kConfirmed, false, clock.now());
  EXPECT_EQ(ev.released, (std::vector<uint8_t>{3, 4, 5, 6}));
}

// Each queued packet holds a frame, so the queues are bounded in total too:
// a flood towards many silent addresses cannot drain the frame pools.
TEST_F(NeighbourCacheTest, PendingQueuesAreBoundedInTotal) {
  timers.pending_total = 6;
  NeighbourCache bounded{timers, drops, ev};
  for (uint8_t h = 1; h <= 4; ++h) {
    IpAddr silent = Ipv4Addr::from_octets(10, 0, 0, static_cast<uint8_t>(100 + h));
    for (uint8_t t = 0; t < 3; ++t) {
      auto p = packet(t);
      bounded.resolve(kIf, silent, p, clock.now());
    }
  }
  EXPECT_EQ(bounded.pending_total(), 6u);
  EXPECT_EQ(drops[DropReason::kNeighPendingOverflow], 6u);
  EXPECT_EQ(pool.in_use(), 6u);  // the refused packets' frames went back at once
  // Failing resolution returns the total to zero.
  for (int i = 0; i < 10 && bounded.poll_at() != Instant::never(); ++i) {
    clock.set(bounded.poll_at());
    bounded.on_timer(clock.now());
  }
  EXPECT_EQ(bounded.pending_total(), 0u);
}

// RFC 1122 §2.3.2.1: retransmit every `retrans`, give up after max_probes;
// the queued packets are dropped and handed to the failure hook.
TEST_F(NeighbourCacheTest, RetransmitsThenFailsAfterMaxProbes) {
  Instant t0 = clock.now();
  send(kPeer, 7), send(kPeer, 8);
  advance(Duration::millis(2500));
  ASSERT_EQ(ev.solicits.size(), 3u);
  EXPECT_EQ(ev.solicits[1].at, t0 + timers.retrans);
  EXPECT_EQ(ev.solicits[2].at, t0 + timers.retrans * 2);
  EXPECT_EQ(state(), NeighState::kIncomplete);
  EXPECT_TRUE(ev.failed.empty());
  advance(Duration::millis(500));  // t0 + 3 s: the third request went unanswered
  EXPECT_EQ(state(), NeighState::kFailed);
  EXPECT_EQ(ev.solicits.size(), 3u);
  EXPECT_EQ(ev.failed, (std::vector<uint8_t>{7, 8}));
  EXPECT_EQ(drops[DropReason::kNeighUnresolved], 2u);
  EXPECT_TRUE(cache.poll_at().is_never());
  // New traffic to a FAILED neighbour starts resolution again.
  send(kPeer, 9);
  EXPECT_EQ(state(), NeighState::kIncomplete);
  EXPECT_EQ(ev.solicits.size(), 4u);
}

// RFC 4861 §7.3.3: REACHABLE becomes STALE when ReachableTime passes.
TEST_F(NeighbourCacheTest, ReachableGoesStaleAfterReachableTime) {
  reachable();
  advance(timers.reachable - Duration::millis(1));
  EXPECT_EQ(state(), NeighState::kReachable);
  advance(Duration::millis(1));
  EXPECT_EQ(state(), NeighState::kStale);
  EXPECT_TRUE(ev.solicits.empty()) << "STALE sends nothing until used";
}

// RFC 4861 §7.3.3: STALE used -> DELAY; after DELAY_FIRST_PROBE_TIME ->
// PROBE with unicast solicitations; a reply -> REACHABLE.
TEST_F(NeighbourCacheTest, StaleDelayProbeReachable) {
  reachable();
  advance(timers.reachable);
  ASSERT_EQ(state(), NeighState::kStale);
  EXPECT_EQ(send(kPeer), kPeerMac) << "STALE still sends";
  EXPECT_EQ(state(), NeighState::kDelay);
  advance(kDelayFirstProbeTime - Duration::millis(1));
  EXPECT_EQ(state(), NeighState::kDelay);
  EXPECT_TRUE(ev.solicits.empty());
  advance(Duration::millis(1));
  EXPECT_EQ(state(), NeighState::kProbe);
  ASSERT_EQ(ev.solicits.size(), 1u);
  EXPECT_EQ(ev.solicits[0].unicast, kPeerMac) << "PROBE solicits by unicast";
  EXPECT_EQ(send(kPeer), kPeerMac) << "PROBE still sends";
  cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kConfirmed, false, clock.now());
  EXPECT_EQ(state(), NeighState::kReachable);
}

// Upper-layer confirmation during DELAY avoids the probe (RFC 4861 §7.3.1).
TEST_F(NeighbourCacheTest, ConfirmInDelayGoesReachableWithoutProbe) {
  reachable();
  advance(timers.reachable);
  send(kPeer);
  ASSERT_EQ(state(), NeighState::kDelay);
  cache.confirm(kIf, kPeer, clock.now());
  EXPECT_EQ(state(), NeighState::kReachable);
  advance(kDelayFirstProbeTime * 2);
  EXPECT_TRUE(ev.solicits.empty());
  EXPECT_EQ(state(), NeighState::kReachable);
}

// A confirmation moves the REACHABLE deadline later (lazy re-arm).
TEST_F(NeighbourCacheTest, ReconfirmationExtendsReachable) {
  reachable();
  advance(Duration::seconds(20));
  cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kConfirmed, false, clock.now());
  advance(Duration::seconds(20));  // 40 s after the first, 20 after the second
  EXPECT_EQ(state(), NeighState::kReachable);
  advance(Duration::seconds(10));
  EXPECT_EQ(state(), NeighState::kStale);
}

// PROBE unanswered max_probes times -> FAILED.
TEST_F(NeighbourCacheTest, ProbeUnansweredFails) {
  reachable();
  advance(timers.reachable);
  send(kPeer);
  advance(kDelayFirstProbeTime + timers.retrans * 3);
  EXPECT_EQ(ev.solicits.size(), 3u);
  EXPECT_EQ(state(), NeighState::kFailed);
}

// Heard (not confirmed) information: a new address goes STALE; the same
// address keeps the state (Linux neigh_update); INCOMPLETE resolves STALE.
TEST_F(NeighbourCacheTest, HeardInformationRules) {
  reachable();
  cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kHeard, false, clock.now());
  EXPECT_EQ(state(), NeighState::kReachable);
  cache.learn(kIf, kPeer, kOtherMac, NeighEvidence::kHeard, false, clock.now());
  EXPECT_EQ(state(), NeighState::kStale);
  EXPECT_EQ(cache.find(kIf, kPeer)->mac, kOtherMac);

  IpAddr b = Ipv4Addr::from_octets(10, 0, 0, 2);
  send(b, 5);
  cache.learn(kIf, b, kPeerMac, NeighEvidence::kHeard, false, clock.now());
  EXPECT_EQ(state(b), NeighState::kStale);
  EXPECT_EQ(ev.released, (std::vector<uint8_t>{5}));
}

// RFC 826: without an entry, learn creates one only when allowed.
TEST_F(NeighbourCacheTest, LearnCreatesOnlyWhenAllowed) {
  EXPECT_EQ(cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kHeard, false, clock.now()),
            LearnResult::kIgnored);
  EXPECT_FALSE(cache.find(kIf, kPeer));
  EXPECT_EQ(cache.learn(kIf, kPeer, kPeerMac, NeighEvidence::kHeard, true, clock.now()),
            LearnResult::kCreated);
  EXPECT_EQ(state(), NeighState::kStale);
}

// Static entries: PERMANENT, never age, never overwritten by the network.
TEST_F(NeighbourCacheTest, StaticEntriesNeverAge) {
  EXPECT_FALSE(cache.add_static(kIf, kPeer, kPeerMac, clock.now()));
  EXPECT_TRUE(cache.poll_at().is_never());
  advance(Duration::seconds(3600));
  EXPECT_EQ(state(), NeighState::kPermanent);
  EXPECT_EQ(cache.learn(kIf, kPeer, kOtherMac, NeighEvidence::kConfirmed, true, clock.now()),
            LearnResult::kIgnored);
  EXPECT_EQ(send(kPeer), kPeerMac);
  EXPECT_EQ(state(), NeighState::kPermanent);
  EXPECT_TRUE(ev.solicits.empty());
}

// Keys include the interface: the same address on two links is two entries.
TEST_F(NeighbourCacheTest, KeyedByInterfaceAndAddress) {
  cache.add_static(kIf, kPeer, kPeerMac, clock.now());
  cache.add_static(2, kPeer, kOtherMac, clock.now());
  EXPECT_EQ(cache.find(kIf, kPeer)->mac, kPeerMac);
  EXPECT_EQ(cache.find(2, kPeer)->mac, kOtherMac);
  IpAddr v6 = *Ipv6Addr::parse("fe80::1");
  cache.add_static(kIf, v6, kOtherMac, clock.now());
  EXPECT_EQ(cache.find(kIf, v6)->mac, kOtherMac);
  size_t n = 0;
  cache.for_each([&](const NeighInfo&) { ++n; });
  EXPECT_EQ(n, 3u);
}

// The cache is bounded: FAILED entries are evicted first, then STALE (least
// recently used); when every entry is busy, new ones are refused.
TEST_F(NeighbourCacheTest, BoundedEvictsFailedThenStaleThenRefuses) {
  auto addr = [](uint8_t n) { return IpAddr(Ipv4Addr::from_octets(10, 0, 1, n)); };
  for (uint8_t n = 1; n <= 6; ++n)
    cache.learn(kIf, addr(n), kPeerMac, NeighEvidence::kHeard, true, clock.now());  // STALE
  send(addr(7));  // INCOMPLETE, will fail
  advance(timers.retrans * 3);
  ASSERT_EQ(state(addr(7)), NeighState::kFailed);
  cache.add_static(kIf, addr(8), kPeerMac, clock.now());
  ASSERT_EQ(cache.size(), 8u);

  cache.add_static(kIf, addr(9), kPeerMac, clock.now());
  EXPECT_FALSE(cache.find(kIf, addr(7))) << "FAILED evicted first";
  cache.add_static(kIf, addr(10), kPeerMac, clock.now());
  EXPECT_FALSE(cache.find(kIf, addr(1))) << "then the oldest STALE";
  EXPECT_TRUE(cache.find(kIf, addr(2)));
  for (uint8_t n = 11; n <= 15; ++n) cache.add_static(kIf, addr(n), kPeerMac, clock.now());
  EXPECT_EQ(cache.size(), 8u);

  // All PERMANENT now: refused, the packet dropped as cache full.
  EXPECT_EQ(cache.add_static(kIf, addr(16), kPeerMac, clock.now()), DropReason::kNeighCacheFull);
  EXPECT_FALSE(send(addr(17)));
  EXPECT_FALSE(cache.find(kIf, addr(17)));
  EXPECT_EQ(drops[DropReason::kNeighCacheFull], 2u);
}

TEST_F(NeighbourCacheTest, RemoveDropsPending) {
  send(kPeer, 1);
  EXPECT_TRUE(cache.remove(kIf, kPeer));
  EXPECT_FALSE(cache.find(kIf, kPeer));
  EXPECT_EQ(drops[DropReason::kNeighUnresolved], 1u);
  advance(Duration::seconds(5));  // its timer is ignored
  EXPECT_EQ(ev.solicits.size(), 1u);
}

}  // namespace
}  // namespace stackd::l2
