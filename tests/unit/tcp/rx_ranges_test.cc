#include "transport/tcp/rx_ranges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace stackd::tcp {
namespace {

using AR = RxRanges::AddResult;

// rcv.nxt starts just below 2^32 so every test crosses the wrap.
constexpr uint32_t kIrs = 0xFFFFF000u;
const SeqNum kNxt{kIrs};

SeqNum at(uint32_t off) { return kNxt + off; }
SackBlock blk(uint32_t s, uint32_t e) { return {at(s), at(e)}; }

std::vector<SackBlock> blocks(RxRanges& r, size_t max = 4) {
  std::array<SackBlock, 8> out{};
  size_t n = r.sack_blocks(out, max);
  return {out.begin(), out.begin() + static_cast<long>(n)};
}

TEST(RxRanges, EmptyHasNoBlocks) {
  RxRanges r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(blocks(r).empty());
  EXPECT_EQ(r.advance(kNxt), kNxt);
}

TEST(RxRanges, OneHoleFilledAdvancesOverIsland) {
  RxRanges r;
  // Segments 2 and 3 arrive before segment 1 (1000 bytes each).
  EXPECT_EQ(r.add(kNxt, at(1000), at(2000)), AR::kAdded);
  EXPECT_EQ(r.add(kNxt, at(2000), at(3000)), AR::kAdded);  // touches: merges
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(blocks(r), (std::vector{blk(1000, 3000)}));
  EXPECT_EQ(r.highest_end(), at(3000));
  // Not yet touching: in-order data up to 500 leaves the island.
  EXPECT_EQ(r.advance(at(500)), at(500));
  EXPECT_EQ(r.size(), 1u);
  // Segment 1 fills the hole (crossing 2^32): rcv.nxt jumps to 3000.
  EXPECT_EQ(r.advance(at(1000)), at(3000));
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(blocks(r).empty());
  EXPECT_EQ(r.highest_end(), at(3000));
}

TEST(RxRanges, InOrderSegmentOverlappingIslandConsumesIt) {
  RxRanges r;
  r.add(kNxt, at(1000), at(2000));
  r.add(kNxt, at(3000), at(4000));
  // An in-order segment [0,1500) overlaps the first island.
  EXPECT_EQ(r.advance(at(1500)), at(2000));
  EXPECT_EQ(r.size(), 1u);
  // One that covers the next island entirely and more.
  EXPECT_EQ(r.advance(at(4500)), at(4500));
  EXPECT_TRUE(r.empty());
}

TEST(RxRanges, InOrderSegmentCoveringOneIslandStopsInNextHole) {
  RxRanges r;
  r.add(kNxt, at(1000), at(2000));
  r.add(kNxt, at(3000), at(4000));
  // [0, 2500) covers island 1 and ends in the hole before island 2.
  EXPECT_EQ(r.advance(at(2500)), at(2500));
  EXPECT_EQ(blocks(r), (std::vector{blk(3000, 4000)}));
}

TEST(RxRanges, MergesAcrossManyIslands) {
  RxRanges r;
  // Ten islands of 100 bytes with 100-byte holes.
  for (uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(r.add(kNxt, at(200 * i + 100), at(200 * i + 200)), AR::kAdded);
  }
  EXPECT_EQ(r.size(), 10u);
  // One segment from inside island 2 to the start of island 7 (touching
  // it): islands 2..7 collapse into one.
  EXPECT_EQ(r.add(kNxt, at(550), at(1500)), AR::kAdded);
  EXPECT_EQ(r.size(), 5u);
  auto b = blocks(r);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b[0], blk(500, 1600));  // island 2 (500..600) through island 7 (1500..1600)
  // Fill everything from rcv.nxt: all islands consumed at once.
  EXPECT_EQ(r.add(kNxt, at(0), at(2000)), AR::kAdded);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.advance(kNxt), at(2000));
  EXPECT_TRUE(r.empty());
}

TEST(RxRanges, FillingExactHoleJoinsBothNeighbours) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));
  r.add(kNxt, at(300), at(400));
  EXPECT_EQ(r.add(kNxt, at(200), at(300)), AR::kAdded);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(blocks(r), (std::vector{blk(100, 400)}));
}

TEST(RxRanges, PartialOverlapIsAddedNotDuplicate) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));
  EXPECT_EQ(r.add(kNxt, at(150), at(250)), AR::kAdded);
  EXPECT_EQ(r.add(kNxt, at(50), at(120)), AR::kAdded);
  EXPECT_EQ(blocks(r), (std::vector{blk(50, 250)}));
}

TEST(RxRanges, DuplicateOfHeldDataAndDsackWithItsIsland) {
  RxRanges r;
  r.add(kNxt, at(1000), at(3000));
  r.add(kNxt, at(5000), at(6000));  // most recent
  // A retransmission of [1000,2000) is entirely held already.
  EXPECT_EQ(r.add(kNxt, at(1000), at(2000)), AR::kDuplicate);
  r.note_dsack(at(1000), at(2000));
  EXPECT_TRUE(r.has_dsack());
  // RFC 2883 §4: D-SACK block first, then the island holding it, then others.
  EXPECT_EQ(blocks(r), (std::vector{blk(1000, 2000), blk(1000, 3000), blk(5000, 6000)}));
  // Reported once only.
  EXPECT_FALSE(r.has_dsack());
  EXPECT_EQ(blocks(r), (std::vector{blk(1000, 3000), blk(5000, 6000)}));
}

