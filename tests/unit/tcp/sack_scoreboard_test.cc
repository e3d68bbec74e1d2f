#include "transport/tcp/sack_scoreboard.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace stackd::tcp {
namespace {

// RFC 6675 style: segments of SMSS octets numbered from 0; snd.una starts
// just below 2^32 so every test crosses the wrap.
constexpr uint32_t kSmss = 1000;
constexpr uint32_t kIss = 0xFFFFF000u;
const SeqNum kUna{kIss};

SeqNum at(uint32_t off) { return kUna + off; }
// Segment n: [n*SMSS, (n+1)*SMSS).
SeqNum seg(uint32_t n) { return at(n * kSmss); }
SackBlock blk(uint32_t s, uint32_t e) { return {at(s), at(e)}; }
SackBlock segs(uint32_t first, uint32_t last) { return {seg(first), seg(last + 1)}; }

SackUpdate sack(SackScoreboard& sb, SeqNum una, SeqNum nxt, std::vector<SackBlock> b) {
  return sb.update(una, nxt, b);
}

const SeqNum kNxt = seg(10);  // ten segments outstanding

TEST(SackScoreboard, EmptyBoard) {
  SackScoreboard sb;
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_FALSE(sb.is_sacked(seg(0)));
  EXPECT_FALSE(sb.is_lost(seg(0), kSmss));
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), std::nullopt);
  EXPECT_EQ(sb.pipe(kUna, kNxt, kUna, kSmss), 10 * kSmss);
}

TEST(SackScoreboard, RecordsAndMergesBlocks) {
  SackScoreboard sb;
  auto u = sack(sb, kUna, kNxt, {segs(2, 2)});
  EXPECT_EQ(u.newly_sacked, kSmss);
  EXPECT_FALSE(u.dsack);
  u = sack(sb, kUna, kNxt, {segs(2, 3), segs(5, 5)});  // 3 and 5 are new
  EXPECT_EQ(u.newly_sacked, 2 * kSmss);
  EXPECT_EQ(sb.size(), 2u);
  u = sack(sb, kUna, kNxt, {segs(2, 3), segs(5, 5)});  // nothing new
  EXPECT_EQ(u.newly_sacked, 0u);
  u = sack(sb, kUna, kNxt, {segs(4, 4)});  // fills the gap: one range
  EXPECT_EQ(u.newly_sacked, kSmss);
  EXPECT_EQ(sb.size(), 1u);
  EXPECT_EQ(sb.sacked_bytes(), 4 * kSmss);
  EXPECT_EQ(sb.highest_sacked(), seg(6));
  EXPECT_FALSE(sb.is_sacked(seg(1)));
  EXPECT_TRUE(sb.is_sacked(seg(2)));
  EXPECT_TRUE(sb.is_sacked(seg(6) - 1));
  EXPECT_FALSE(sb.is_sacked(seg(6)));
  // A partly new overlapping block counts only the new octets.
  u = sack(sb, kUna, kNxt, {blk(5500, 6500)});
  EXPECT_EQ(u.newly_sacked, 500u);
}

TEST(SackScoreboard, DsackBelowCumulativeAck) {
  SackScoreboard sb;
  // RFC 2883 §4.1.1 style: the ACK covers segment 0 and reports it again
  // (a spurious retransmission) as the first block.
  auto u = sack(sb, seg(1), kNxt, {segs(0, 0), segs(3, 3)});
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.newly_sacked, kSmss);
  EXPECT_TRUE(sb.is_sacked(seg(3)));
  EXPECT_FALSE(sb.is_sacked(seg(0)));
  EXPECT_EQ(sb.sacked_bytes(), kSmss);
}

TEST(SackScoreboard, DsackContainedInSecondBlock) {
  SackScoreboard sb;
  sack(sb, kUna, kNxt, {segs(2, 4)});
  // RFC 2883 §4.1.3 style: duplicate of segment 3, inside the held block 2..5.
  auto u = sack(sb, kUna, kNxt, {segs(3, 3), segs(2, 5)});
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.newly_sacked, kSmss);  // segment 5, from the second block
  EXPECT_EQ(sb.sacked_bytes(), 4 * kSmss);
  // The same first block alone is an ordinary (already known) SACK block.
  u = sack(sb, kUna, kNxt, {segs(3, 3)});
  EXPECT_FALSE(u.dsack);
  // A first block not contained in the second is not a D-SACK.
  u = sack(sb, kUna, kNxt, {segs(7, 8), segs(2, 5)});
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 2 * kSmss);
}

