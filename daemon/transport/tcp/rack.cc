// RACK-TLP (RFC 8985) on SACK connections (TcpConfig::rack / tlp):
//  - RACK (§6): a segment is lost once a segment sent after it was
//    delivered and it has not been delivered for RACK.rtt + RACK.reo_wnd
//    since it was sent; the transmissions come from the TCB's XmitLog.
//    RACK replaces DupThresh as Linux does (net.ipv4.tcp_recovery = 1): the
//    RFC 6675 machinery (loss_recovery.cc) still enters recovery, reduces
//    cwnd, undoes spurious episodes and paces retransmissions by pipe, but
//    what is lost is RACK's mark (XmitLog::kLost), not a count of SACKed
//    segments above a hole (README "RACK-TLP" says why).
//  - TLP (§7): with nothing else to trigger recovery at the tail of a
//    flight, a probe after PTO = 2*SRTT (+ WCDelAckT for a single segment)
//    draws the SACK that lets RACK see the loss, instead of an RTO.
// Both use the retransmission timer's slot (Tcb::rtx_timer), as Linux's
// icsk_pending: the RACK reordering timer (§6.3), the PTO or the RTO.
#include <algorithm>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

namespace {

constexpr Duration kWcDelAckT = Duration::millis(200);  // RFC 8985 §7.2 WCDelAckT
constexpr uint8_t kReoWndPersist = 16;                  // RFC 8985 §6.2 step 4
// Added to 2*SRTT when more than one segment is in flight: the timer's
// granularity (Linux TCP_TIMEOUT_MIN, 2 jiffies), so that an SRTT near 0
// (1 ms timestamps on a fast path) does not probe at once.
constexpr Duration kPtoMin = Duration::millis(2);

uint32_t us_clock(Instant now) { return static_cast<uint32_t>(now.ns / 1000); }
int64_t us_of(Duration d) { return d.ns / 1000; }

// RFC 8985 §6.2 RACK_sent_after(t1, seq1, t2, seq2).
bool sent_after(uint32_t t1, SeqNum seq1, uint32_t t2, SeqNum seq2) {
  const int32_t d = static_cast<int32_t>(t1 - t2);
  return d > 0 || (d == 0 && seq1.after(seq2));
}

// Is [s, e) wholly inside one SACKed range, the ranges walked from *k on
// (entries and ranges are both in sequence order)?
bool wholly_sacked(const SackScoreboard& sb, size_t& k, SeqNum s, SeqNum e) {
  while (k < sb.size() && sb.range(k).end.before_eq(s)) ++k;
  return k < sb.size() && sb.range(k).start.before_eq(s) && sb.range(k).end.after_eq(e);
}

}  // namespace

// A data segment (or FIN) [seq, end) went out (output.cc send_segment).
void TcpLayer::rack_on_send(Tcb& t, SeqNum seq, SeqNum end, Instant now) {
  if (!rack_on(t) || seq.before(t.snd.una)) return;
  t.xmit_log.on_send(seq, end, us_clock(now));
}

// RFC 8985 §6.2 step 4, RACK.reo_wnd: 0 while no reordering was seen and
// the sender is in recovery or has DupThresh segments SACKed; else
// reo_wnd_mult * min_RTT / 4, at most SRTT.
uint32_t TcpLayer::rack_reo_wnd_us(const Tcb& t) const {
  if (!t.rack.reordering_seen) {
    if (t.in_recovery || t.retries != 0) return 0;
    if (t.scoreboard.sacked_bytes() >= SackScoreboard::kDupThresh * std::max<uint32_t>(t.eff_mss, 1))
      return 0;
  }
  if (t.rack.min_rtt_us == UINT32_MAX) return 0;
  int64_t w = int64_t{t.rack.min_rtt_us} / 4 * t.rack.reo_wnd_mult;
  // At most SRTT (RttEstimator's, from 1 ms timestamp ticks: not below
  // RACK's own minimum).
  if (t.rtt.has_sample()) w = std::min(w, std::max<int64_t>(us_of(t.rtt.srtt()), t.rack.min_rtt_us));
  return static_cast<uint32_t>(std::clamp<int64_t>(w, 0, INT32_MAX));
}