TEST(RxRanges, DsackPutsContainingIslandSecondEvenIfNotMostRecent) {
  RxRanges r;
  r.add(kNxt, at(1000), at(2000));
  r.add(kNxt, at(5000), at(6000));  // most recent
  r.note_dsack(at(1200), at(1400));  // without a preceding add()
  EXPECT_EQ(blocks(r), (std::vector{blk(1200, 1400), blk(1000, 2000), blk(5000, 6000)}));
}

TEST(RxRanges, DsackBelowRcvNxt) {
  RxRanges r;
  // Old data wholly below rcv.nxt (e.g. a spurious retransmission).
  EXPECT_EQ(r.add(kNxt, SeqNum(kIrs - 2000), SeqNum(kIrs - 1000)), AR::kDuplicate);
  r.note_dsack(SeqNum(kIrs - 2000), SeqNum(kIrs - 1000));
  r.add(kNxt, at(1000), at(2000));
  EXPECT_EQ(blocks(r), (std::vector{SackBlock{SeqNum(kIrs - 2000), SeqNum(kIrs - 1000)}, blk(1000, 2000)}));
  // The next ACK has no D-SACK.
  EXPECT_EQ(blocks(r), (std::vector{blk(1000, 2000)}));
}

TEST(RxRanges, DsackKeptWhenNoRoomToReport) {
  RxRanges r;
  r.note_dsack(at(0), at(10));
  EXPECT_EQ(blocks(r, 0).size(), 0u);
  EXPECT_TRUE(r.has_dsack());
  EXPECT_EQ(blocks(r, 1), (std::vector{blk(0, 10)}));
}

TEST(RxRanges, MostRecentFirstOrder) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));  // A
  r.add(kNxt, at(300), at(400));  // B
  r.add(kNxt, at(500), at(600));  // C
  r.add(kNxt, at(700), at(800));  // D
  r.add(kNxt, at(900), at(1000));  // E
  // RFC 2018 §4: most recent first; at most max blocks.
  EXPECT_EQ(blocks(r, 4), (std::vector{blk(900, 1000), blk(700, 800), blk(500, 600), blk(300, 400)}));
  EXPECT_EQ(blocks(r, 3), (std::vector{blk(900, 1000), blk(700, 800), blk(500, 600)}));
  // A segment extending B makes B the first block.
  r.add(kNxt, at(400), at(450));
  EXPECT_EQ(blocks(r, 3), (std::vector{blk(300, 450), blk(900, 1000), blk(700, 800)}));
  // A duplicate inside A makes A the first one.
  EXPECT_EQ(r.add(kNxt, at(120), at(180)), AR::kDuplicate);
  EXPECT_EQ(blocks(r, 4), (std::vector{blk(100, 200), blk(300, 450), blk(900, 1000), blk(700, 800)}));
  // Merging B and C: the merged island is the most recent; order of the rest kept.
  r.add(kNxt, at(450), at(500));
  EXPECT_EQ(blocks(r, 4), (std::vector{blk(300, 600), blk(100, 200), blk(900, 1000), blk(700, 800)}));
  // Consuming A (the hole before it filled) keeps the order of the others.
  EXPECT_EQ(r.advance(at(100)), at(200));
  EXPECT_EQ(blocks(r, 4), (std::vector{blk(300, 600), blk(900, 1000), blk(700, 800)}));
}

TEST(RxRanges, OutputSpanSmallerThanMax) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));
  r.add(kNxt, at(300), at(400));
  std::array<SackBlock, 1> out{};
  EXPECT_EQ(r.sack_blocks(out, 4), 1u);
  EXPECT_EQ(out[0], blk(300, 400));
}

TEST(RxRanges, BoundRefusesNewIslandsButStillMerges) {
  RxRanges r;
  for (uint32_t i = 0; i < RxRanges::kMaxRanges; ++i) {
    ASSERT_EQ(r.add(kNxt, at(20 * i + 10), at(20 * i + 20)), AR::kAdded);
  }
  EXPECT_EQ(r.size(), RxRanges::kMaxRanges);
  // A new island beyond, or in a hole without touching, is refused.
  EXPECT_EQ(r.add(kNxt, at(5000), at(5010)), AR::kNoRoom);
  EXPECT_EQ(r.add(kNxt, at(2), at(5)), AR::kNoRoom);
  EXPECT_EQ(r.size(), RxRanges::kMaxRanges);
  EXPECT_EQ(r.highest_end(), at(20 * 31 + 20));
  // Growing or joining existing islands still works, and frees room.
  EXPECT_EQ(r.add(kNxt, at(20), at(30)), AR::kAdded);
  EXPECT_EQ(r.size(), RxRanges::kMaxRanges - 1);
  EXPECT_EQ(r.add(kNxt, at(5000), at(5010)), AR::kAdded);
}

