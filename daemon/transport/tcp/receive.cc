// The bodies of RFC 9293 §3.10.7.4's fifth step (an ACK of new data, the
// send-window update) and seventh step (text into the receive ring), shared
// by the step-by-step path (input.cc) and the ESTABLISHED fast path
// (fast_path.cc), so that both do exactly the same thing to a segment they
// both accept.
#include <algorithm>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

// Fifth step, "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK.
// Any segments on the retransmission queue that are thereby entirely
// acknowledged are removed." Plus RTT (RFC 6298, RFC 7323 §4), congestion
// control and recovery (loss_recovery.cc) and the retransmission timer.
void TcpLayer::new_ack(Tcb& t, const Segment& s, const SackUpdate& sack, Instant now) {
  const auto& ts = s.h.options.timestamps;
  const uint32_t acked = (s.ack - t.snd.una).v;
  // RFC 6298 (5.x) / Karn: an RTT sample from timestamps, else from the
  // timed segment if it was never retransmitted.
  t.last_rtt_sample = Duration{-1};
  if (t.ts_ok && ts && ts->tsecr != 0) {
    t.last_rtt_sample = Duration::millis(static_cast<int32_t>(tsval(t, now) - ts->tsecr));
    t.rtt.sample(t.last_rtt_sample);
    t.rtt_timing = false;
  } else if (t.rtt_timing && s.ack.after_eq(t.rtt_seq)) {
    t.last_rtt_sample = now - t.rtt_start;
    t.rtt.sample(t.last_rtt_sample);
    t.rtt_timing = false;
  }
  t.rtt.reset_backoff();
  t.snd.una = s.ack;
  if (t.snd.nxt.before(t.snd.una)) t.snd.nxt = t.snd.una;
  // Release acknowledged data: ring offsets are sequence numbers.
  const SeqNum head(t.snd_ring.head());
  if (s.ack.after(head)) t.snd_ring.consume(std::min((s.ack - head).v, t.snd_ring.size()));
  release_idle_buffers(t);  // all acknowledged: the send ring goes back
  t.bytes_acked += acked;
  t.retries = 0;
  on_new_ack(t, acked, sack, now);
  // RFC 6298 (5.2)/(5.3): stop the timer when all is acknowledged, else restart it.
  if (t.snd.una == t.snd_max)
    disarm(t, kTimerRetransmit);
  else
    arm_rto(t, now);
  rack_on_ack(t, sack, /*advanced=*/true, now);  // RFC 8985 (rack.cc)
  notify(t);
}

// Window update (RFC 9293 §3.10.7.4 fifth, ESTABLISHED): from a segment
// newer than the last one that updated it.
void TcpLayer::update_send_window(Tcb& t, SeqNum seq, SeqNum ack, uint32_t seg_wnd) {
  if (!(t.snd.wl1.before(seq) || (t.snd.wl1 == seq && t.snd.wl2.before_eq(ack)))) return;
  t.snd.wnd = seg_wnd;
  t.max_snd_wnd = std::max(t.max_snd_wnd, seg_wnd);
  t.snd.wl1 = seq;
  t.snd.wl2 = ack;
  if (seg_wnd != 0) {
    disarm(t, kTimerPersist);
    t.probes_start = Instant::never();  // the zero window is over
    t.probe_backoff = 0;
  }
}

// Place in-window text into the receive ring (seventh step). `seq` is at or
// after rcv.nxt and the text lies inside the window.
void TcpLayer::process_text(Tcb& t, SeqNum seq, std::span<const uint8_t> text, Instant now) {
  if (text.empty()) return;
  // The receive ring is borrowed at the first payload (buffers.cc); with the
  // pool exhausted the segment is dropped and the peer retransmits it.
  if (!attach_rcv_ring(t)) {
    drops_.drop(DropReason::kTcpNoBuffer);
    return;
  }
  if (seq == t.rcv.nxt) {
    const bool had_islands = !t.rx_ranges.empty();
    const SeqNum from = t.rcv.nxt;
    uint32_t n = t.rcv_ring.write(text);
    t.rcv.nxt += n;
    // The hole before held islands is (partly) filled: jump over every
    // island it now reaches (advance also keeps RxRanges' base at rcv.nxt).
    SeqNum to = t.rx_ranges.advance(t.rcv.nxt);
    if (to.after(t.rcv.nxt)) {
      t.rcv_ring.commit((to - t.rcv.nxt).v);
      t.rcv.nxt = to;
    }
    if (had_islands) t.ack_now = true;  // RFC 5681 §4.2: ACK at once when a hole is filled
    t.bytes_received += (t.rcv.nxt - from).v;  // with the islands joined (RFC 4898)
    notify(t);
    if (!t.ack_now) schedule_ack(t, text.size() >= t.eff_mss, now);
    return;
  }
  // Out of order: into the ring at seq - rcv.nxt, remembered in RxRanges.
  const uint32_t off = (seq - t.rcv.nxt).v;
  const uint32_t placed = t.rcv_ring.write_at(off, text);
  const RxRanges::AddResult r =
      placed == 0 ? RxRanges::AddResult::kNoRoom : t.rx_ranges.add(t.rcv.nxt, seq, seq + placed);
  if (r == RxRanges::AddResult::kNoRoom) {
    drops_.drop(DropReason::kTcpOutOfOrder);
  } else if (r == RxRanges::AddResult::kDuplicate) {
    // RFC 2883 §4: a duplicate of data held out of order is D-SACKed too.
    if (t.sack_ok) {
      t.rx_ranges.note_dsack(seq, seq + placed);
      counters_.inc(Counter::TcpExtTCPDSACKOfoSent);
    }
  } else {
    counters_.inc(Counter::TcpExtTCPOFOQueue);
  }
  t.ack_now = true;  // RFC 5681 §4.2: a duplicate ACK at once for out-of-order data
}

}  // namespace stackd::tcp