TEST(SackScoreboard, InvalidBlocksIgnored) {
  SackScoreboard sb;
  const SeqNum una = seg(2);
  auto u = sack(sb, una, kNxt,
                {segs(4, 4),                  // valid
                 {seg(9), seg(11)},           // beyond snd.nxt
                 {seg(1), seg(3)},            // starts below snd.una (not first: no D-SACK)
                 {seg(6), seg(6)}});          // empty
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(u.newly_sacked, kSmss);
  EXPECT_EQ(sb.sacked_bytes(), kSmss);
  u = sack(sb, una, kNxt, {{seg(7), seg(6)}});  // inverted
  EXPECT_EQ(u.newly_sacked, 0u);
  // Far away (modularly before snd.una or after snd.nxt).
  u = sack(sb, una, kNxt, {segs(5, 5), {SeqNum(kIss + 0x80000000u), SeqNum(kIss + 0x80001000u)}});
  EXPECT_EQ(u.newly_sacked, kSmss);
  // A block ending exactly at snd.nxt is valid.
  u = sack(sb, una, kNxt, {segs(9, 9)});
  EXPECT_EQ(u.newly_sacked, kSmss);
  EXPECT_EQ(sb.size(), 2u);
}

TEST(SackScoreboard, AdvanceDropsAndTrims) {
  SackScoreboard sb;
  sack(sb, kUna, kNxt, {segs(2, 3), segs(5, 6), segs(8, 8)});
  EXPECT_EQ(sb.sacked_bytes(), 5 * kSmss);
  sb.advance(seg(4));  // segments 0..3 acked: first range gone
  EXPECT_EQ(sb.size(), 2u);
  EXPECT_EQ(sb.sacked_bytes(), 3 * kSmss);
  EXPECT_FALSE(sb.is_sacked(seg(3)));
  sb.advance(seg(6));  // cumulative ACK into the middle of 5..6: trimmed
  EXPECT_EQ(sb.sacked_bytes(), 2 * kSmss);
  EXPECT_TRUE(sb.is_sacked(seg(6)));
  EXPECT_EQ(sb.highest_sacked(), seg(9));
  sb.advance(seg(4));  // never moves back
  EXPECT_EQ(sb.sacked_bytes(), 2 * kSmss);
  sb.advance(seg(10));
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.highest_sacked(), seg(10));
}

TEST(SackScoreboard, IsLostByDiscontiguousRanges) {
  SackScoreboard sb;
  // RFC 6675 §4 IsLost: DupThresh (3) discontiguous SACKed ranges above.
  sack(sb, kUna, kNxt, {segs(2, 2), segs(4, 4)});
  EXPECT_FALSE(sb.is_lost(seg(0), kSmss));  // 2 ranges, 2*SMSS octets: not yet
  sack(sb, kUna, kNxt, {segs(6, 6)});
  EXPECT_TRUE(sb.is_lost(seg(0), kSmss));
  EXPECT_TRUE(sb.is_lost(seg(1), kSmss));
  EXPECT_FALSE(sb.is_lost(seg(3), kSmss));  // only 4 and 6 above
  EXPECT_FALSE(sb.is_lost(seg(7), kSmss));
  EXPECT_FALSE(sb.is_lost(seg(0) - 1, kSmss));  // below snd.una: not outstanding
}

TEST(SackScoreboard, IsLostByBytes) {
  SackScoreboard sb;
  // "more than (DupThresh - 1) * SMSS bytes": exactly 2*SMSS is not enough.
  sack(sb, kUna, kNxt, {blk(1000, 3000)});
  EXPECT_FALSE(sb.is_lost(seg(0), kSmss));
  sack(sb, kUna, kNxt, {blk(3000, 3001)});
  EXPECT_TRUE(sb.is_lost(seg(0), kSmss));
  EXPECT_TRUE(sb.is_lost(at(999), kSmss));
  // Octets counted are those ABOVE seq: from inside the range fewer count.
  EXPECT_FALSE(sb.is_lost(at(1000), kSmss));
  // Three tiny ranges still mean lost (the count rule) whatever SMSS is.
  SackScoreboard small;
  sack(small, kUna, kNxt, {blk(100, 110), blk(200, 210), blk(300, 310)});
  EXPECT_TRUE(small.is_lost(at(0), kSmss));
  EXPECT_FALSE(small.is_lost(at(150), kSmss));
}