TEST(RxRanges, WrapAroundIslandsStraddling2To32) {
  RxRanges r;
  const SeqNum nxt(0xFFFFFF00u);
  // Island straddles 2^32; another is wholly past it.
  EXPECT_EQ(r.add(nxt, SeqNum(0xFFFFFF80u), SeqNum(0x00000080u)), AR::kAdded);
  EXPECT_EQ(r.add(nxt, SeqNum(0x00000100u), SeqNum(0x00000200u)), AR::kAdded);
  EXPECT_EQ(r.highest_end(), SeqNum(0x200u));
  EXPECT_EQ(blocks(r), (std::vector{SackBlock{SeqNum(0x100u), SeqNum(0x200u)},
                                    SackBlock{SeqNum(0xFFFFFF80u), SeqNum(0x80u)}}));
  EXPECT_EQ(r.advance(SeqNum(0xFFFFFF80u)), SeqNum(0x80u));
  EXPECT_EQ(r.add(SeqNum(0x80u), SeqNum(0x80u), SeqNum(0x100u)), AR::kAdded);
  EXPECT_EQ(r.advance(SeqNum(0x80u)), SeqNum(0x200u));
  EXPECT_TRUE(r.empty());
}

TEST(RxRanges, SegmentStartingBeforeRcvNxtIsTrimmed) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));
  // Caller passes a segment overlapping rcv.nxt: only [rcv.nxt, end) counts.
  EXPECT_EQ(r.add(at(50), at(0), at(100)), AR::kAdded);
  EXPECT_EQ(r.advance(at(50)), at(200));
}

TEST(RxRanges, InvalidRangesRefused) {
  RxRanges r;
  EXPECT_EQ(r.add(kNxt, at(100), at(100)), AR::kAdded);  // empty: nothing recorded
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.add(kNxt, at(200), at(100)), AR::kNoRoom);  // inverted
  // An end 2^31 or more past rcv.nxt is modularly before it: old data.
  EXPECT_EQ(r.add(kNxt, at(100), at(0x90000000u)), AR::kDuplicate);
  EXPECT_TRUE(r.empty());
}

TEST(RxRanges, ClearForgetsIslandsAndDsack) {
  RxRanges r;
  r.add(kNxt, at(100), at(200));
  r.note_dsack(at(100), at(200));
  r.clear();
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.has_dsack());
  EXPECT_TRUE(blocks(r).empty());
}

// Against a byte-per-byte model: random segments into a window, with
// in-order arrivals advancing rcv.nxt, starting near 2^32.
TEST(RxRanges, MatchesByteModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    RxRanges r;
    SeqNum nxt(kIrs + static_cast<uint32_t>(rng() % 8192));
    const SeqNum origin = nxt;
    constexpr uint32_t kWin = 4096;
    std::vector<bool> held(1 << 16, false);  // indexed by offset from origin
    for (int step = 0; step < 100; ++step) {
      const uint32_t base = (nxt - origin).v;
      const uint32_t s = (rng() % 4 == 0) ? base : base + static_cast<uint32_t>(rng() % kWin);
      const uint32_t len = 1 + static_cast<uint32_t>(rng() % 300);
      const SeqNum ss = origin + s, se = origin + s + len;
      if (s == base) {
        for (uint32_t k = s; k < s + len; ++k) held[k] = true;
        r.add(nxt, ss, se);  // also fine for in-order data
        nxt = r.advance(se);
      } else {
        bool all = true;
        for (uint32_t k = s; k < s + len; ++k) all = all && held[k];
        const auto res = r.add(nxt, ss, se);
        if (res == AR::kNoRoom) continue;
        EXPECT_EQ(res == AR::kDuplicate, all);
        for (uint32_t k = s; k < s + len; ++k) held[k] = true;
      }
      // Model rcv.nxt: first byte not held from the previous one.
      uint32_t m = (nxt - origin).v;
      EXPECT_FALSE(held[m]) << "round " << round << " step " << step;
      // Islands equal the model's runs beyond rcv.nxt.
      std::vector<SackBlock> runs;
      for (uint32_t k = m; k < m + kWin + 300; ++k) {
        if (held[k] && (k == m || !held[k - 1])) runs.push_back({origin + k, origin + k});
        if (held[k]) runs.back().end = origin + k + 1;
      }
      ASSERT_EQ(r.size(), runs.size());
      if (!runs.empty()) {
        EXPECT_EQ(r.highest_end(), runs.back().end);
      }
      std::array<SackBlock, RxRanges::kMaxRanges> out{};
      const size_t n = r.sack_blocks(out, out.size());
      ASSERT_EQ(n, runs.size());
      for (const auto& run : runs) {
        EXPECT_NE(std::find(out.begin(), out.begin() + static_cast<long>(n), run),
                  out.begin() + static_cast<long>(n));
      }
    }
  }
}

}  // namespace
}  // namespace stackd::tcp
