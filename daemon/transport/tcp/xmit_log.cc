#include "transport/tcp/xmit_log.h"

#include <algorithm>

namespace stackd::tcp {

void XmitLog::split(SeqNum at) {
  Block& b = *b_;
  for (size_t i = 0; i < b.count; ++i) {
    if (!at.before(b.e[i].end)) continue;
    if (!at.after(start(i))) return;  // already an edge
    if (b.count == kMaxEntries) return;
    std::copy_backward(b.e.begin() + i, b.e.begin() + b.count, b.e.begin() + b.count + 1);
    b.e[i].end = at;  // e[i] = [start, at), e[i+1] = [at, end): same time and flags
    ++b.count;
    return;
  }
}

void XmitLog::on_send(SeqNum seq, SeqNum end, uint32_t us) {
  if (!end.after(seq)) return;
  if (!b_) {
    b_ = std::make_unique<Block>();
    b_->base = seq;
  }
  Block& b = *b_;
  const SeqNum last = b.count ? b.e[b.count - 1].end : b.base;
  if (b.count == 0) b.base = seq;
  if (seq.after_eq(last) || b.count == 0) {
    // New data (a gap before it, which the sender never leaves, joins it).
    if (b.count == kMaxEntries) {
      Entry& l = b.e[b.count - 1];
      l.end = end;
      l.xmit_us = us;
      l.flags = static_cast<uint8_t>(l.flags & kRetrans);
      return;
    }
    b.e[b.count++] = Entry{end, us, 0};
    return;
  }
  if (seq.before(b.base)) seq = b.base;  // below snd.una: nothing of it is recorded
  split(seq);
  const SeqNum covered_end = end.after(last) ? last : end;
  split(covered_end);
  for (size_t i = 0; i < b.count; ++i) {
    if (!b.e[i].end.after(seq)) continue;
    if (!start(i).before(covered_end)) break;
    b.e[i].xmit_us = us;
    b.e[i].flags = kRetrans;
  }
  if (end.after(last)) on_send(last, end, us);
}

void XmitLog::trim(SeqNum una) {
  if (!b_ || b_->count == 0 || !una.after(b_->base)) return;
  Block& b = *b_;
  size_t drop = 0;
  while (drop < b.count && b.e[drop].end.before_eq(una)) ++drop;
  std::copy(b.e.begin() + drop, b.e.begin() + b.count, b.e.begin());
  b.count = static_cast<uint16_t>(b.count - drop);
  b.base = una;
}

void XmitLog::clear_flag(uint8_t f) {
  for (size_t i = 0; i < size(); ++i) b_->e[i].flags = static_cast<uint8_t>(b_->e[i].flags & ~f);
}

}  // namespace stackd::tcp