// RFC 8985 §6.2 step 5, RACK_detect_loss(): marks kLost; returns the
// time (µs) after which the next not-yet-lost segment would be (0: none).
uint32_t TcpLayer::rack_detect_loss(Tcb& t, Instant now, bool& lost) {
  lost = false;
  if (!t.rack.valid) return 0;
  const uint32_t now_us = us_clock(now);
  const uint32_t reo = rack_reo_wnd_us(t);
  int32_t timeout = 0;
  for (size_t i = 0; i < t.xmit_log.size(); ++i) {
    XmitLog::Entry& x = t.xmit_log.at(i);
    if (x.flags & (XmitLog::kLost | XmitLog::kSacked)) continue;
    if (!sent_after(t.rack.xmit_us, t.rack.end_seq, x.xmit_us, x.end)) continue;
    const int32_t remaining =
        static_cast<int32_t>(x.xmit_us + t.rack.rtt_us + reo - now_us);
    if (remaining <= 0) {
      x.flags |= XmitLog::kLost;
      lost = true;
    } else {
      timeout = std::max(timeout, remaining);
    }
  }
  return static_cast<uint32_t>(timeout);
}

// RFC 8985 §6.3: the reordering timer in the retransmission timer's slot.
void TcpLayer::rack_arm_reo(Tcb& t, uint32_t timeout_us, Instant now) {
  arm(t, kTimerRetransmit, now + Duration{static_cast<int64_t>(timeout_us) * 1000});
  t.rtx_timer = RtxTimer::kReo;
}

// Losses RACK found: the RFC 6675 machinery retransmits them (entering
// recovery if not in it, RFC 8985 §8: RACK tells what is lost, the
// recovery algorithm what and when to send).
void TcpLayer::rack_respond(Tcb& t, bool lost, Instant now) {
  if (t.in_recovery) {
    if (t.sack_recovery) sack_transmit(t, now);
    return;
  }
  if (lost && t.snd.una.after_eq(t.recover) && t.snd.una != t.snd_max) enter_sack_recovery(t, now);
}

void TcpLayer::rack_on_ack(Tcb& t, const SackUpdate& su, bool advanced, Instant now) {
  if (!rack_on(t)) return;
  tlp_process_ack(t, su, advanced, now);
  // Steps 1-2: RACK.min_RTT, RACK.xmit_ts / end_seq / rtt from the newly
  // delivered segments.
  const uint32_t now_us = us_clock(now);
  size_t k = 0;
  for (size_t i = 0; i < t.xmit_log.size(); ++i) {
    XmitLog::Entry& x = t.xmit_log.at(i);
    if (x.flags & XmitLog::kSacked) continue;
    const SeqNum s = t.xmit_log.start(i);
    const bool acked = x.end.before_eq(t.snd.una);
    if (!acked && !wholly_sacked(t.scoreboard, k, s, x.end)) continue;
    x.flags = static_cast<uint8_t>((x.flags & ~XmitLog::kLost) | XmitLog::kSacked);
    const int32_t rtt = static_cast<int32_t>(now_us - x.xmit_us);
    if (x.flags & XmitLog::kRetrans) {
      // Ambiguous: the ACK may be for the original (TSecr older than the
      // retransmission, or an RTT below the path's minimum).
      const Instant sent = now - Duration{static_cast<int64_t>(rtt) * 1000};
      if (su.tsecr != 0 && static_cast<int32_t>(su.tsecr - tsval(t, sent)) < 0) continue;
      if (t.rack.min_rtt_us != UINT32_MAX && rtt < static_cast<int64_t>(t.rack.min_rtt_us)) continue;
    }
    if (rtt >= 0) t.rack.min_rtt_us = std::min(t.rack.min_rtt_us, static_cast<uint32_t>(rtt));
    if (!t.rack.valid || sent_after(x.xmit_us, x.end, t.rack.xmit_us, t.rack.end_seq)) {
      t.rack.valid = true;
      t.rack.rtt_us = static_cast<uint32_t>(std::max(rtt, 0));
      t.rack.xmit_us = x.xmit_us;
      t.rack.end_seq = x.end;
    }
  }
  t.xmit_log.trim(t.snd.una);
  // Step 3: reordering seen (a late original below what was SACKed,
  // sack_input's evidence, Linux tcp_check_sack_reordering).
  if (su.reord) t.rack.reordering_seen = true;
  // Step 4: a D-SACK widens the window, once per round trip; it narrows
  // again after 16 recoveries without one.
  if (t.rack.dsack_round_valid && t.snd.una.after_eq(t.rack.dsack_round)) t.rack.dsack_round_valid = false;
  if (su.dsack && !t.rack.dsack_round_valid) {
    if (t.rack.reo_wnd_mult < UINT8_MAX) ++t.rack.reo_wnd_mult;
    t.rack.dsack_round_valid = true;
    t.rack.dsack_round = t.snd_max;
    t.rack.reo_wnd_persist = kReoWndPersist;
  }
  if (t.snd.una == t.snd_max) {
    t.xmit_log.release();  // nothing in flight: an idle connection holds no log
    return;
  }
  // Step 5 and §6.3.
  bool lost = false;
  const uint32_t timeout = rack_detect_loss(t, now, lost);
  rack_respond(t, lost, now);
  if (timeout != 0) {
    rack_arm_reo(t, timeout, now);
  } else if (t.rtx_timer == RtxTimer::kReo || !t.timers[kTimerRetransmit].valid()) {
    arm_rto(t, now);  // no reordering timer any more: the RTO again
  }
  if (!t.in_recovery) {
    if (!advanced) output(t, now);  // RFC 3042 limited transmit
    // RFC 8985 §7.2: (re)armed by an ACK of new data, not pushed back by
    // every duplicate.
    if (advanced || t.rtx_timer != RtxTimer::kPto) schedule_loss_probe(t, now);
  }
}

