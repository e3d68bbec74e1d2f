// Round-trip time estimation and the retransmission timer value, RFC 6298.
#pragma once

#include <cstdint>

#include "base/time.h"

namespace stackd::tcp {

struct RttConfig {
  Duration min_rto = Duration::millis(200);   // Linux TCP_RTO_MIN (RFC 6298 says 1 s; Linux uses 200 ms)
  Duration max_rto = Duration::seconds(120);  // Linux TCP_RTO_MAX; RFC 6298 (2.5) allows >= 60 s
  Duration initial_rto = Duration::seconds(1);  // RFC 6298 (2.1)
  Duration granularity = Duration::millis(1);   // G
};

class RttEstimator {
 public:
  explicit RttEstimator(const RttConfig& cfg = {});

  // RFC 6298 (2.2)/(2.3): a new measurement R (never from a retransmitted
  // segment, Karn's algorithm: the caller decides; timestamps may sample).
  void sample(Duration r);
  // RFC 6298 (5.5): back off the timer after it expired (doubling, bounded by max_rto).
  void backoff();
  // A new RTT sample after backoff restores the computed RTO (RFC 6298 (5.7) note).
  void reset_backoff();

  Duration rto() const;            // current RTO including backoff, clamped to [min, max]
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  Duration min_rtt() const { return min_rtt_; }
  bool has_sample() const { return has_sample_; }
  uint32_t backoffs() const { return backoff_; }

 private:
  RttConfig cfg_;
  Duration srtt_{};
  Duration rttvar_{};
  Duration min_rtt_{-1};
  Duration rto_{};
  uint32_t backoff_ = 0;
  bool has_sample_ = false;
};

}  // namespace stackd::tcp
