#include "transport/tcp/sack_scoreboard.h"

#include <algorithm>

namespace stackd::tcp {

void SackScoreboard::erase(size_t i) {
  sacked_ -= r_[i].end - r_[i].start;
  for (size_t k = i + 1; k < count_; ++k) r_[k - 1] = r_[k];
  --count_;
}

void SackScoreboard::advance(SeqNum snd_una) {
  if (count_ == 0) {
    base_ = snd_una;
    return;
  }
  if (snd_una.before_eq(base_)) return;  // snd.una never moves back
  const uint32_t d = (snd_una - base_).v;
  size_t drop = 0;
  while (drop < count_ && r_[drop].end <= d) ++drop;
  uint32_t dropped = 0;
  for (size_t k = 0; k < drop; ++k) dropped += r_[k].end - r_[k].start;
  for (size_t k = drop; k < count_; ++k) r_[k - drop] = r_[k];
  count_ = static_cast<uint8_t>(count_ - drop);
  sacked_ -= dropped;
  // A cumulative ACK into a SACKed range (possible after the receiver
  // reneged and re-received) trims it.
  for (size_t k = 0; k < count_; ++k) {
    if (r_[k].start < d) {
      sacked_ -= d - r_[k].start;
      r_[k].start = d;
    }
    r_[k].start -= d;
    r_[k].end -= d;
  }
  base_ = snd_una;
}

uint32_t SackScoreboard::insert(uint32_t so, uint32_t eo) {
  // Ranges i..j-1 overlap or touch [so, eo).
  size_t i = 0;
  while (i < count_ && r_[i].end < so) ++i;
  size_t j = i;
  while (j < count_ && r_[j].start <= eo) ++j;
  if (i == j) {
    if (count_ == kMaxRanges) return 0;  // bounded: ignore the block
    for (size_t k = count_; k > i; --k) r_[k] = r_[k - 1];
    r_[i] = {so, eo};
    ++count_;
    sacked_ += eo - so;
    return eo - so;
  }
  uint32_t before = 0;
  for (size_t k = i; k < j; ++k) before += r_[k].end - r_[k].start;
  const Range merged{std::min(so, r_[i].start), std::max(eo, r_[j - 1].end)};
  const uint32_t added = (merged.end - merged.start) - before;
  const size_t gone = j - i - 1;
  r_[i] = merged;
  for (size_t k = j; k < count_; ++k) r_[k - gone] = r_[k];
  count_ = static_cast<uint8_t>(count_ - gone);
  sacked_ += added;
  return added;
}

SackUpdate SackScoreboard::update(SeqNum snd_una, SeqNum snd_nxt,
                                  std::span<const SackBlock> blocks, std::optional<SeqNum> seg_ack) {
  advance(snd_una);
  SackUpdate u;
  size_t first = 0;
  if (!blocks.empty()) {
    const SackBlock& b0 = blocks[0];
    // RFC 2883 §4: a first block below the cumulative ACK, or contained in
    // the second block, reports a duplicate segment.
    bool dsack = b0.start.before(seg_ack.value_or(snd_una));
    if (!dsack && blocks.size() > 1) {
      const SackBlock& b1 = blocks[1];
      dsack = b0.start.after_eq(b1.start) && b0.end.before_eq(b1.end);
    }
    if (dsack) {
      u.dsack = true;
      u.dsack_block = b0;
      first = 1;
    }
  }
  // Validity (RFC 2018 §5 / RFC 6675 §5): non-empty and within
  // [snd.una, snd.nxt]; base_ is the newest snd.una seen.
  const SeqNum lo = base_;
  const bool had = count_ != 0;
  const SeqNum fack = highest_sacked();
  for (size_t k = first; k < blocks.size(); ++k) {
    const SackBlock& b = blocks[k];
    if (!b.start.before(b.end) || b.start.before(lo) || b.end.after(snd_nxt)) continue;
    const bool fresh_start = !is_sacked(b.start);
    const uint32_t added = insert((b.start - lo).v, (b.end - lo).v);
    u.newly_sacked += added;
    // Newly SACKed octets below what was already SACKed arrived late.
    if (added != 0 && had && fresh_start && b.start.before(fack) &&
        (!u.reord || b.start.before(u.reord_low))) {
      u.reord = true;
      u.reord_low = b.start;
      u.prior_fack = fack;
    }
  }
  return u;
}

bool SackScoreboard::is_sacked(SeqNum seq) const {
  if (seq.before(base_)) return false;
  const uint32_t s = (seq - base_).v;
  // First range whose end is beyond s (ranges are few; a linear pass is
  // as fast as a binary search at these sizes and simpler).
  for (size_t k = 0; k < count_; ++k) {
    if (s < r_[k].end) return s >= r_[k].start;
  }
  return false;
}

bool SackScoreboard::is_lost(SeqNum seq, uint32_t smss) const {
  if (seq.before(base_)) return false;
  const uint32_t s = (seq - base_).v;
  uint32_t ranges_above = 0;
  uint64_t bytes_above = 0;
  for (size_t k = count_; k-- > 0;) {
    if (r_[k].end <= s + 1) break;
    bytes_above += r_[k].end - std::max(r_[k].start, s + 1);
    if (r_[k].start > s) ++ranges_above;
  }
  return ranges_above >= dup_thresh_ ||
         bytes_above > static_cast<uint64_t>(dup_thresh_ - 1) * smss;
}

uint32_t SackScoreboard::lost_below(uint32_t smss) const {
  // Walking down from the highest range, the first range k at which
  // DupThresh ranges or more than (DupThresh-1)*SMSS octets lie at or
  // above it: every unSACKed octet below its start is lost, none above.
  const uint64_t limit = static_cast<uint64_t>(dup_thresh_ - 1) * smss;
  uint64_t bytes = 0;
  uint32_t n = 0;
  for (size_t k = count_; k-- > 0;) {
    bytes += r_[k].end - r_[k].start;
    ++n;
    if (n >= dup_thresh_ || bytes > limit) return r_[k].start;
  }
  return 0;
}

uint32_t SackScoreboard::sacked_in(uint32_t lo, uint32_t hi) const {
  uint32_t n = 0;
  for (size_t k = 0; k < count_ && r_[k].start < hi; ++k) {
    const uint32_t s = std::max(r_[k].start, lo);
    const uint32_t e = std::min(r_[k].end, hi);
    if (s < e) n += e - s;
  }
  return n;
}

std::optional<SackBlock> SackScoreboard::first_hole(SeqNum snd_una, SeqNum high_rxt,
                                                    uint32_t smss, bool need_lost) const {
  if (count_ == 0 || smss == 0) return std::nullopt;
  // (1.a) at or above high_rxt (one past RFC HighRxt) and snd.una.
  uint32_t x = std::max(off(base_, snd_una), off(base_, high_rxt));
  size_t k = 0;
  for (; k < count_; ++k) {
    if (r_[k].end <= x) continue;
    if (r_[k].start <= x) {
      x = r_[k].end;  // x is SACKed: the hole starts after this range
      continue;
    }
    break;  // x lies in the hole before range k
  }
  // (1.b) below the highest SACKed octet: some range lies above x.
  if (k == count_) return std::nullopt;
  // (1.c) IsLost(S2); IsLost is monotone, so only the smallest S2 matters.
  if (need_lost && x >= lost_below(smss)) return std::nullopt;
  const uint32_t len = std::min(smss, r_[k].start - x);
  return SackBlock{base_ + x, base_ + x + len};
}

std::optional<SackBlock> SackScoreboard::next_seg(SeqNum snd_una, SeqNum high_rxt,
                                                  uint32_t smss) const {
  return first_hole(snd_una, high_rxt, smss, true);
}

std::optional<SackBlock> SackScoreboard::next_hole(SeqNum snd_una, SeqNum high_rxt,
                                                   uint32_t smss) const {
  return first_hole(snd_una, high_rxt, smss, false);
}

std::optional<SeqNum> SackScoreboard::highest_unsacked(SeqNum snd_una, SeqNum snd_nxt) const {
  const SeqNum b = base_or(snd_una);
  const uint32_t a = off(b, snd_una);
  uint32_t y = off(b, snd_nxt);  // candidate: one past the highest unSACKed octet
  for (size_t k = count_; k-- > 0 && y > a;) {
    if (r_[k].start >= y) continue;
    if (r_[k].end >= y) {
      y = r_[k].start;  // y-1 is SACKed: step below the range
      continue;
    }
    break;  // y-1 lies in the hole above range k
  }
  if (y <= a) return std::nullopt;
  return b + (y - 1);
}

uint32_t SackScoreboard::pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt,
                              uint32_t smss) const {
  const SeqNum b = base_or(snd_una);
  const uint32_t a = off(b, snd_una);
  const uint32_t n = off(b, snd_nxt);
  if (n <= a) return 0;
  // RFC 6675 §4 SetPipe(), per unSACKed octet S1 in [snd.una, snd.nxt):
  // (a) not IsLost(S1): the octets at or above lost_below();
  const uint32_t l = std::clamp(lost_below(smss), a, n);
  uint32_t p = (n - l) - sacked_in(l, n);
  // (b) S1 retransmitted (below high_rxt).
  const uint32_t h = std::clamp(off(b, high_rxt), a, n);
  p += (h - a) - sacked_in(a, h);
  return p;
}

SeqNum SackScoreboard::highest_sacked() const {
  return count_ ? base_ + r_[count_ - 1].end : base_;
}

void SackScoreboard::clear() {
  count_ = 0;
  sacked_ = 0;
}

}  // namespace stackd::tcp