// RFC 8985 §6.2 step 4: "exiting loss recovery" ages a widened window.
void TcpLayer::rack_exit_recovery(Tcb& t) {
  if (!rack_on(t) || t.rack.reo_wnd_persist == 0) return;
  if (--t.rack.reo_wnd_persist == 0) t.rack.reo_wnd_mult = 1;
}

// RFC 8985 §6.3 RACK_detect_loss_and_arm_timer() when the timer fires.
void TcpLayer::rack_reo_timeout(Tcb& t, Instant now) {
  bool lost = false;
  const uint32_t timeout = rack_detect_loss(t, now, lost);
  rack_respond(t, lost, now);
  if (timeout != 0)
    rack_arm_reo(t, timeout, now);
  else if (t.rtx_timer != RtxTimer::kRto || !t.timers[kTimerRetransmit].valid())
    arm_rto(t, now);
}

// The lowest segment RACK marked lost and not yet resent: retransmit its
// first unSACKed part (no more than SMSS). False when there is none.
bool TcpLayer::rack_retransmit_lost(Tcb& t, Instant now) {
  for (size_t i = 0; i < t.xmit_log.size(); ++i) {
    XmitLog::Entry& x = t.xmit_log.at(i);
    if (!(x.flags & XmitLog::kLost)) continue;
    SeqNum s = t.xmit_log.start(i);
    if (s.before(t.snd.una)) s = t.snd.una;
    // Step over SACKed octets to the first hole of the entry.
    for (size_t k = 0; k < t.scoreboard.size(); ++k) {
      const SackBlock r = t.scoreboard.range(k);
      if (r.end.before_eq(s)) continue;
      if (r.start.after(s)) break;
      s = r.end;
    }
    if (s.after_eq(x.end)) {
      x.flags = static_cast<uint8_t>((x.flags & ~XmitLog::kLost) | XmitLog::kSacked);
      continue;
    }
    SeqNum e = x.end;
    for (size_t k = 0; k < t.scoreboard.size(); ++k) {
      const SackBlock r = t.scoreboard.range(k);
      if (r.start.after(s) && r.start.before(e)) {
        e = r.start;
        break;
      }
    }
    if ((e - s).v > t.eff_mss) e = s + t.eff_mss;
    if (!retransmit_range(t, {s, e}, now)) return false;
    if (e.after(t.high_rxt)) t.high_rxt = e;
    return true;
  }
  return false;
}

// In flight with RACK (as Linux's packets_out - sacked_out - lost_out +
// retrans_out): every unSACKed octet of [snd.una, snd_max) but those
// marked lost and not resent since.
uint32_t TcpLayer::rack_pipe(const Tcb& t) const {
  if (!t.snd_max.after(t.snd.una)) return 0;
  uint32_t p = (t.snd_max - t.snd.una).v;
  p -= std::min(p, t.scoreboard.sacked_bytes());
  for (size_t i = 0; i < t.xmit_log.size(); ++i) {
    const XmitLog::Entry& x = t.xmit_log.at(i);
    if (!(x.flags & XmitLog::kLost)) continue;
    SeqNum s = t.xmit_log.start(i);
    if (s.before(t.snd.una)) s = t.snd.una;
    if (!x.end.after(s)) continue;
    uint32_t n = (x.end - s).v;
    for (size_t k = 0; k < t.scoreboard.size(); ++k) {
      const SackBlock r = t.scoreboard.range(k);
      const SeqNum a = r.start.after(s) ? r.start : s;
      const SeqNum b = r.end.before(x.end) ? r.end : x.end;
      if (b.after(a)) n -= std::min(n, (b - a).v);
    }
    p -= std::min(p, n);
  }
  return p;
}

