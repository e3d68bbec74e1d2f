#include "impairment.h"

#include <algorithm>
#include <cmath>

namespace stackd::relay {

Impairment::Impairment(const DirectionConfig& cfg, uint64_t seed) : cfg_(cfg), rng_(seed) {}

void Impairment::decide(size_t len, int64_t now_ns, std::vector<Emission>& out) {
  out.clear();
  ++stats_.received;
  if (rng_.chance(cfg_.loss)) {
    ++stats_.dropped;
    return;
  }
  bool dup = rng_.chance(cfg_.dup);
  emit_copy(len, now_ns, out);
  if (dup) {
    ++stats_.duplicated;
    emit_copy(len, now_ns, out);
  }
}

bool Impairment::emit_copy(size_t len, int64_t now_ns, std::vector<Emission>& out) {
  Emission e{now_ns, 0, false, -1};

  if (len > kEthHeaderLen && rng_.chance(cfg_.corrupt)) {
    // A bit of the IP header or beyond: the receiver sees a checksum error,
    // never a different MAC address (which would only misdeliver).
    e.corrupt_bit = static_cast<int64_t>(kEthHeaderLen * 8 + rng_.below((len - kEthHeaderLen) * 8));
    ++stats_.corrupted;
  }

  if (cfg_.rate_bps > 0.0) {
    // Fluid token bucket: the link serialises frames back to back; the bytes
    // not yet serialised at `now` are the queue, and a frame that would
    // overflow queue_bytes is tail-dropped.
    int64_t start = std::max(now_ns, link_free_ns_);
    double backlog_bytes = static_cast<double>(start - now_ns) * cfg_.rate_bps / 8e9;
    if (backlog_bytes + static_cast<double>(len) > static_cast<double>(cfg_.queue_bytes) &&
        start > now_ns) {
      ++stats_.rate_dropped;
      return false;
    }
    int64_t tx_ns = static_cast<int64_t>(std::ceil(static_cast<double>(len) * 8e9 / cfg_.rate_bps));
    link_free_ns_ = start + tx_ns;
    e.release_ns = link_free_ns_;
  }

  int64_t delay = cfg_.delay_ns;
  if (cfg_.jitter_ns > 0) {
    double j = cfg_.jitter_dist == JitterDist::uniform
                   ? (2.0 * rng_.uniform() - 1.0) * static_cast<double>(cfg_.jitter_ns)
                   : rng_.normal() * static_cast<double>(cfg_.jitter_ns);
    delay = std::max<int64_t>(0, delay + static_cast<int64_t>(std::llround(j)));
  }
  e.release_ns += delay;

  if (rng_.chance(cfg_.reorder)) {
    // Held back: later frames overtake it. It does not move the FIFO
    // horizon, so the frames behind it are not delayed with it.
    ++stats_.reordered;
    e.reordered = true;
    e.hold_frames = cfg_.reorder_frames;
    e.release_ns += cfg_.reorder_hold_ns;
    out.push_back(e);
    return true;
  }

  if (!cfg_.jitter_reorder) {
    e.release_ns = std::max(e.release_ns, last_release_ns_);
    last_release_ns_ = e.release_ns;
  }
  out.push_back(e);
  return true;
}

}  // namespace stackd::relay