TEST(SackScoreboard, NextSegSingleLoss) {
  SackScoreboard sb;
  // Segment 0 lost; 1, 2, 3 SACKed by three duplicate ACKs.
  sack(sb, kUna, kNxt, {segs(1, 1)});
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), std::nullopt);  // not lost yet
  sack(sb, kUna, kNxt, {segs(1, 2)});
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), std::nullopt);
  sack(sb, kUna, kNxt, {segs(1, 3)});
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), segs(0, 0));
  // After retransmitting it (high_rxt = its end) there is nothing else.
  EXPECT_EQ(sb.next_seg(kUna, seg(1), kSmss), std::nullopt);
  // Rule 3: holes above the highest SACKed octet are not candidates (1.b).
  EXPECT_EQ(sb.next_hole(kUna, seg(1), kSmss), std::nullopt);
}

TEST(SackScoreboard, NextSegManyLosses) {
  SackScoreboard sb;
  // Segments 0, 2, 4, 6 lost; 1, 3, 5, 7 SACKed.
  sack(sb, kUna, kNxt, {segs(7, 7), segs(5, 5), segs(3, 3), segs(1, 1)});
  EXPECT_EQ(sb.size(), 4u);
  // 0 and 2 have three ranges above them: lost; 4 and 6 not.
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), segs(0, 0));
  EXPECT_EQ(sb.next_seg(kUna, seg(1), kSmss), segs(2, 2));
  EXPECT_EQ(sb.next_seg(kUna, seg(3), kSmss), std::nullopt);
  // Rule 3 offers the not-yet-lost holes below the highest SACKed octet.
  EXPECT_EQ(sb.next_hole(kUna, seg(3), kSmss), segs(4, 4));
  EXPECT_EQ(sb.next_hole(kUna, seg(5), kSmss), segs(6, 6));
  EXPECT_EQ(sb.next_hole(kUna, seg(7), kSmss), std::nullopt);
  // Segment 8 SACKed: 4 becomes lost too.
  sack(sb, kUna, kNxt, {segs(8, 8)});
  EXPECT_EQ(sb.next_seg(kUna, seg(3), kSmss), segs(4, 4));
}

TEST(SackScoreboard, NextSegSizesToSmssAndHole) {
  SackScoreboard sb;
  sack(sb, kUna, kNxt, {blk(2500, 6000)});  // hole [0, 2500)
  EXPECT_EQ(sb.next_seg(kUna, kUna, kSmss), blk(0, 1000));
  EXPECT_EQ(sb.next_seg(kUna, at(1000), kSmss), blk(1000, 2000));
  EXPECT_EQ(sb.next_seg(kUna, at(2000), kSmss), blk(2000, 2500));  // not into SACKed data
  EXPECT_EQ(sb.next_seg(kUna, at(2500), kSmss), std::nullopt);
  // snd.una above high_rxt (a partial ACK) wins: (1.a) is about outstanding data.
  sb.advance(at(1500));
  EXPECT_EQ(sb.next_seg(at(1500), kUna, kSmss), blk(1500, 2500));
}

TEST(SackScoreboard, HighestUnsacked) {
  SackScoreboard sb;
  EXPECT_EQ(sb.highest_unsacked(kUna, kNxt), seg(10) - 1);
  sack(sb, kUna, kNxt, {segs(6, 9)});
  EXPECT_EQ(sb.highest_unsacked(kUna, kNxt), seg(6) - 1);
  sack(sb, kUna, kNxt, {segs(2, 5)});
  EXPECT_EQ(sb.highest_unsacked(kUna, kNxt), seg(2) - 1);
  sack(sb, kUna, kNxt, {segs(0, 1)});
  EXPECT_EQ(sb.highest_unsacked(kUna, kNxt), std::nullopt);
  EXPECT_EQ(sb.highest_unsacked(kUna, kUna), std::nullopt);
}

