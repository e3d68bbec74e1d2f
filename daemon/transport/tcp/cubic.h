// CUBIC congestion control, RFC 9438, behind the CongestionControl
// interface. Window sizes are kept in bytes; the cubic function itself is
// evaluated in segments as the RFC writes it (C = 0.4 segments/s^3).
// Slow start is RFC 5681 with RFC 3465 byte counting, ended early by
// HyStart++ (RFC 9406) in the initial slow start.
// Like NewReno it assumes the RFC 6675 pipe-based sender: cwnd = ssthresh
// on entering recovery, no inflation.
#pragma once

#include <cstdint>
#include <optional>

#include "transport/tcp/congestion.h"

namespace stackd::tcp {

// HyStart++ (RFC 9406): leave the initial slow start when the RTT starts
// to climb, through a Conservative Slow Start (CSS) phase, instead of
// overshooting into a burst of losses. Rounds are delimited by delivered
// bytes (a round ends once the data in flight at its start is delivered),
// since the interface carries no sequence numbers.
class HyStartPP {
 public:
  static constexpr Duration kMinRttThresh = Duration::millis(4);   // MIN_RTT_THRESH
  static constexpr Duration kMaxRttThresh = Duration::millis(16);  // MAX_RTT_THRESH
  static constexpr int64_t kMinRttDivisor = 8;                      // MIN_RTT_DIVISOR
  static constexpr uint32_t kNRttSample = 8;                        // N_RTT_SAMPLE
  static constexpr uint32_t kCssGrowthDivisor = 4;                  // CSS_GROWTH_DIVISOR
  static constexpr uint32_t kCssRounds = 5;                         // CSS_ROUNDS

  // An ACK in slow start: grows cwnd (at 1/4 rate in CSS; RFC 3465 L = 2)
  // and ends slow start (ssthresh = cwnd) after CSS_ROUNDS of CSS.
  // Returns the acked bytes left for congestion avoidance.
  uint32_t on_ack(CcState& s, const AckEvent& ev, uint32_t acked);
  void reset() { *this = HyStartPP{}; }
  bool in_css() const { return css_; }

 private:
  bool started_ = false;
  uint64_t round_end_ = 0;  // delivered count that ends the current round
  Duration last_round_min_ = Duration::max();
  Duration cur_round_min_ = Duration::max();
  uint32_t samples_ = 0;
  bool css_ = false;
  Duration css_baseline_ = Duration::max();
  uint32_t css_rounds_ = 0;
};

class Cubic final : public CongestionControl {
 public:
  static constexpr double kC = 0.4;      // RFC 9438 §5.1 C
  static constexpr double kBeta = 0.7;   // RFC 9438 §5.1 beta_cubic
  // RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta)
  static constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);

  std::string_view name() const override { return "cubic"; }
  void init(CcState& s, Instant now) override;
  void on_ack(CcState& s, const AckEvent& ev) override;
  void on_enter_recovery(CcState& s, uint32_t bytes_in_flight, Instant now) override;
  void on_exit_recovery(CcState& s, Instant now) override;
  void on_rto(CcState& s, uint32_t bytes_in_flight, Instant now) override;
  void on_spurious(CcState& s, Instant now) override;
  void on_idle_restart(CcState& s, Instant now) override;

  // HyStart++ is on by default, as Linux enables HyStart for CUBIC.
  void set_hystart(bool on) { hystart_on_ = on; }
  const HyStartPP& hystart() const { return hystart_; }

  // For tests and TCP_INFO-like reporting.
  double w_max() const { return st_.w_max; }         // bytes; 0 = none yet
  double k_seconds() const { return st_.k; }
  double w_est() const { return st_.w_est; }          // bytes
  std::optional<Instant> epoch_start() const {
    return st_.epoch_valid ? std::optional(st_.epoch_start) : std::nullopt;
  }
  // RFC 9438 eq. (1): W_cubic(t) in bytes for the current epoch.
  double w_cubic(double t_seconds, uint32_t mss) const;

 private:
  struct State {
    double w_max = 0;        // RFC 9438 W_max (bytes), 0 until the first congestion event
    double cwnd_prior = 0;   // cwnd before the last reduction (bytes), for alpha switching
    double origin = 0;       // the plateau the curve is centred on (W_max or cwnd_epoch)
    double k = 0;            // RFC 9438 eq. (2) K (seconds)
    double w_est = 0;        // RFC 9438 §4.3 W_est (bytes)
    double frac = 0;         // sub-byte cwnd growth carried between ACKs
    Instant epoch_start{};   // RFC 9438 t_epoch
    bool epoch_valid = false;
    uint32_t ssthresh = 0;   // for undo
    uint32_t cwnd = 0;       // for undo
  };
  void start_epoch(const CcState& s, Instant now);
  void congestion_event(CcState& s, uint32_t bytes_in_flight);

  State st_;
  State undo_;
  HyStartPP hystart_;
  bool hystart_on_ = true;
  bool can_undo_ = false;
  bool rto_backed_off_ = false;
};

}  // namespace stackd::tcp
