#include "relay_engine.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace stackd::relay {
namespace {

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Min-heap order: earliest release first, then arrival order.
bool later(const auto& x, const auto& y) {
  return x.release_ns != y.release_ns ? x.release_ns > y.release_ns : x.seq > y.seq;
}

constexpr const char* kDirName[2] = {"a2b", "b2a"};

}  // namespace

RelayEngine::RelayEngine(PacketPort& a, PacketPort& b, Impairment& a2b, Impairment& b2a) {
  dir_[0] = {&a, &b, &a2b, {}, {}, {}};
  dir_[1] = {&b, &a, &b2a, {}, {}, {}};
  for (auto& d : dir_) d.tx.reserve(PacketPort::kBatch * 4);
}

uint32_t RelayEngine::store(int d, std::span<const uint8_t> frame) {
  uint32_t s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[s];
  slot.data.assign(frame.begin(), frame.end());
  slot.dir = static_cast<uint8_t>(d);
  slot.used = true;
  slot.held = false;
  return s;
}

void RelayEngine::transmit(int d, void* data, size_t len, bool held_frame) {
  Direction& dir = dir_[d];
  dir.tx.push_back({data, len});
  ++dir.imp->stats().forwarded;
  if (!held_frame && !dir.held.empty()) {
    // One more frame has left: count down the frames held back behind it.
    std::vector<uint32_t> due;
    std::erase_if(dir.held, [&](Held& h) {
      if (!slots_[h.slot].used || slots_[h.slot].gen != h.gen) return true;  // left on its timer
      if (--h.remaining > 0) return false;
      due.push_back(h.slot);
      return true;
    });
    for (uint32_t s : due) release_slot_now(s);
  }
  if (dir.tx.size() >= PacketPort::kBatch) flush(d);
}

void RelayEngine::release_slot_now(uint32_t s) {
  Slot& slot = slots_[s];
  int d = slot.dir;
  // Retire the slot now (its heap entry and held record go stale) but keep
  // its bytes until the batch that carries them has been sent.
  slot.used = false;
  ++slot.gen;
  dir_[d].free_after_tx.push_back(s);
  transmit(d, slot.data.data(), slot.data.size(), slot.held);
}

void RelayEngine::flush(int d) {
  Direction& dir = dir_[d];
  if (!dir.tx.empty()) {
    dir.imp->stats().tx_errors += dir.out->send(dir.tx);
    dir.tx.clear();
  }
  free_slots_.insert(free_slots_.end(), dir.free_after_tx.begin(), dir.free_after_tx.end());
  dir.free_after_tx.clear();
}

void RelayEngine::release_due(int64_t now_ns) {
  while (!heap_.empty() && heap_.front().release_ns <= now_ns) {
    std::pop_heap(heap_.begin(), heap_.end(), [](const Timer& x, const Timer& y) { return later(x, y); });
    Timer t = heap_.back();
    heap_.pop_back();
    if (slots_[t.slot].used && slots_[t.slot].gen == t.gen) release_slot_now(t.slot);
  }
}

size_t RelayEngine::receive_batch(int d, int64_t now_ns) {
  Direction& dir = dir_[d];
  size_t n = dir.in->receive(dir.imp->stats().oversize);
  for (size_t i = 0; i < n; ++i) {
    std::span<uint8_t> frame = dir.in->rx_frame(i);
    dir.imp->decide(frame.size(), now_ns, emissions_);
    for (const Emission& e : emissions_) {
      if (e.corrupt_bit < 0 && e.release_ns <= now_ns && !e.reordered) {
        transmit(d, frame.data(), frame.size(), false);
        continue;
      }
      uint32_t s = store(d, frame);
      Slot& slot = slots_[s];
      slot.held = e.reordered;
      if (e.corrupt_bit >= 0) {
        slot.data[static_cast<size_t>(e.corrupt_bit / 8)] ^= static_cast<uint8_t>(0x80u >> (e.corrupt_bit % 8));
      }
      if (e.release_ns <= now_ns && !e.reordered) {
        release_slot_now(s);
        continue;
      }
      heap_.push_back({e.release_ns, seq_++, s, slot.gen});
      std::push_heap(heap_.begin(), heap_.end(), [](const Timer& x, const Timer& y) { return later(x, y); });
      if (e.reordered && e.hold_frames > 0) dir.held.push_back({s, slot.gen, e.hold_frames});
    }
  }
  // The receive buffers are reused by the next receive: send what points
  // into them first.
  flush(d);
  return n;
}

void RelayEngine::run(int64_t deadline_ns, const volatile std::sig_atomic_t* stop,
                      volatile std::sig_atomic_t* report) {
  // Signals are delivered only inside ppoll, so a SIGTERM never races the
  // wait and is seen at once.
  sigset_t block, during_wait;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &during_wait);
  sigdelset(&during_wait, SIGTERM);
  sigdelset(&during_wait, SIGINT);
  sigdelset(&during_wait, SIGUSR1);

  pollfd fds[2] = {{dir_[0].in->fd(), POLLIN, 0}, {dir_[1].in->fd(), POLLIN, 0}};
  while (!*stop) {
    if (*report) {
      print_stats();
      *report = 0;
    }
    int64_t now = monotonic_ns();
    if (now >= deadline_ns) break;
    int64_t wake = deadline_ns;
    if (!heap_.empty()) wake = std::min(wake, heap_.front().release_ns);
    int64_t wait = std::max<int64_t>(0, wake - now);
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    int r = ppoll(fds, 2, &ts, &during_wait);
    if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "ppoll");
    now = monotonic_ns();
    release_due(now);
    flush(0);
    flush(1);
    if (r <= 0) continue;
    for (int d = 0; d < 2; ++d) {
      if ((fds[d].revents & (POLLERR | POLLNVAL)) != 0) {
        throw std::runtime_error("interface " + dir_[d].in->name() + " failed");
      }
      // A bounded number of batches per side per round keeps the two
      // directions fair under load.
      if ((fds[d].revents & POLLIN) != 0) {
        for (int k = 0; k < 8 && receive_batch(d, now) == PacketPort::kBatch; ++k) {
        }
      }
    }
  }
  sigprocmask(SIG_SETMASK, &during_wait, nullptr);
  sigprocmask(SIG_UNBLOCK, &block, nullptr);
}

uint64_t RelayEngine::pending(int d) const {
  uint64_t n = 0;
  for (const Slot& s : slots_) n += (s.used && s.dir == d) ? 1 : 0;
  return n;
}

void RelayEngine::print_stats() {
  for (int d = 0; d < 2; ++d) {
    DirectionStats& s = dir_[d].imp->stats();
    s.rx_drops += dir_[d].in->take_kernel_drops();
    std::printf(
        "stackd-relay %s received=%llu forwarded=%llu dropped=%llu duplicated=%llu reordered=%llu "
        "corrupted=%llu rate_dropped=%llu tx_errors=%llu oversize=%llu rx_drops=%llu pending=%llu\n",
        kDirName[d], static_cast<unsigned long long>(s.received),
        static_cast<unsigned long long>(s.forwarded), static_cast<unsigned long long>(s.dropped),
        static_cast<unsigned long long>(s.duplicated), static_cast<unsigned long long>(s.reordered),
        static_cast<unsigned long long>(s.corrupted), static_cast<unsigned long long>(s.rate_dropped),
        static_cast<unsigned long long>(s.tx_errors), static_cast<unsigned long long>(s.oversize),
        static_cast<unsigned long long>(s.rx_drops),
        static_cast<unsigned long long>(pending(d)));
  }
  std::fflush(stdout);
}

}  // namespace stackd::relay
