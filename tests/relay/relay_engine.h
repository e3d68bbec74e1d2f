// The relay's event loop: frames from port A go to port B through the a2b
// Impairment and back through b2a. Frames due now leave straight from the
// receive batch; delayed ones are copied into slots and wait in a binary
// heap keyed by release time (ties in arrival order); frames held back for
// reordering also wait for a number of later frames to leave.
#pragma once

#include <csignal>
#include <cstdint>
#include <vector>

#include <sys/uio.h>

#include "impairment.h"
#include "packet_port.h"

namespace stackd::relay {

class RelayEngine {
 public:
  RelayEngine(PacketPort& a, PacketPort& b, Impairment& a2b, Impairment& b2a);

  // Forwards until CLOCK_MONOTONIC reaches deadline_ns or *stop is set.
  // Sets *report to 0 after printing counters when it finds it set.
  void run(int64_t deadline_ns, const volatile std::sig_atomic_t* stop,
           volatile std::sig_atomic_t* report);

  // Frames still waiting (delayed or held) in each direction.
  uint64_t pending(int dir) const;

  // Prints the counters (and collects the kernel's drop counts first).
  void print_stats();

 private:
  struct Slot {
    std::vector<uint8_t> data;
    uint32_t gen = 0;
    uint8_t dir = 0;
    bool used = false;
    bool held = false;  // held back for reordering: its leaving counts down no one
  };
  struct Timer {
    int64_t release_ns;
    uint64_t seq;
    uint32_t slot;
    uint32_t gen;
  };
  struct Held {
    uint32_t slot;
    uint32_t gen;
    uint32_t remaining;
  };
  struct Direction {
    PacketPort* in;
    PacketPort* out;
    Impairment* imp;
    std::vector<iovec> tx;
    std::vector<uint32_t> free_after_tx;
    std::vector<Held> held;
  };

  size_t receive_batch(int d, int64_t now_ns);
  void release_due(int64_t now_ns);
  void transmit(int d, void* data, size_t len, bool held_frame);
  void release_slot_now(uint32_t slot);
  void flush(int d);
  uint32_t store(int d, std::span<const uint8_t> frame);

  Direction dir_[2];
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<Timer> heap_;
  uint64_t seq_ = 0;
  std::vector<Emission> emissions_;
};

}  // namespace stackd::relay
