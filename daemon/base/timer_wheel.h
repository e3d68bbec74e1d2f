// TimerWheel: a hierarchical timing wheel (Varghese & Lauck; the shape of
// VPP's vppinfra/tw_timer_template.h and the classic Linux cascade) whose
// entries name (object index, timer kind), never pointers (STYLE.md #8).
// One per dataplane worker; TCP keys its retransmit/persist/delayed-ACK/
// keepalive/TIME-WAIT timers by (connection index, kind).
//
// Time is an input: the wheel never reads a clock. Deadlines are rounded up
// to the tick (default 1 ms), so a timer never fires early: a timer with
// deadline D fires in the first expire(now) with now >= fire_time(D), where
// fire_time(D) is D rounded up to a tick boundary.
//
// Layout: kLevels levels of 64 slots; level L slot covers 64^L ticks, so
// levels 0..3 reach 2^24 ticks (4.6 hours at 1 ms) directly. Each entry
// keeps its absolute deadline tick and is re-placed whenever its slot is
// visited ("cascade"), so a timer farther out than 2^24 ticks simply
// cascades through the top level more than once. A 64-bit occupancy mask
// per level lets expire() and next_deadline() skip empty stretches in
// O(levels), so an idle worker that sleeps for an hour costs nothing.
//
// start/stop are O(1): entries live in a bounded pool (vector + free list)
// on doubly-linked slot lists, and a handle carries a generation so that
// stopping a timer that already fired is a harmless no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"

namespace stackd {

struct TimerHandle {
  uint32_t index = UINT32_MAX;
  uint32_t gen = 0;
  bool valid() const { return index != UINT32_MAX; }
};

class TimerWheel {
 public:
  static constexpr int kSlotBits = 6;
  static constexpr uint32_t kSlots = 1u << kSlotBits;
  static constexpr int kLevels = 4;

  struct Config {
    Instant start = Instant::from_nanos(0);  // tick 0; earlier deadlines are due at once
    Duration tick = Duration::millis(1);
    uint32_t capacity = 65536;  // most timers armed at once
  };

  struct Fired {
    uint32_t object;
    uint8_t kind;
    Instant deadline;  // as given to start()
  };

  explicit TimerWheel(Config cfg);

  // Arm a timer. Returns an invalid handle when the pool is full.
  TimerHandle start(Instant deadline, uint32_t object, uint8_t kind);
  // Disarm; true if it was armed. The handle is reset either way.
  bool stop(TimerHandle& h);
  // Stop (if armed) and start again with a new deadline.
  TimerHandle restart(TimerHandle& h, Instant deadline, uint32_t object, uint8_t kind);
  bool armed(TimerHandle h) const;

  // Fire every timer due at `now`, in fire-time order, calling
  // cb(const Fired&). Callbacks may start and stop timers; a timer started
  // from a callback never fires in the same expire() call (it fires in the
  // next one if due), so a callback that re-arms at once cannot loop.
  // Returns how many fired.
  template <typename F>
  size_t expire(Instant now, F&& cb) {
    uint64_t limit = arm_seq_;
    size_t n = 0;
    Fired f;
    while (pop_expired(now, limit, f)) {
      cb(static_cast<const Fired&>(f));
      ++n;
    }
    return n;
  }

  // When the owner must call expire() next: never later than the fire time
  // of the earliest armed timer (it may be earlier: the tick at which a far
  // timer cascades). Instant::never() when nothing is armed.
  Instant next_deadline() const;

  // The fire time of a deadline: rounded up to the tick.
  Instant fire_time(Instant deadline) const { return tick_start(deadline_tick(deadline)); }

  size_t size() const { return armed_; }
  size_t capacity() const { return entries_.size(); }
  Duration tick() const { return {tick_ns_}; }

  // One step of expire(): the next timer due at `now` armed before
  // sequence `seq_limit`, or false when none is left.
  bool pop_expired(Instant now, uint64_t seq_limit, Fired& out);

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr uint16_t kListFree = 0xffff;
  static constexpr uint16_t kListOverdue = kLevels * kSlots;  // lists: level*64+slot, overdue

  struct Entry {
    uint64_t tick = 0;     // absolute fire tick
    int64_t deadline = 0;  // ns, as given
    uint64_t seq = 0;      // arm order (see expire)
    uint32_t object = 0;
    uint32_t gen = 0;
    uint32_t prev = kNil;
    uint32_t next = kNil;
    uint16_t list = kListFree;
    uint8_t kind = 0;
  };

  uint64_t deadline_tick(Instant d) const;  // ceil((d - start) / tick), 0 if before start
  uint64_t floor_tick(Instant now) const;
  Instant tick_start(uint64_t t) const;
  // The tick at which level `level` next visits `slot` (strictly after now_tick_).
  uint64_t visit_tick(int level, uint32_t slot) const;
  // Earliest tick after now_tick_ at which a non-empty slot is visited.
  uint64_t next_event_tick() const;

  void place(uint32_t i);  // put entry i on the list its tick calls for
  void link(uint32_t i, uint16_t list);
  void unlink(uint32_t i);
  void free_entry(uint32_t i);
  void cascade(int level, uint32_t slot);

  int64_t start_ns_;
  int64_t tick_ns_;
  uint64_t now_tick_ = 0;  // the last tick whose slot has been visited
  uint64_t arm_seq_ = 0;
  size_t armed_ = 0;
  std::vector<Entry> entries_;
  uint32_t free_head_ = kNil;
  uint32_t heads_[kLevels * kSlots + 1];  // +1: the overdue list
  uint64_t occupied_[kLevels] = {};
};

}  // namespace stackd
