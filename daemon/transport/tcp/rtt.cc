// RFC 6298 retransmission timer computation, in nanoseconds. The gains are
// the RFC's alpha = 1/8 and beta = 1/4, applied with integer arithmetic
// (a 1-ns rounding is far below any clock granularity we run on).
#include "transport/tcp/rtt.h"

#include <algorithm>

namespace stackd::tcp {
namespace {

constexpr int64_t kK = 4;  // RFC 6298 (2.2)/(2.3) K

Duration clamp(Duration d, const RttConfig& cfg) {
  return std::clamp(d, cfg.min_rto, std::max(cfg.min_rto, cfg.max_rto));
}

}  // namespace

RttEstimator::RttEstimator(const RttConfig& cfg) : cfg_(cfg) {
  // RFC 6298 (2.1): until a measurement is made, RTO = initial (1 s).
  rto_ = clamp(cfg_.initial_rto, cfg_);
}

void RttEstimator::sample(Duration r) {
  if (r < Duration::zero()) return;  // no measurement
  if (!has_sample_) {
    // RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2.
    srtt_ = r;
    rttvar_ = r / 2;
    has_sample_ = true;
  } else {
    // RFC 6298 (2.3), RTTVAR first, with the old SRTT:
    //   RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
    //   SRTT   <- (1 - alpha) * SRTT + alpha * R'
    const Duration err = srtt_ > r ? srtt_ - r : r - srtt_;
    rttvar_ = Duration::nanos((3 * rttvar_.ns + err.ns) / 4);
    srtt_ = Duration::nanos((7 * srtt_.ns + r.ns) / 8);
  }
  // RFC 6298 (2.2)/(2.3): RTO <- SRTT + max(G, K*RTTVAR); (2.4)/(2.5) bounds.
  rto_ = clamp(srtt_ + std::max(cfg_.granularity, rttvar_ * kK), cfg_);
  if (min_rtt_ < Duration::zero() || r < min_rtt_) min_rtt_ = r;
}

void RttEstimator::backoff() {
  // RFC 6298 (5.5): RTO <- RTO * 2. The count keeps growing (it is what
  // TCP_INFO reports as tcpi_backoff); rto() saturates at max_rto.
  ++backoff_;
}

void RttEstimator::reset_backoff() { backoff_ = 0; }

Duration RttEstimator::rto() const {
  const Duration max = std::max(cfg_.min_rto, cfg_.max_rto);
  Duration r = rto_;
  for (uint32_t i = 0; i < backoff_; ++i) {
    if (r >= max / 2) return max;  // doubling would reach or pass the bound
    r = r * 2;
  }
  return clamp(r, cfg_);
}

}  // namespace stackd::tcp
