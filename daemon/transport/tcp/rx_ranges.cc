#include "transport/tcp/rx_ranges.h"

#include <algorithm>

namespace stackd::tcp {

void RxRanges::rebase(SeqNum rcv_nxt) {
  if (rcv_nxt == base_) return;
  if (count_ == 0) {
    base_ = rcv_nxt;
    return;
  }
  if (rcv_nxt.before(base_)) {
    // rcv.nxt never moves back; tolerate it by shifting offsets up.
    const uint32_t d = (base_ - rcv_nxt).v;
    for (size_t k = 0; k < count_; ++k) {
      isl_[k].start += d;
      isl_[k].end += d;
    }
    base_ = rcv_nxt;
    return;
  }
  // rcv.nxt moved forward by d: islands wholly below it are gone (in-order
  // data covered them), one straddling it is trimmed to start at offset 0.
  const uint32_t d = (rcv_nxt - base_).v;
  while (count_ > 0 && isl_[0].end <= d) erase(0);
  for (size_t k = 0; k < count_; ++k) {
    isl_[k].start = isl_[k].start > d ? isl_[k].start - d : 0;
    isl_[k].end -= d;
  }
  base_ = rcv_nxt;
}

void RxRanges::erase(size_t i) {
  const uint8_t r = rank_[i];
  for (size_t k = i + 1; k < count_; ++k) {
    isl_[k - 1] = isl_[k];
    rank_[k - 1] = rank_[k];
  }
  --count_;
  for (size_t k = 0; k < count_; ++k) {
    if (rank_[k] > r) --rank_[k];
  }
}

void RxRanges::make_most_recent(size_t i) {
  const uint8_t r = rank_[i];
  for (size_t k = 0; k < count_; ++k) {
    if (rank_[k] < r) ++rank_[k];
  }
  rank_[i] = 0;
}

size_t RxRanges::find_rank(uint8_t rank) const {
  for (size_t k = 0; k < count_; ++k) {
    if (rank_[k] == rank) return k;
  }
  return count_;
}

RxRanges::AddResult RxRanges::add(SeqNum rcv_nxt, SeqNum start, SeqNum end) {
  rebase(rcv_nxt);
  if (start == end) return AddResult::kAdded;
  // RFC 9293 §3.10.7.4: a segment wholly below rcv.nxt is a duplicate.
  if (end.before_eq(rcv_nxt)) return AddResult::kDuplicate;
  const uint32_t so = start.before(rcv_nxt) ? 0 : (start - rcv_nxt).v;
  const uint32_t eo = (end - rcv_nxt).v;
  // end is after rcv.nxt, so eo < 2^31; start after end is garbage: drop.
  if (so >= eo) return AddResult::kNoRoom;

  // Islands i..j-1 overlap or touch [so, eo).
  size_t i = 0;
  while (i < count_ && isl_[i].end < so) ++i;
  size_t j = i;
  while (j < count_ && isl_[j].start <= eo) ++j;

  if (i == j) {  // a new island between i-1 and i
    if (count_ == kMaxRanges) return AddResult::kNoRoom;
    for (size_t k = count_; k > i; --k) {
      isl_[k] = isl_[k - 1];
      rank_[k] = rank_[k - 1];
    }
    isl_[i] = {so, eo};
    rank_[i] = count_;  // least recent, then promoted
    ++count_;
    make_most_recent(i);
    return AddResult::kAdded;
  }
  if (j == i + 1 && isl_[i].start <= so && eo <= isl_[i].end) {
    make_most_recent(i);  // RFC 2883 §4 (3): its island follows the D-SACK block
    return AddResult::kDuplicate;
  }
  isl_[i].start = std::min(so, isl_[i].start);
  isl_[i].end = std::max(eo, isl_[j - 1].end);
  for (size_t k = j - 1; k > i; --k) erase(k);
  make_most_recent(i);
  return AddResult::kAdded;
}

SeqNum RxRanges::advance(SeqNum rcv_nxt) {
  rebase(rcv_nxt);
  // Islands never touch each other, so at most one touches rcv.nxt.
  if (count_ > 0 && isl_[0].start == 0) {
    const SeqNum next = base_ + isl_[0].end;
    erase(0);
    rebase(next);
    return next;
  }
  return rcv_nxt;
}

void RxRanges::note_dsack(SeqNum start, SeqNum end) {
  if (start == end) return;
  dsack_ = SackBlock{start, end};
}

size_t RxRanges::sack_blocks(std::span<SackBlock> out, size_t max) {
  const size_t n = std::min(max, out.size());
  size_t w = 0;
  size_t skip = count_;  // island already written after the D-SACK block
  if (dsack_ && n > 0) {
    const SackBlock d = *dsack_;
    dsack_.reset();
    out[w++] = d;
    if (d.start.after_eq(base_)) {
      const uint32_t ds = (d.start - base_).v;
      const uint32_t de = (d.end - base_).v;
      for (size_t k = 0; k < count_ && w < n; ++k) {
        if (isl_[k].start <= ds && de <= isl_[k].end) {
          out[w++] = {base_ + isl_[k].start, base_ + isl_[k].end};
          skip = k;
          break;
        }
      }
    }
  }
  // RFC 2018 §4: most recently received-into island first, then the rest
  // in most-recent order (so each block is repeated in several ACKs).
  for (uint8_t r = 0; r < count_ && w < n; ++r) {
    const size_t k = find_rank(r);
    if (k == skip) continue;
    out[w++] = {base_ + isl_[k].start, base_ + isl_[k].end};
  }
  return w;
}

SeqNum RxRanges::highest_end() const {
  return count_ ? base_ + isl_[count_ - 1].end : base_;
}

void RxRanges::clear() {
  count_ = 0;
  dsack_.reset();
}

}  // namespace stackd::tcp
