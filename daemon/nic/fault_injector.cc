#include "nic/fault_injector.h"

#include <algorithm>
#include <utility>

namespace stackd::nic {

FaultInjector::FaultInjector(Device& inner, FaultInjectorConfig cfg)
    : inner_(inner),
      max_held_(cfg.max_held),
      max_backlog_(std::max<uint32_t>(cfg.max_backlog, 1)),
      rx_(cfg.rx, cfg.seed),
      tx_(cfg.tx, cfg.seed ^ 0x5bd1e9955bd1e995ull) {}

bool FaultInjector::rate_limited(Direction& d, Instant now) {
  if (d.cfg.max_rate == 0) return false;
  // GCRA (ITU-T I.371 virtual scheduling): a frame conforms when it is not
  // earlier than its theoretical arrival time minus the burst tolerance.
  int64_t interval = std::max<int64_t>(1'000'000'000 / d.cfg.max_rate, 1);
  int64_t tolerance = interval * (std::max<uint32_t>(d.cfg.rate_burst, 1) - 1);
  if (!d.tat_set) {
    d.tat = now.ns;
    d.tat_set = true;
  }
  if (now.ns < d.tat - tolerance) return true;
  d.tat = std::max(d.tat, now.ns) + interval;
  return false;
}

void FaultInjector::emit(Direction& d, buf::PacketBuf p) {
  d.ready.push_back(std::move(p));
  // One more frame went by: held frames whose wait is over follow it.
  for (size_t i = 0; i < d.held.size();) {
    if (--d.held[i].remaining == 0) {
      d.ready.push_back(std::move(d.held[i].frame));
      d.held.erase(d.held.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void FaultInjector::release_held(Direction& d) {
  for (auto& h : d.held) d.ready.push_back(std::move(h.frame));
  d.held.clear();
}

void FaultInjector::process(Direction& d, buf::PacketBuf p, Instant now, buf::FramePool& dup_pool) {
  ++d.stats.frames;
  // Every frame draws the same numbers, whatever happens to it.
  double r_drop = d.rng.unit();
  double r_corrupt = d.rng.unit();
  double r_dup = d.rng.unit();
  double r_reorder = d.rng.unit();
  uint64_t r_where = d.rng.next();

  if (rate_limited(d, now)) {
    ++d.stats.rate_limited;
    return;
  }
  if (r_drop < d.cfg.drop) {
    ++d.stats.dropped;
    return;
  }
  if (r_corrupt < d.cfg.corrupt && p.size() > 0) {
    uint32_t byte = static_cast<uint32_t>(r_where % p.size());
    uint8_t bit = static_cast<uint8_t>(r_where >> 61);  // 0..7
    p.data()[byte] ^= static_cast<uint8_t>(1u << bit);
    ++d.stats.corrupted;
  }
  buf::PacketBuf dup;
  if (r_dup < d.cfg.duplicate) {
    dup = buf::copy_packet(p, dup_pool, p.headroom());
    if (dup) ++d.stats.duplicated;
  }
  if (r_reorder < d.cfg.reorder && d.held.size() < max_held_ && d.cfg.reorder_after > 0) {
    d.held.push_back({std::move(p), d.cfg.reorder_after});
    ++d.stats.reordered;
  } else {
    emit(d, std::move(p));
  }
  if (dup) emit(d, std::move(dup));
}

size_t FaultInjector::rx_burst(std::span<buf::PacketBuf> out, Instant now) {
  release_held(rx_);  // held in an earlier burst: their wait is over
  if (rx_.ready.size() < out.size()) {
    size_t want = std::min<size_t>(out.size() - rx_.ready.size(), max_backlog_);
    scratch_.resize(want);
    size_t n = inner_.rx_burst(std::span(scratch_.data(), want), now);
    for (size_t i = 0; i < n; ++i) process(rx_, std::move(scratch_[i]), now, rx_dup_pool_);
    scratch_.clear();
  }
  size_t k = std::min(out.size(), rx_.ready.size());
  for (size_t i = 0; i < k; ++i) out[i] = std::move(rx_.ready[i]);
  rx_.ready.erase(rx_.ready.begin(), rx_.ready.begin() + static_cast<std::ptrdiff_t>(k));
  return k;
}

void FaultInjector::push_tx(Instant now) {
  if (tx_.ready.empty()) return;
  size_t k = inner_.tx_burst(tx_.ready, now);
  tx_.ready.erase(tx_.ready.begin(), tx_.ready.begin() + static_cast<std::ptrdiff_t>(k));
}

size_t FaultInjector::tx_burst(std::span<buf::PacketBuf> pkts, Instant now) {
  release_held(tx_);
  push_tx(now);  // the backlog goes first, in order
  size_t taken = 0;
  for (auto& p : pkts) {
    if (tx_.ready.size() >= max_backlog_) break;  // the rest stays with the caller
    process(tx_, std::move(p), now, inner_.tx_pool());
    ++taken;
  }
  push_tx(now);
  return taken;
}

void FaultInjector::flush(Instant now) {
  push_tx(now);
  inner_.flush(now);
}

}  // namespace stackd::nic
