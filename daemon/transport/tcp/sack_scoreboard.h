// SackScoreboard: the sender's record of which octets of [snd.una, snd.nxt)
// the peer has selectively acknowledged (RFC 2018), and the RFC 6675
// definitions built on it: IsLost(), NextSeg() rule 1 (and rules 3/4 as
// helpers) and SetPipe().
//
// SACKed ranges live in a small fixed array, sorted, disjoint and never
// touching, as offsets from a base (the last snd.una seen), never keyed by
// raw sequence numbers: ordering is unsigned comparison and wrap-around
// through 2^32 needs no special case. No heap allocation.
//
// Conventions: `high_rxt` here is ONE PAST the highest retransmitted octet
// (RFC 6675 §2 HighRxt + 1); the sender sets it to snd.una when it enters
// recovery and to the end of each range it retransmits. `highest_sacked()`
// is one past the highest SACKed octet. DupThresh starts at 3 (RFC 6675 §2)
// and follows the measured reordering (set_dup_thresh).
//
// How the sender combines NextSeg() (RFC 6675 §4), per transmission
// opportunity while cwnd - pipe >= 1 SMSS:
//   1. next_seg(): a lost hole above high_rxt -> retransmit it, high_rxt = its end;
//   2. otherwise, if unsent data is available and the receive window allows,
//      send new data from snd.nxt (rule 2: the sender's own business);
//   3. otherwise next_hole(): an unSACKed hole above high_rxt that is not
//      (yet) lost (rule 3, SHOULD) -> retransmit, high_rxt = its end;
//   4. otherwise the rescue retransmission (rule 4, RFC 6675 §4 (4)): if
//      RescueRxt is unset or below snd.una, send one segment ending at
//      highest_unsacked() + 1 and set RescueRxt = RecoveryPoint (high_rxt is
//      not updated).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/tcp/lazy_array.h"
#include "transport/tcp/seq.h"

namespace stackd::tcp {

struct SackUpdate {
  uint32_t newly_sacked = 0;  // octets SACKed by this ACK that were not before
  bool dsack = false;         // the first block was a D-SACK (RFC 2883 §4)
  SackBlock dsack_block;      // ... and the duplicate it reports (valid if dsack)
  // Reordering evidence (Linux tcp_check_sack_reordering): the lowest
  // octet newly SACKed below `prior_fack`, the highest SACKed octet (+1)
  // before this ACK; valid if `reord`.
  bool reord = false;
  SeqNum reord_low, prior_fack;
  // RFC 3522 (Eifel detection): the ACK's TSecr is older than the first
  // retransmission of the current loss episode (set by the sender).
  bool ts_delayed = false;
  uint32_t tsecr = 0;  // the ACK's TSecr (0: none), for RACK's RTT ambiguity test (RFC 8985 §6.2)
};

class SackScoreboard {
 public:
  // Bounded: a block that would need a new range beyond this is ignored
  // (the sender then merely believes less was SACKed: conservative).
  static constexpr size_t kMaxRanges = 64;
  static constexpr uint32_t kDupThresh = 3;  // RFC 6675 §2 DupThresh (the initial value)

  // DupThresh in segments. RFC 6675 §2 allows it to adapt; the sender
  // raises it to the reordering it has measured (Linux tp->reordering), so
  // IsLost() waits for that much SACKed data above a hole.
  void set_dup_thresh(uint32_t n) { dup_thresh_ = n < kDupThresh ? kDupThresh : n; }
  uint32_t dup_thresh() const { return dup_thresh_; }

  // Apply the SACK blocks of an ACK, after snd.una has been advanced to
  // `snd_una` (this also drops what lies below it). D-SACK (RFC 2883 §4,
  // as Linux tcp_check_dsack): the first block starts below snd_una, or is
  // contained in the second block; it is reported, not recorded. Blocks
  // that are empty, inverted, or not within [snd_una, snd_nxt] are ignored
  // (RFC 2018 §5 / RFC 6675 §5 validity; also RFC 5961-style blind
  // injection cannot inflate the scoreboard).
  // `seg_ack`: the ACK's own cumulative acknowledgment (RFC 2883 §4: a first
  // block below *it* is a D-SACK); a reordered older ACK's ordinary blocks
  // may lie below snd_una without reporting a duplicate. Default: snd_una.
  SackUpdate update(SeqNum snd_una, SeqNum snd_nxt, std::span<const SackBlock> blocks,
                    std::optional<SeqNum> seg_ack = std::nullopt);

