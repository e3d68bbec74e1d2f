#include "base/timer_wheel.h"

#include <bit>

namespace stackd {

TimerWheel::TimerWheel(Config cfg)
    : start_ns_(cfg.start.ns), tick_ns_(cfg.tick.ns > 0 ? cfg.tick.ns : 1), entries_(cfg.capacity) {
  for (auto& h : heads_) h = kNil;
  // Free list threaded through `next`, lowest index first.
  for (uint32_t i = cfg.capacity; i > 0; --i) {
    entries_[i - 1].next = free_head_;
    free_head_ = i - 1;
  }
}

uint64_t TimerWheel::deadline_tick(Instant d) const {
  if (d.ns <= start_ns_) return 0;
  uint64_t rel = static_cast<uint64_t>(d.ns) - static_cast<uint64_t>(start_ns_);
  uint64_t t = static_cast<uint64_t>(tick_ns_);
  return rel / t + (rel % t != 0 ? 1 : 0);  // round up: never fire early
}

uint64_t TimerWheel::floor_tick(Instant now) const {
  if (now.ns <= start_ns_) return 0;
  return (static_cast<uint64_t>(now.ns) - static_cast<uint64_t>(start_ns_)) /
         static_cast<uint64_t>(tick_ns_);
}

Instant TimerWheel::tick_start(uint64_t t) const {
  // Saturate rather than overflow for absurdly far deadlines.
  uint64_t room = (static_cast<uint64_t>(Instant::never().ns) - static_cast<uint64_t>(start_ns_)) /
                  static_cast<uint64_t>(tick_ns_);
  if (t >= room) return Instant::never();
  return Instant::from_nanos(start_ns_ + static_cast<int64_t>(t) * tick_ns_);
}

uint64_t TimerWheel::visit_tick(int level, uint32_t slot) const {
  // Level L visits slot s at the ticks that are multiples of 64^L whose
  // level-L digit is s. The next one after now_tick_ is unit u + j with
  // j in [1, 64].
  int shift = kSlotBits * level;
  uint64_t u = now_tick_ >> shift;
  uint64_t j = ((static_cast<uint64_t>(slot) - u - 1) & (kSlots - 1)) + 1;
  return (u + j) << shift;
}

uint64_t TimerWheel::next_event_tick() const {
  uint64_t best = UINT64_MAX;
  for (int level = 0; level < kLevels; ++level) {
    uint64_t mask = occupied_[level];
    if (mask == 0) continue;
    // The first occupied slot after the current one, circularly.
    uint32_t cur = static_cast<uint32_t>(now_tick_ >> (kSlotBits * level)) & (kSlots - 1);
    uint32_t from = (cur + 1) & (kSlots - 1);
    uint64_t rot = std::rotr(mask, static_cast<int>(from));
    uint32_t slot = (from + static_cast<uint32_t>(std::countr_zero(rot))) & (kSlots - 1);
    uint64_t t = visit_tick(level, slot);
    if (t < best) best = t;
  }
  return best;
}

void TimerWheel::link(uint32_t i, uint16_t list) {
  Entry& e = entries_[i];
  e.list = list;
  e.prev = kNil;
  e.next = heads_[list];
  if (e.next != kNil) entries_[e.next].prev = i;
  heads_[list] = i;
  if (list < kListOverdue) occupied_[list / kSlots] |= uint64_t{1} << (list % kSlots);
}

void TimerWheel::unlink(uint32_t i) {
  Entry& e = entries_[i];
  if (e.prev != kNil)
    entries_[e.prev].next = e.next;
  else
    heads_[e.list] = e.next;
  if (e.next != kNil) entries_[e.next].prev = e.prev;
  if (e.list < kListOverdue && heads_[e.list] == kNil)
    occupied_[e.list / kSlots] &= ~(uint64_t{1} << (e.list % kSlots));
  e.prev = e.next = kNil;
}

void TimerWheel::place(uint32_t i) {
  uint64_t t = entries_[i].tick;
  if (t <= now_tick_) {
    link(i, kListOverdue);
    return;
  }
  uint64_t delta = t - now_tick_;
  // Level L holds deltas in [64^L, 64^(L+1)): the entry's level-L digit is
  // then 1..64 units ahead, so its slot is visited no earlier than its
  // 64^L-aligned block begins and no later than its tick.
  for (int level = 0; level < kLevels; ++level) {
    int shift = kSlotBits * (level + 1);
    if (level == kLevels - 1 || (delta >> shift) == 0) {
      uint32_t slot;
      if ((delta >> shift) == 0) {
        slot = static_cast<uint32_t>(t >> (kSlotBits * level)) & (kSlots - 1);
      } else {
        // Beyond the top level's reach: park it in the slot visited 64
        // units from now; it is re-placed (closer) when that slot is visited.
        slot = static_cast<uint32_t>(now_tick_ >> (kSlotBits * level)) & (kSlots - 1);
      }
      link(i, static_cast<uint16_t>(level * kSlots + slot));
      return;
    }
  }
}

TimerHandle TimerWheel::start(Instant deadline, uint32_t object, uint8_t kind) {
  if (free_head_ == kNil) return {};
  uint32_t i = free_head_;
  Entry& e = entries_[i];
  free_head_ = e.next;
  e.next = e.prev = kNil;
  e.tick = deadline_tick(deadline);
  e.deadline = deadline.ns;
  e.seq = arm_seq_++;
  e.object = object;
  e.kind = kind;
  ++armed_;
  place(i);
  return {i, e.gen};
}

bool TimerWheel::armed(TimerHandle h) const {
  return h.index < entries_.size() && entries_[h.index].gen == h.gen &&
         entries_[h.index].list != kListFree;
}

void TimerWheel::free_entry(uint32_t i) {
  Entry& e = entries_[i];
  e.list = kListFree;
  ++e.gen;  // outstanding handles go stale
  e.next = free_head_;
  free_head_ = i;
  --armed_;
}

bool TimerWheel::stop(TimerHandle& h) {
  bool was = armed(h);
  if (was) {
    unlink(h.index);
    free_entry(h.index);
  }
  h = {};
  return was;
}

TimerHandle TimerWheel::restart(TimerHandle& h, Instant deadline, uint32_t object, uint8_t kind) {
  stop(h);
  h = start(deadline, object, kind);
  return h;
}

void TimerWheel::cascade(int level, uint32_t slot) {
  // Detach the whole list first: a timer beyond the top level's reach is
  // re-parked in the very slot being visited.
  uint16_t list = static_cast<uint16_t>(level * kSlots + slot);
  uint32_t i = heads_[list];
  heads_[list] = kNil;
  occupied_[level] &= ~(uint64_t{1} << slot);
  while (i != kNil) {
    uint32_t next = entries_[i].next;
    entries_[i].prev = entries_[i].next = kNil;
    place(i);
    i = next;
  }
}

bool TimerWheel::pop_expired(Instant now, uint64_t seq_limit, Fired& out) {
  uint64_t target = floor_tick(now);
  for (;;) {
    // 1. Overdue entries (armed at or behind the wheel's position), earliest
    //    first. This list is short: only timers armed already due land here.
    uint32_t best = kNil;
    for (uint32_t i = heads_[kListOverdue]; i != kNil; i = entries_[i].next) {
      const Entry& e = entries_[i];
      if (e.seq >= seq_limit || e.tick > target) continue;
      if (best == kNil || e.tick < entries_[best].tick ||
          (e.tick == entries_[best].tick && e.seq < entries_[best].seq))
        best = i;
    }
    // 2. The current tick's level-0 slot: everything on it is due at now_tick_.
    uint16_t cur = static_cast<uint16_t>(now_tick_ & (kSlots - 1));
    if (best == kNil && now_tick_ <= target) {
      while (heads_[cur] != kNil) {
        uint32_t i = heads_[cur];
        if (entries_[i].seq < seq_limit) {
          best = i;
          break;
        }
        // Armed by a callback of this expire(): it waits for the next call.
        unlink(i);
        link(i, kListOverdue);
      }
    }
    if (best != kNil) {
      Entry& e = entries_[best];
      out = {e.object, e.kind, Instant::from_nanos(e.deadline)};
      unlink(best);
      free_entry(best);
      return true;
    }
    // 3. Advance to the next tick at which some slot is visited.
    uint64_t next = next_event_tick();
    if (next > target) {
      if (target > now_tick_) now_tick_ = target;
      return false;
    }
    now_tick_ = next;
    for (int level = kLevels - 1; level >= 1; --level) {
      int shift = kSlotBits * level;
      if ((next & ((uint64_t{1} << shift) - 1)) != 0) continue;
      cascade(level, static_cast<uint32_t>(next >> shift) & (kSlots - 1));
    }
  }
}

Instant TimerWheel::next_deadline() const {
  if (armed_ == 0) return Instant::never();
  uint64_t best = next_event_tick();
  for (uint32_t i = heads_[kListOverdue]; i != kNil; i = entries_[i].next)
    if (entries_[i].tick < best) best = entries_[i].tick;
  // The current level-0 slot may still hold entries due at now_tick_.
  if (heads_[now_tick_ & (kSlots - 1)] != kNil && now_tick_ < best) best = now_tick_;
  return tick_start(best);
}

}  // namespace stackd