TEST(SackScoreboard, PipeBeforeAndAfterRetransmission) {
  SackScoreboard sb;
  // No SACK: every outstanding octet is in the pipe once.
  EXPECT_EQ(sb.pipe(kUna, kNxt, kUna, kSmss), 10 * kSmss);
  // Segments 1..3 SACKed: 0 is lost (not counted), 4..9 in flight.
  sack(sb, kUna, kNxt, {segs(1, 3)});
  EXPECT_EQ(sb.pipe(kUna, kNxt, kUna, kSmss), 6 * kSmss);
  // Segment 0 retransmitted (high_rxt past it): counted once again (b).
  EXPECT_EQ(sb.pipe(kUna, kNxt, seg(1), kSmss), 7 * kSmss);
  // Two SACKed segments only: nothing is lost, 0 counted; retransmitting
  // it anyway counts it twice ((a) and (b)).
  SackScoreboard two;
  sack(two, kUna, kNxt, {segs(1, 2)});
  EXPECT_EQ(two.pipe(kUna, kNxt, kUna, kSmss), 8 * kSmss);
  EXPECT_EQ(two.pipe(kUna, kNxt, seg(1), kSmss), 9 * kSmss);
  // high_rxt beyond snd.nxt or before snd.una is clamped.
  EXPECT_EQ(two.pipe(kUna, kNxt, seg(20), kSmss), 16 * kSmss);
  EXPECT_EQ(two.pipe(kUna, kNxt, kUna - 5000, kSmss), 8 * kSmss);
  EXPECT_EQ(two.pipe(kNxt, kNxt, kUna, kSmss), 0u);
}

TEST(SackScoreboard, WrapAround) {
  SackScoreboard sb;
  const SeqNum una(0xFFFFFC00u);
  const SeqNum nxt(0x00001000u);
  // A block straddling 2^32 and one past it.
  auto u = sb.update(una, nxt, std::vector<SackBlock>{{SeqNum(0xFFFFFE00u), SeqNum(0x00000200u)},
                                                      {SeqNum(0x00000800u), SeqNum(0x00000C00u)}});
  EXPECT_EQ(u.newly_sacked, 0x400u + 0x400u);
  EXPECT_TRUE(sb.is_sacked(SeqNum(0xFFFFFFFFu)));
  EXPECT_TRUE(sb.is_sacked(SeqNum(0u)));
  EXPECT_FALSE(sb.is_sacked(SeqNum(0x200u)));
  EXPECT_EQ(sb.highest_sacked(), SeqNum(0xC00u));
  EXPECT_EQ(sb.next_hole(una, una, 0x100), (SackBlock{una, una + 0x100}));
  sb.advance(SeqNum(0x100u));
  EXPECT_EQ(sb.sacked_bytes(), 0x100u + 0x400u);
  EXPECT_EQ(sb.highest_unsacked(SeqNum(0x100u), nxt), SeqNum(0xFFFu));
}

// RFC 2883 §4: a D-SACK's first block lies below the ACK's own cumulative
// ACK. An older ACK overtaken by a newer one (ACKs reordered) carries
// ordinary SACK blocks that may now lie below snd.una: no duplicate (they
// used to be counted as D-SACKs, undoing recoveries that were not spurious).
TEST(SackScoreboard, ReorderedOldAckIsNoDsack) {
  SackScoreboard sb;
  const SeqNum una(0xFFFFFC00u);
  const SeqNum nxt = una + 0x2000;
  const std::vector<SackBlock> old_blocks{{una - 0x200, una - 0x100}};
  auto u = sb.update(una, nxt, old_blocks, /*seg_ack=*/una - 0x400);
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 0u);
  u = sb.update(una, nxt, old_blocks, /*seg_ack=*/una);
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.dsack_block, old_blocks[0]);
}

