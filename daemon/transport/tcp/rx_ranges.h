// RxRanges: the receiver's out-of-order bookkeeping (RFC 9293 §3.10.7.4
// "seventh, process the segment text"), SACK block generation (RFC 2018 §4)
// and D-SACK reporting (RFC 2883 §4).
//
// The bytes of an out-of-order segment are already in the receive ring
// (ByteRing::write_at at offset `seq - rcv.nxt`); this class only remembers
// WHICH ranges beyond rcv.nxt are held ("islands"), so that rcv.nxt can jump
// over them once the hole before them is filled, and so the next ACK can
// report them as SACK blocks.
//
// Islands live in a small fixed array, sorted, disjoint and never touching,
// stored as distances from a base sequence number (the last rcv.nxt seen),
// never as raw sequence numbers, so ordering is plain unsigned comparison
// and wrap-around through 2^32 needs no special case. No heap allocation.
// Each island also carries its recency rank (0 = most recently received
// into), which gives RFC 2018 §4's most-recent-first block order.
//
// Invariants: every island is non-empty, lies after the base, and all
// offsets are below 2^31 (the receive window is at most 2^30, RFC 7323 §2.3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/tcp/lazy_array.h"
#include "transport/tcp/seq.h"

namespace stackd::tcp {

class RxRanges {
 public:
  // Bounded: beyond this many islands a segment that would start a new one
  // is refused (the caller drops it; the peer retransmits it later).
  static constexpr size_t kMaxRanges = 32;

  enum class AddResult {
    kAdded,      // some of [start, end) was new (or the range was empty)
    kDuplicate,  // all of it was held already: the caller reports a D-SACK
    kNoRoom,     // a new island with kMaxRanges in use (or start after end): drop
  };

  // Record that [start, end) is now held in the receive ring beyond
  // rcv_nxt. A part before rcv_nxt is ignored (the caller trims, but a
  // range wholly before rcv_nxt counts as a duplicate). Merges with
  // neighbours it overlaps or touches, and makes the resulting island the
  // most recent one (RFC 2018 §4: the first SACK block reports the block
  // holding the segment that triggered the ACK). A duplicate also makes its
  // island the most recent (RFC 2883 §4: the block after a D-SACK block is
  // the one holding the duplicate).
  AddResult add(SeqNum rcv_nxt, SeqNum start, SeqNum end);

  // rcv.nxt advanced to `rcv_nxt` by in-order data (RFC 9293 §3.10.7.4):
  // every island that now touches or lies below it is consumed, and the new
  // rcv.nxt (the right edge of the last one consumed, if that is beyond
  // `rcv_nxt`) is returned; otherwise `rcv_nxt` is returned unchanged. The
  // caller commits `result - old rcv.nxt` bytes of the ring.
  SeqNum advance(SeqNum rcv_nxt);

  // Note a duplicate segment [start, end) (below rcv.nxt or already held)
  // for the next ACK's D-SACK block (RFC 2883 §4). A later note replaces an
  // unreported one (only the most recent duplicate is reported, §4 (2)).
  void note_dsack(SeqNum start, SeqNum end);

  // Fill `out` with the SACK blocks for the next ACK, at most `max` of them
  // (and at most out.size()): RFC 2018 §3 allows 4 blocks, 3 with the
  // timestamp option. Order: the D-SACK block if one was noted (RFC 2883 §4
  // (1); it is reported once, then cleared), then the island holding the
  // duplicate if there is one (§4 (3)), then the islands most recently
  // received into first (RFC 2018 §4). Returns the number written.
  size_t sack_blocks(std::span<SackBlock> out, size_t max);

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // Right edge of the highest island, or the last rcv.nxt seen if none.
  SeqNum highest_end() const;
  bool has_dsack() const { return dsack_.has_value(); }
  void clear();

 private:
  struct Island {
    uint32_t start;  // offset from base_ (inclusive)
    uint32_t end;    // offset from base_ (exclusive), > start
  };

  // Re-express all islands relative to `rcv_nxt` (which must not be before
  // base_), dropping or trimming what now lies below it.
  void rebase(SeqNum rcv_nxt);
  void erase(size_t i);           // remove island i, keeping ranks dense
  void make_most_recent(size_t i);
  size_t find_rank(uint8_t rank) const;

  SeqNum base_;                           // rcv.nxt the offsets are relative to
  LazyArray<Island, kMaxRanges> isl_;     // sorted by start, disjoint, not touching (allocated at the first island)
  std::array<uint8_t, kMaxRanges> rank_{};  // 0 = most recent, dense 0..count_-1
  uint8_t count_ = 0;
  std::optional<SackBlock> dsack_;
};

}  // namespace stackd::tcp
