#include "transport/tcp/cubic.h"

#include <algorithm>
#include <cmath>

#include "transport/tcp/newreno.h"

namespace stackd::tcp {

uint32_t HyStartPP::on_ack(CcState& s, const AckEvent& ev, uint32_t acked) {
  // RFC 9406 §4.2: at the start of each round remember the previous
  // round's minimum RTT and start a new one. A round starts with the ACK
  // whose data was sent after the previous round's end (Linux's
  // prior_delivered test, as BBR does).
  const uint64_t prior_delivered = ev.delivered - std::min<uint64_t>(ev.delivered, ev.bytes_acked);
  if (!started_ || prior_delivered >= round_end_) {
    started_ = true;
    round_end_ = ev.delivered + ev.bytes_in_flight;
    last_round_min_ = cur_round_min_;
    cur_round_min_ = Duration::max();
    samples_ = 0;
    if (css_ && ++css_rounds_ >= kCssRounds) {
      // RFC 9406 §4.2: CSS_ROUNDS rounds of CSS: enter congestion avoidance.
      css_ = false;
      s.ssthresh = s.cwnd;
      return acked;
    }
  }
  if (ev.rtt_sample >= Duration::zero()) {
    cur_round_min_ = std::min(cur_round_min_, ev.rtt_sample);
    ++samples_;
  }
  // RFC 9406 §4.2 growth (L = 2 as RFC 3465), divided by CSS_GROWTH_DIVISOR in CSS.
  uint32_t inc = std::min(acked, 2 * s.mss);
  if (css_) inc /= kCssGrowthDivisor;
  const uint32_t left = abc_slow_start(s, inc);

  if (samples_ >= kNRttSample && cur_round_min_ != Duration::max() &&
      last_round_min_ != Duration::max()) {
    if (!css_) {
      // RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms)
      const Duration thresh =
          std::clamp(last_round_min_ / kMinRttDivisor, kMinRttThresh, kMaxRttThresh);
      if (cur_round_min_ >= last_round_min_ + thresh) {
        css_ = true;
        css_baseline_ = cur_round_min_;
        css_rounds_ = 0;
      }
    } else if (cur_round_min_ < css_baseline_) {
      // The RTT increase was spurious: back to slow start.
      css_ = false;
      css_baseline_ = Duration::max();
    }
  }
  return left;
}

void Cubic::init(CcState& s, Instant) {
  s.cwnd = initial_window(s.mss);
  if (s.ssthresh == 0) s.ssthresh = kInitialSsthresh;  // as NewReno::init
  st_ = State{};
  undo_ = State{};
  hystart_.reset();
  can_undo_ = false;
  rto_backed_off_ = false;
}

double Cubic::w_cubic(double t, uint32_t mss) const {
  // RFC 9438 eq. (1): W_cubic(t) = C * (t - K)^3 + W_max, in segments.
  const double d = t - st_.k;
  return kC * d * d * d * mss + st_.origin;
}

void Cubic::start_epoch(const CcState& s, Instant now) {
  // RFC 9438 §4.2: a congestion avoidance stage begins.
  st_.epoch_valid = true;
  st_.epoch_start = now;
  const double cwnd = s.cwnd;
  st_.w_est = cwnd;  // RFC 9438 §4.3: W_est = cwnd_epoch
  st_.frac = 0;
  if (st_.w_max > cwnd) {
    // RFC 9438 eq. (2): K = cbrt((W_max - cwnd_epoch) / C), in segments.
    st_.k = std::cbrt((st_.w_max - cwnd) / s.mss / kC);
    st_.origin = st_.w_max;
  } else {
    // No (or a smaller) previous maximum, e.g. after slow start or an RTO
    // (RFC 9438 §4.8): K = 0 and the curve starts at cwnd_epoch (Linux
    // bictcp_update does the same).
    st_.k = 0;
    st_.origin = cwnd;
  }
}

void Cubic::on_ack(CcState& s, const AckEvent& ev) {
  if (ev.bytes_acked == 0) return;
  rto_backed_off_ = false;
  if (ev.in_recovery) return;  // RFC 6675: no growth during recovery
  uint32_t acked = ev.bytes_acked;
  if (s.cwnd < s.ssthresh) {
    // RFC 9438 §4.10: slow start. RFC 9406 §4.3: HyStart++ only in the
    // initial slow start (ssthresh still "arbitrarily high").
    if (hystart_on_ && s.ssthresh == kInitialSsthresh)
      acked = hystart_.on_ack(s, ev, acked);
    else
      acked = abc_slow_start(s, acked);
    if (acked == 0 || s.cwnd < s.ssthresh) return;
  }
  if (!st_.epoch_valid) start_epoch(s, ev.now);

  // RFC 9438 §4.2: RTT is the smoothed RTT; fall back to what we have.
  Duration rtt = ev.srtt;
  if (rtt < Duration::zero()) rtt = ev.min_rtt;
  if (rtt < Duration::zero()) rtt = ev.rtt_sample;
  if (rtt < Duration::zero()) rtt = Duration::zero();

  const double cwnd = s.cwnd;
  const double t = (ev.now - st_.epoch_start).as_seconds();

  // RFC 9438 §4.3 Reno-friendly estimate: W_est += alpha * acked / cwnd
  // (segments), alpha switching to 1 once W_est reaches cwnd_prior.
  const double alpha = (st_.cwnd_prior == 0 || st_.w_est >= st_.cwnd_prior) ? 1.0 : kAlpha;
  st_.w_est += alpha * static_cast<double>(acked) * s.mss / cwnd;

  double next;
  if (w_cubic(t, s.mss) < st_.w_est) {
    next = st_.w_est;  // Reno-friendly region: cwnd = W_est
  } else {
    // RFC 9438 §4.4/§4.5 concave and convex regions: target =
    // W_cubic(t + RTT) bounded to [cwnd, 1.5 * cwnd]; cwnd grows by
    // (target - cwnd) / cwnd per SMSS acked.
    const double target =
        std::clamp(w_cubic(t + rtt.as_seconds(), s.mss), cwnd, 1.5 * cwnd);
    next = cwnd + (target - cwnd) * acked / cwnd + st_.frac;
  }
  next = std::min(next, static_cast<double>(kInitialSsthresh));
  const auto whole = static_cast<uint32_t>(next);
  st_.frac = next - whole;
  s.cwnd = std::max(s.cwnd, whole);
}

void Cubic::congestion_event(CcState& s, uint32_t bytes_in_flight) {
  const double cwnd = s.cwnd;
  st_.cwnd_prior = cwnd;
  // RFC 9438 §4.7 fast convergence: a loss before reaching the previous
  // W_max means the share shrank; leave room for the newcomer.
  st_.w_max = cwnd < st_.w_max ? cwnd * (1.0 + kBeta) / 2.0 : cwnd;
  // RFC 9438 §4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS.
  const auto reduced = static_cast<uint32_t>(bytes_in_flight * kBeta);
  s.ssthresh = std::max(reduced, 2 * s.mss);
  st_.epoch_valid = false;
  hystart_.reset();
}

void Cubic::on_enter_recovery(CcState& s, uint32_t bytes_in_flight, Instant) {
  undo_ = st_;
  undo_.cwnd = s.cwnd;
  undo_.ssthresh = s.ssthresh;
  can_undo_ = true;
  congestion_event(s, bytes_in_flight);
  s.cwnd = s.ssthresh;  // pipe-based sender: no inflation
}

void Cubic::on_exit_recovery(CcState& s, Instant) {
  s.cwnd = s.ssthresh;
  st_.epoch_valid = false;  // the next ACK starts the avoidance stage
}

void Cubic::on_rto(CcState& s, uint32_t bytes_in_flight, Instant) {
  // RFC 9438 §4.8: ssthresh as for a loss (held on a repeated timeout,
  // RFC 5681 §3.1), cwnd to 1 SMSS; the next avoidance stage starts with
  // K = 0 and W_max = cwnd_epoch (Linux resets its CUBIC state the same way).
  if (!rto_backed_off_) {
    undo_ = st_;
    undo_.cwnd = s.cwnd;
    undo_.ssthresh = s.ssthresh;
    can_undo_ = true;
    congestion_event(s, bytes_in_flight);
  }
  st_.w_max = 0;
  st_.cwnd_prior = 0;
  st_.epoch_valid = false;
  s.cwnd = s.mss;
  rto_backed_off_ = true;
}

void Cubic::on_spurious(CcState& s, Instant) {
  // RFC 9438 §4.9: a spurious congestion event restores the state before it.
  if (!can_undo_) return;
  s.cwnd = std::max(s.cwnd, undo_.cwnd);
  s.ssthresh = std::max(s.ssthresh, undo_.ssthresh);
  st_ = undo_;
  st_.epoch_valid = false;
  can_undo_ = false;
  rto_backed_off_ = false;
}

void Cubic::on_idle_restart(CcState& s, Instant) {
  // RFC 5681 §4.1 restart window, and a new epoch so the time spent idle
  // does not count as growth time (RFC 9438 §5.8 / Linux CA_EVENT_TX_START).
  s.cwnd = std::min(initial_window(s.mss), s.cwnd);
  st_.epoch_valid = false;
  hystart_.reset();
}

}  // namespace stackd::tcp
