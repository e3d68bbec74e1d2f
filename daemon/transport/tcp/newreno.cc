#include "transport/tcp/newreno.h"

#include <algorithm>

namespace stackd::tcp {

uint32_t abc_slow_start(CcState& s, uint32_t bytes_acked) {
  // RFC 3465 §2.2: increase by min(N, L*SMSS) with L = 2.
  const uint32_t inc = std::min(bytes_acked, 2 * s.mss);
  const uint32_t room = s.ssthresh > s.cwnd ? s.ssthresh - s.cwnd : 0;
  if (inc <= room) {
    s.cwnd += inc;
    return 0;
  }
  s.cwnd += room;  // reached ssthresh
  return inc - room;
}

void byte_counted_avoidance(CcState& s, uint32_t bytes_acked, uint32_t& acc) {
  // RFC 3465 §2.1 / RFC 5681 §3.1: cwnd += SMSS when bytes_acked >= cwnd.
  acc += bytes_acked;
  while (acc >= s.cwnd && s.cwnd > 0) {
    acc -= s.cwnd;
    s.cwnd += s.mss;
  }
}

void NewReno::init(CcState& s, Instant) {
  s.cwnd = initial_window(s.mss);
  // Keep an ssthresh learned earlier when the algorithm is switched on a
  // live connection; a new one starts "arbitrarily high".
  if (s.ssthresh == 0) s.ssthresh = kInitialSsthresh;
  ca_acc_ = 0;
  rto_backed_off_ = false;
  undo_cwnd_ = 0;
  undo_ssthresh_ = 0;
}

void NewReno::on_ack(CcState& s, const AckEvent& ev) {
  if (ev.bytes_acked == 0) return;
  rto_backed_off_ = false;
  // RFC 6675 §5: cwnd does not grow during loss recovery.
  if (ev.in_recovery) return;
  uint32_t acked = ev.bytes_acked;
  if (s.cwnd < s.ssthresh) {
    acked = abc_slow_start(s, acked);
    if (acked == 0) return;
  }
  byte_counted_avoidance(s, acked, ca_acc_);
}

void NewReno::remember_for_undo(const CcState& s) {
  undo_cwnd_ = s.cwnd;
  undo_ssthresh_ = s.ssthresh;
}

void NewReno::on_enter_recovery(CcState& s, uint32_t bytes_in_flight, Instant) {
  remember_for_undo(s);
  // RFC 5681 §3.2 step 2 (RFC 6582 §3.2 step 2 the same); RFC 6675 §5
  // step 4.2: cwnd = ssthresh, no inflation (pipe-based sender).
  s.ssthresh = reno_ssthresh(bytes_in_flight, s.mss);
  s.cwnd = s.ssthresh;
  ca_acc_ = 0;
}

void NewReno::on_exit_recovery(CcState& s, Instant) {
  // RFC 6582 §3.2 step 3 (full ACK): deflate to ssthresh.
  s.cwnd = s.ssthresh;
  ca_acc_ = 0;
}

void NewReno::on_rto(CcState& s, uint32_t bytes_in_flight, Instant) {
  // RFC 5681 §3.1 eq. (4), and its implementation note: when the timer
  // fires again for a segment it already retransmitted, ssthresh is held.
  if (!rto_backed_off_) {
    remember_for_undo(s);
    s.ssthresh = reno_ssthresh(bytes_in_flight, s.mss);
  }
  s.cwnd = s.mss;  // RFC 5681 §3.1 loss window LW = 1 SMSS
  ca_acc_ = 0;
  rto_backed_off_ = true;
}

void NewReno::on_spurious(CcState& s, Instant) {
  // RFC 4015 §3 response (Linux tcp_undo_cwnd_reduction): the reduction
  // was for nothing, return to where we were.
  if (undo_cwnd_ == 0) return;
  s.cwnd = std::max(s.cwnd, undo_cwnd_);
  s.ssthresh = std::max(s.ssthresh, undo_ssthresh_);
  undo_cwnd_ = 0;
  rto_backed_off_ = false;
}

void NewReno::on_idle_restart(CcState& s, Instant) {
  // RFC 5681 §4.1: RW = min(IW, cwnd).
  s.cwnd = std::min(initial_window(s.mss), s.cwnd);
  ca_acc_ = 0;
}

}  // namespace stackd::tcp