  // Drop everything below snd_una (the cumulative ACK moved).
  void advance(SeqNum snd_una);

  bool is_sacked(SeqNum seq) const;

  // RFC 6675 §4 IsLost(SeqNum): DupThresh or more discontiguous SACKed
  // ranges above `seq`, or more than (DupThresh - 1) * SMSS octets SACKed
  // above it. False for octets below snd.una. DupThresh: dup_thresh().
  bool is_lost(SeqNum seq, uint32_t smss) const;

  // RFC 6675 §4 NextSeg() rule 1: the smallest unSACKed octet S2 with
  // (1.a) S2 at or above high_rxt (and snd_una), (1.b) S2 below the highest
  // SACKed octet, (1.c) IsLost(S2); returns [S2, S2 + up to SMSS), not
  // extending into SACKed data. nullopt if there is none.
  std::optional<SackBlock> next_seg(SeqNum snd_una, SeqNum high_rxt, uint32_t smss) const;
  // RFC 6675 §4 NextSeg() rule 3: as rule 1 without (1.c).
  std::optional<SackBlock> next_hole(SeqNum snd_una, SeqNum high_rxt, uint32_t smss) const;
  // For rule 4 (rescue retransmission): the highest unSACKed octet in
  // [snd_una, snd_nxt), nullopt if all of it is SACKed or it is empty.
  std::optional<SeqNum> highest_unsacked(SeqNum snd_una, SeqNum snd_nxt) const;

  // RFC 6675 §4 SetPipe(): for each unSACKed octet in [snd_una, snd_nxt),
  // one for (a) not IsLost() and one more for (b) retransmitted (below high_rxt).
  uint32_t pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt, uint32_t smss) const;

  uint32_t sacked_bytes() const { return sacked_; }
  // One past the highest SACKed octet (RFC 6675 §2 "highest octet covered
  // by any received SACK", + 1); the last snd.una seen if nothing is SACKed.
  SeqNum highest_sacked() const;
  bool empty() const { return count_ == 0; }
  // The k-th SACKed range (k < size()), in sequence order.
  SackBlock range(size_t k) const { return {base_ + r_[k].start, base_ + r_[k].end}; }
  size_t size() const { return count_; }
  // RFC 2018 §8: after a retransmission timeout the sender SHOULD forget
  // SACK information (the receiver may have reneged).
  void clear();

 private:
  struct Range {
    uint32_t start;  // offset from base_ (inclusive)
    uint32_t end;    // offset from base_ (exclusive), > start
  };

  // Record [so, eo) (offsets from base_); returns octets newly covered.
  uint32_t insert(uint32_t so, uint32_t eo);
  void erase(size_t i);
  // Offset L such that an unSACKed octet at offset s is IsLost() iff s < L
  // (IsLost is monotone: fewer SACKed octets lie above higher octets).
  uint32_t lost_below(uint32_t smss) const;
  // SACKed octets within offsets [lo, hi).
  uint32_t sacked_in(uint32_t lo, uint32_t hi) const;
  // Offset of `s` from the base the ranges are relative to (clamped to 0 if
  // before it). With no ranges that base is the caller's snd.una `una`, so
  // const queries need no prior update()/advance().
  SeqNum base_or(SeqNum una) const { return count_ ? base_ : una; }
  static uint32_t off(SeqNum base, SeqNum s) { return s.before(base) ? 0 : (s - base).v; }
  std::optional<SackBlock> first_hole(SeqNum snd_una, SeqNum high_rxt, uint32_t smss,
                                      bool need_lost) const;

  SeqNum base_;                            // snd.una the offsets are relative to
  LazyArray<Range, kMaxRanges> r_;         // sorted by start, disjoint, not touching (allocated at the first SACK)
  uint8_t count_ = 0;
  uint32_t sacked_ = 0;                    // sum of range lengths
  uint32_t dup_thresh_ = kDupThresh;       // survives clear(): it describes the path
};

}  // namespace stackd::tcp