// RFC 8985 §6.3 / §7: the RTO resends everything from snd.una (go-back-N,
// timers.cc): marks are moot, SACK information is forgotten (RFC 2018 §8)
// and a probe in flight no longer tells anything.
void TcpLayer::rack_on_rto(Tcb& t) {
  t.xmit_log.clear_flag(XmitLog::kLost | XmitLog::kSacked);
  t.rack.tlp_active = false;
  t.rtx_timer = RtxTimer::kRto;
}

// RFC 8985 §7.2: arm the PTO instead of the RTO at the tail of a flight,
// when not in recovery and no probe is outstanding.
void TcpLayer::schedule_loss_probe(Tcb& t, Instant now) {
  if (!cfg_.tlp || !t.sack_ok || t.in_recovery || t.rack.tlp_active || t.retries != 0) return;
  if (t.snd.una == t.snd_max || !is_synchronized(t.state) || t.state == TcpState::kTimeWait) return;
  if (t.rtx_timer == RtxTimer::kReo && t.timers[kTimerRetransmit].valid()) return;
  Duration pto = Duration::seconds(1);
  if (t.rtt.has_sample()) {
    pto = t.rtt.srtt() * 2;
    pto = pto + ((t.snd_max - t.snd.una).v <= t.eff_mss ? kWcDelAckT : kPtoMin);
  }
  pto = std::min(pto, t.rtt.rto());  // never later than the RTO would fire
  arm(t, kTimerRetransmit, now + pto);
  t.rtx_timer = RtxTimer::kPto;
}

// RFC 8985 §7.3: the PTO fired. New data if the windows allow one
// segment of it, else the highest-sequence segment again; then the RTO.
void TcpLayer::tlp_send_probe(Tcb& t, Instant now) {
  counters_.inc(Counter::TcpExtTCPLossProbes);
  t.rack.tlp_active = true;  // no new PTO from the output() below
  t.rack.tlp_dsacked = false;
  const SeqNum before = t.snd.nxt;
  if (t.snd.nxt == t.snd_max) {
    // One segment beyond cwnd, as the RFC allows the probe.
    const uint32_t cwnd = t.cc.cwnd;
    t.cc.cwnd = std::max(cwnd, (t.snd_max - t.snd.una).v + t.eff_mss);
    output(t, now);
    t.cc.cwnd = cwnd;
  }
  t.rack.tlp_is_retrans = t.snd.nxt == before;
  if (t.rack.tlp_is_retrans) {
    const uint32_t len = std::min<uint32_t>(t.eff_mss, (t.snd_max - t.snd.una).v);
    retransmit_range(t, {t.snd_max - len, t.snd_max}, now, /*fast=*/false);
  }
  t.rack.tlp_end_seq = t.snd_max;
  arm_rto(t, now);
}

// RFC 8985 §7.4: did the probe repair a loss? Then the congestion
// controller reduces cwnd as for a recovery (RFC 8985 §7.4.2).
void TcpLayer::tlp_process_ack(Tcb& t, const SackUpdate& su, bool advanced, Instant now) {
  if (!t.rack.tlp_active) return;
  const SeqNum end = t.rack.tlp_end_seq;
  if (su.dsack && su.dsack_block.start.before(end) && su.dsack_block.end.after_eq(end))
    t.rack.tlp_dsacked = true;  // the probe was a duplicate: nothing was lost
  if (t.snd.una.before(end)) return;
  if (!t.rack.tlp_is_retrans || t.rack.tlp_dsacked) {
    t.rack.tlp_active = false;
    return;
  }
  if (t.snd.una.after(end)) {
    t.rack.tlp_active = false;
    counters_.inc(Counter::TcpExtTCPLossProbeRecovery);
    if (t.ca) {
      t.ca->on_enter_recovery(t.cc, (t.snd_max - t.snd.una).v, now);
      t.ca->on_exit_recovery(t.cc, now);
    }
    return;
  }
  // A duplicate ACK without SACK: original and probe both arrived.
  if (!advanced && su.newly_sacked == 0) t.rack.tlp_active = false;
}

}  // namespace stackd::tcp