TEST(SackScoreboard, BoundIgnoresNewRangesButStillMerges) {
  SackScoreboard sb;
  const SeqNum nxt = at(100000);
  for (uint32_t i = 0; i < SackScoreboard::kMaxRanges; ++i) {
    auto u = sack(sb, kUna, nxt, {blk(20 * i + 10, 20 * i + 20)});
    ASSERT_EQ(u.newly_sacked, 10u);
  }
  EXPECT_EQ(sb.size(), SackScoreboard::kMaxRanges);
  EXPECT_EQ(sack(sb, kUna, nxt, {blk(50000, 50010)}).newly_sacked, 0u);
  EXPECT_FALSE(sb.is_sacked(at(50000)));
  EXPECT_EQ(sack(sb, kUna, nxt, {blk(20, 30)}).newly_sacked, 10u);  // joins two
  EXPECT_EQ(sb.size(), SackScoreboard::kMaxRanges - 1);
  EXPECT_EQ(sack(sb, kUna, nxt, {blk(50000, 50010)}).newly_sacked, 10u);
}

TEST(SackScoreboard, ClearForgetsEverything) {
  SackScoreboard sb;
  sack(sb, kUna, kNxt, {segs(1, 3)});
  sb.clear();  // RFC 2018 §8: after an RTO
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.pipe(kUna, kNxt, kUna, kSmss), 10 * kSmss);
}

// The fast pipe/next_seg/next_hole/highest_unsacked agree with the RFC 6675
// definitions evaluated octet by octet, on random scoreboards near 2^32.
TEST(SackScoreboard, MatchesOctetByOctetDefinitions) {
  std::mt19937 rng(11);
  for (int round = 0; round < 150; ++round) {
    SackScoreboard sb;
    const SeqNum una(kIss + static_cast<uint32_t>(rng() % 8192));
    const uint32_t span = 1 + static_cast<uint32_t>(rng() % 6000);
    const SeqNum nxt = una + span;
    const uint32_t smss = 50 + static_cast<uint32_t>(rng() % 500);
    std::vector<bool> sacked(span, false);
    const int nb = static_cast<int>(rng() % 12);
    uint32_t total_new = 0;
    for (int b = 0; b < nb; ++b) {
      const uint32_t s = static_cast<uint32_t>(rng() % span);
      const uint32_t e = s + 1 + static_cast<uint32_t>(rng() % 400);
      uint32_t fresh = 0;
      if (e <= span) {
        for (uint32_t k = s; k < e; ++k) {
          fresh += !sacked[k];
          sacked[k] = true;
        }
      }
      // Second position so a first-block D-SACK check cannot trigger.
      const auto u = sb.update(una, nxt, std::vector<SackBlock>{{una + span, una + span + 1}, {una + s, una + e}});
      EXPECT_EQ(u.newly_sacked, fresh);
      total_new += fresh;
    }
    ASSERT_EQ(sb.sacked_bytes(), total_new);
    const SeqNum high_rxt = una + static_cast<uint32_t>(rng() % (span + 1));
    uint32_t want_pipe = 0;
    std::optional<uint32_t> s2, s3, top_unsacked;
    uint32_t highest = 0;
    for (uint32_t k = 0; k < span; ++k) {
      ASSERT_EQ(sb.is_sacked(una + k), bool(sacked[k]));
      if (sacked[k]) highest = k + 1;
    }
    const uint32_t h = (high_rxt - una).v;
    for (uint32_t k = 0; k < span; ++k) {
      if (sacked[k]) continue;
      const bool lost = sb.is_lost(una + k, smss);
      want_pipe += (!lost) + (k < h);
      top_unsacked = k;
      if (k >= h && k < highest) {
        if (!s3) s3 = k;
        if (!s2 && lost) s2 = k;
      }
    }
    EXPECT_EQ(sb.pipe(una, nxt, high_rxt, smss), want_pipe) << "round " << round;
    auto seg_at = [&](std::optional<uint32_t> s) -> std::optional<SackBlock> {
      if (!s) return std::nullopt;
      uint32_t e = *s;
      while (e < span && !sacked[e] && e - *s < smss) ++e;
      return SackBlock{una + *s, una + e};
    };
    EXPECT_EQ(sb.next_seg(una, high_rxt, smss), seg_at(s2)) << "round " << round;
    EXPECT_EQ(sb.next_hole(una, high_rxt, smss), seg_at(s3)) << "round " << round;
    std::optional<SeqNum> want_top;
    if (top_unsacked) want_top = una + *top_unsacked;
    EXPECT_EQ(sb.highest_unsacked(una, nxt), want_top);
    if (!sb.empty()) {
      EXPECT_EQ(sb.highest_sacked(), una + highest);
    }
  }
}

}  // namespace
}  // namespace stackd::tcp
