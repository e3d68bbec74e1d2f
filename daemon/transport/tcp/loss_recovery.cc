// Loss recovery from duplicate ACKs: fast retransmit and fast recovery
// (RFC 5681 §3.2) with NewReno's partial-ACK handling (RFC 6582), and the
// congestion-control hooks of every new ACK. Limited transmit (RFC 3042)
// is the window bonus in TcpLayer::usable_window (output.cc).
#include <algorithm>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

void TcpLayer::on_dup_ack(Tcb& t, Instant now) {
  ++t.dupacks;
  const uint32_t in_flight = (t.snd_max - t.snd.una).v;
  if (t.in_recovery) {
    // RFC 5681 §3.2 step 4: each further duplicate ACK inflates cwnd by SMSS.
    t.cc.cwnd += t.eff_mss;
    output(t, now);
    return;
  }
  if (t.dupacks == 3) {
    // RFC 6582 §3.2 step 2: only when the ACK covers more than "recover"
    // (duplicates of an old window after an RTO do not start recovery).
    if (!t.snd.una.after(t.recover)) return;
    t.in_recovery = true;
    t.recover = t.snd_max;
    if (t.ca) t.ca->on_enter_recovery(t.cc, in_flight, now);
    // RFC 5681 §3.2 steps 2-3: retransmit the lost segment, cwnd = ssthresh + 3*SMSS.
    t.cc.cwnd = t.cc.ssthresh + 3u * t.eff_mss;
    t.rtt_timing = false;  // Karn
    const SeqNum keep = t.snd.nxt;
    t.snd.nxt = t.snd.una;
    const SeqNum data_end(t.snd_ring.tail());
    const uint32_t len = std::min<uint32_t>(t.eff_mss, (data_end - t.snd.una).v);
    send_segment(t, t.snd.una, len, wire::tcp_flag::kAck, now);
    t.snd.nxt = keep;
    arm_rto(t, now);
    return;
  }
  output(t, now);  // RFC 3042 limited transmit for the first two
}

void TcpLayer::on_new_ack(Tcb& t, uint32_t acked, Instant now) {
  if (t.in_recovery) {
    if (t.snd.una.after_eq(t.recover)) {
      // RFC 6582 §3.2 step 3 (full acknowledgment): leave recovery.
      t.in_recovery = false;
      t.dupacks = 0;
      if (t.ca) t.ca->on_exit_recovery(t.cc, now);
      return;
    }
    // RFC 6582 §3.2 step 3 (partial acknowledgment): retransmit the first
    // unacknowledged segment, deflate cwnd by the amount acked, add SMSS back.
    const SeqNum data_end(t.snd_ring.tail());
    const uint32_t len = std::min<uint32_t>(t.eff_mss, (data_end - t.snd.una).v);
    if (len != 0) send_segment(t, t.snd.una, len, wire::tcp_flag::kAck, now);
    t.cc.cwnd = t.cc.cwnd > acked ? t.cc.cwnd - acked : 0;
    t.cc.cwnd += t.eff_mss;
    return;
  }
  t.dupacks = 0;
  if (!t.ca) return;
  AckEvent ev;
  ev.now = now;
  ev.bytes_acked = acked;
  ev.bytes_in_flight = (t.snd_max - t.snd.una).v;
  ev.rtt_sample = t.rtt.has_sample() ? t.rtt.srtt() : Duration{-1};
  ev.min_rtt = t.rtt.min_rtt();
  ev.delivered = t.bytes_acked;
  ev.app_limited = t.snd_ring.size() <= ev.bytes_in_flight;
  t.ca->on_ack(t.cc, ev);
}

}  // namespace stackd::tcp
