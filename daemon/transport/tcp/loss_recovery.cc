// Loss recovery from duplicate ACKs and SACK information:
//  - with SACK (RFC 2018 negotiated): RFC 6675 conservative SACK-based
//    recovery on the TCB's SackScoreboard (entry on DupThresh duplicate ACKs
//    or IsLost(snd.una), RecoveryPoint, pipe-limited transmission by
//    NextSeg() rules 1-4 incl. the rescue retransmission);
//  - without SACK: fast retransmit / fast recovery (RFC 5681 §3.2) with
//    NewReno's partial-ACK handling (RFC 6582).
// With RACK (rack.cc, RFC 8985) what is lost is RACK's mark, not DupThresh.
// Spurious episodes are undone (D-SACK, RFC 3708; timestamps, RFC 3522)
// and the measured reordering raises DupThresh (note_reordering).
// And the congestion-control hooks of every new ACK (AckEvent). Limited
// transmit (RFC 3042) and the pipe limit of new data are in
// TcpLayer::usable_window (output.cc).
#include <algorithm>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

uint32_t TcpLayer::pipe_of(const Tcb& t) const {
  if (rack_on(t)) return rack_pipe(t);
  return t.scoreboard.pipe(t.snd.una, t.snd_max, t.high_rxt, t.eff_mss);
}

// The SACK blocks of an acceptable ACK into the scoreboard (RFC 6675 §5:
// "update the scoreboard"), D-SACKs counted (RFC 2883 §4). `s.ack` has
// passed the RFC 5961 §5.2 bounds; snd.una is not yet advanced.
SackUpdate TcpLayer::sack_input(Tcb& t, const Segment& s, Instant now) {
  SackUpdate u;
  // RFC 3522 §3.2 (Eifel detection): an ACK echoing a TSval older than the
  // episode's first retransmission was caused by an original transmission.
  const auto& ts = s.h.options.timestamps;
  const bool delayed = t.undo_valid && t.ts_ok && ts && ts->tsecr != 0 &&
                       static_cast<int32_t>(ts->tsecr - t.retrans_stamp) < 0;
  const uint32_t tsecr = t.ts_ok && ts ? ts->tsecr : 0;
  if (!t.sack_ok) {
    u.ts_delayed = delayed;
    return u;
  }
  const SeqNum una = s.ack.after(t.snd.una) ? s.ack : t.snd.una;
  const bool had_sacks = !t.scoreboard.empty();
  const SeqNum prior_fack = t.scoreboard.highest_sacked();
  const auto& o = s.h.options;
  std::array<SackBlock, 4> b;
  const size_t n = std::min<size_t>(o.sack_count, b.size());
  for (size_t i = 0; i < n; ++i) b[i] = {SeqNum(o.sack[i].left), SeqNum(o.sack[i].right)};
  if (n == 0)
    t.scoreboard.advance(una);
  else
    u = t.scoreboard.update(una, t.snd_max, std::span<const SackBlock>(b.data(), n), s.ack);
  u.ts_delayed = delayed;
  u.tsecr = tsecr;
  // A cumulative ACK over a hole below SACKed data: the hole's original
  // segment came late (Linux tcp_clean_rtx_queue's `reord`).
  if (had_sacks && una.after(t.snd.una) && t.snd.una.before(prior_fack) &&
      (!u.reord || t.snd.una.before(u.reord_low))) {
    u.reord = true;
    u.reord_low = t.snd.una;
    u.prior_fack = prior_fack;
  }
  if (u.reord) note_reordering(t, u.reord_low, u.prior_fack);
  t.scoreboard.set_dup_thresh(dup_thresh(t, una));
  if (u.dsack) {
    counters_.inc(Counter::TcpExtTCPDSACKRecv);
    // RFC 3708 §3: a D-SACK for a retransmission of this episode means one
    // of its copies was not needed (as Linux's "dumb counting").
    const SackBlock d = u.dsack_block;
    if (t.undo_valid && t.undo_retrans != 0 && d.end.after(t.undo_marker) &&
        d.start.before(t.high_rxt.after(t.recover) ? t.high_rxt : t.recover))
      t.undo_retrans -= std::min(t.undo_retrans, (d.end - d.start).v);
    // All of it was: undo (Linux tcp_try_undo_dsack), in recovery or after
    // it (the duplicate often arrives after the ACK that ended it).
    if (t.undo_valid && t.undo_retrans == 0) undo_episode(t, Counter::TcpExtTCPDSACKUndo, now);
  }
  return u;
}

// Reordering (Linux tcp_check_sack_reordering): octets from `low` up to
// `fack` were SACKed before `low` arrived; unless `low` was resent (then
// the retransmission, not the original, may be what arrived), the path
// reorders by that many segments and DupThresh follows, up to Linux's
// tcp_max_reordering (300).
void TcpLayer::note_reordering(Tcb& t, SeqNum low, SeqNum fack) {
  // high_rxt means something only since the first episode began.
  const bool resent = (t.in_recovery || t.undo_valid) && low.before(t.high_rxt);
  if (!low.before(fack) || resent) return;
  raise_reordering(t, (fack - low).v);
}

void TcpLayer::raise_reordering(Tcb& t, uint32_t metric) {
  if (t.eff_mss == 0) return;
  counters_.inc(Counter::TcpExtTCPSACKReorder);
  constexpr uint32_t kMaxReordering = 300;
  if (metric > t.reordering * t.eff_mss)
    t.reordering = static_cast<uint16_t>(std::min(kMaxReordering, (metric + t.eff_mss - 1) / t.eff_mss));
}

// The DupThresh in force: the measured reordering, but no more than half
// the segments in flight (at least RFC 6675's 3). A window too small to
// ever SACK `reordering` segments above a hole would otherwise leave every
// loss to the RTO, whose cwnd of one keeps the window small (Linux
// tcp_time_to_recover: packets_out <= reordering and half of them SACKed).
uint32_t TcpLayer::dup_thresh(const Tcb& t, SeqNum una) const {
  const uint32_t flight = t.snd_max.after(una) ? (t.snd_max - una).v / std::max<uint32_t>(t.eff_mss, 1) : 0;
  return std::min<uint32_t>(t.reordering, std::max(SackScoreboard::kDupThresh, flight / 2));
}

// A loss episode begins (fast retransmit or SACK recovery): remember where,
// so that it can be found spurious later.
void TcpLayer::start_undo_episode(Tcb& t, Instant now) {
  t.undo_valid = true;
  t.undo_marker = t.snd.una;
  t.undo_fack = t.scoreboard.highest_sacked();
  t.undo_retrans = 0;
  t.retrans_stamp = tsval(t, now);
}

// The episode was spurious: the congestion controller takes back its
// reduction (RFC 4015 §3, CongestionControl::on_spurious) and recovery,
// if still on, ends (Linux tcp_try_keep_open after tcp_try_undo_dsack).
// The segment at snd.una then was not lost but overtaken by what had been
// SACKed when the episode began: that much reordering (Linux
// tcp_try_undo_partial's tcp_check_sack_reordering), so the same
// reordering does not start another episode.
void TcpLayer::undo_episode(Tcb& t, Counter why, Instant now) {
  t.undo_valid = false;
  counters_.inc(why);
  if (t.undo_fack.after(t.undo_marker)) {
    raise_reordering(t, (t.undo_fack - t.undo_marker).v);
    t.scoreboard.set_dup_thresh(dup_thresh(t, t.snd.una));
  }
  if (t.in_recovery) {
    t.in_recovery = false;
    t.sack_recovery = false;
    t.rescue_valid = false;
    t.rxt_track = false;
    t.dupacks = 0;
    // A hole of this window that is really lost may start a new episode
    // (RFC 6582 §4's guard is against old duplicates after a timeout).
    t.recover = t.snd.una;
  }
  if (t.ca) t.ca->on_spurious(t.cc, now);
}


// One retransmission of [b.start, b.end) during recovery: cut at the end of
// the data, with our FIN if the range covers it.
// `fast`: a fast retransmission (not a tail loss probe).
bool TcpLayer::retransmit_range(Tcb& t, SackBlock b, Instant now, bool fast) {
  const SeqNum data_end(t.snd_ring.tail());
  const SeqNum end = b.end.after(data_end) ? data_end : b.end;
  const uint32_t len = end.after(b.start) ? (end - b.start).v : 0;
  uint8_t flags = wire::tcp_flag::kAck;
  if (t.fin_sent && b.end.after(t.fin_seq) && !b.start.after(t.fin_seq) &&
      b.start + len == t.fin_seq)
    flags |= wire::tcp_flag::kFin;
  if (len == 0 && !(flags & wire::tcp_flag::kFin)) return false;
  if (!send_segment(t, b.start, len, flags, now)) return false;
  if (fast) counters_.inc(Counter::TcpExtTCPFastRetrans);
  if (t.undo_valid) t.undo_retrans += len;
  if (t.sack_recovery && !t.rxt_track) {
    t.rxt_track = true;
    t.rxt_seq = b.start;
    t.rxt_mark = t.snd_max;
  }
  // Karn: no RTT sample from a segment that was resent.
  if (t.rtt_timing && b.start.before(t.rtt_seq)) t.rtt_timing = false;
  return true;
}

// RFC 6675 leaves a lost retransmission to the RTO. Like Linux
// (tcp_mark_lost_retrans) we watch the oldest outstanding one: once the
// data sent after it is SACKed enough for IsLost(), it is sent again.
void TcpLayer::check_lost_retransmit(Tcb& t, Instant now) {
  if (!t.rxt_track || rack_on(t)) return;  // RACK finds lost retransmissions by time
  if (t.snd.una.after(t.rxt_seq) || t.scoreboard.is_sacked(t.rxt_seq)) {
    // It arrived: watch the next retransmitted hole, with a later (safe) mark.
    t.rxt_track = false;
    auto h = t.scoreboard.next_hole(t.snd.una, t.snd.una.after(t.rxt_seq) ? t.snd.una : t.rxt_seq,
                                    t.eff_mss);
    if (h && h->start.before(t.high_rxt)) {
      t.rxt_track = true;
      t.rxt_seq = h->start;
      t.rxt_mark = t.snd_max;
    }
    return;
  }
  if (!t.scoreboard.is_lost(t.rxt_mark, t.eff_mss)) return;
  auto h = t.scoreboard.next_hole(t.snd.una, t.rxt_seq, t.eff_mss);
  if (!h || h->start != t.rxt_seq) {
    t.rxt_track = false;
    return;
  }
  counters_.inc(Counter::TcpExtTCPLostRetransmit);
  retransmit_range(t, *h, now);
  t.rxt_mark = t.snd_max;
}

// RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS, send by NextSeg():
// rule 1 (a lost hole), rule 2 (new data, by output()), rule 3 (any hole),
// rule 4 (one rescue retransmission per recovery episode).
//
// With RACK (RFC 8985 §8) rule 1's IsLost() is RACK's mark, and rules 3
// and 4 are left out, as Linux does: a hole RACK has not found lost is in
// flight or reordered, and the tail is probed by TLP, not resent blindly.
void TcpLayer::sack_transmit(Tcb& t, Instant now) {
  for (int guard = 0; guard < 1024; ++guard) {
    const uint32_t pipe = pipe_of(t);
    if (t.cc.cwnd < pipe + t.eff_mss) break;
    if (rack_on(t)) {
      if (rack_retransmit_lost(t, now)) continue;
      const SeqNum before = t.snd.nxt;
      output(t, now);
      if (t.snd.nxt != before) continue;
      break;
    }
    if (auto h = t.scoreboard.next_seg(t.snd.una, t.high_rxt, t.eff_mss)) {
      if (!retransmit_range(t, *h, now)) break;
      t.high_rxt = h->end;  // RFC 6675 §4 (C.3): HighRxt
      continue;
    }
    const SeqNum before = t.snd.nxt;
    output(t, now);  // rule 2: new data, limited by usable_window (pipe)
    if (t.snd.nxt != before) continue;
    if (auto h = t.scoreboard.next_hole(t.snd.una, t.high_rxt, t.eff_mss)) {
      if (!retransmit_range(t, *h, now)) break;
      t.high_rxt = h->end;
      continue;
    }
    // Rule 4 (RFC 6675 §4 (4)): RescueRxt unset or below snd.una, and no
    // new data was sent. Deviation: only if the highest unSACKed octet was
    // not already resent in this episode (at or above HighRxt); the RFC
    // would resend it again, which only duplicates a retransmission.
    if (!t.rescue_valid || t.rescue_rxt.before(t.snd.una)) {
      if (auto hi = t.scoreboard.highest_unsacked(t.snd.una, t.snd_max);
          hi && hi->after_eq(t.high_rxt)) {
        const SeqNum end = *hi + 1;
        const uint32_t len = std::min<uint32_t>(t.eff_mss, (end - t.snd.una).v);
        if (retransmit_range(t, {end - len, end}, now)) {
          t.rescue_rxt = t.recover;
          t.rescue_valid = true;
          continue;
        }
      }
    }
    break;
  }
}

// RFC 6675 §5 steps (1)-(4): enter loss recovery.
void TcpLayer::enter_sack_recovery(Tcb& t, Instant now) {
  const uint32_t flight = (t.snd_max - t.snd.una).v;  // RFC 5681 FlightSize
  t.in_recovery = true;
  t.sack_recovery = true;
  t.recover = t.snd_max;  // (1) RecoveryPoint = HighData
  counters_.inc(Counter::TcpExtTCPSACKRecovery);
  start_undo_episode(t, now);
  if (t.ca) t.ca->on_enter_recovery(t.cc, flight, now);  // (2) ssthresh = cwnd = f(FlightSize)
  t.cc.cwnd = std::max<uint32_t>(t.cc.cwnd, t.eff_mss);
  // (3) retransmit the segment at snd.una (HighACK + 1); HighRxt and
  // RescueRxt to its end (no premature rescue retransmission).
  t.high_rxt = t.snd.una;
  if (rack_on(t)) {
    // (3) with RACK: the first segment RACK marked lost goes out whatever
    // pipe says (the fast retransmit; Linux PRR's first segment too).
    t.rescue_valid = false;
    rack_retransmit_lost(t, now);
    arm_rto(t, now);
    sack_transmit(t, now);
    return;
  }
  SeqNum end = t.snd.una + std::min<uint32_t>(t.eff_mss, flight);
  if (auto h = t.scoreboard.next_hole(t.snd.una, t.snd.una, t.eff_mss)) end = h->end;
  if (retransmit_range(t, {t.snd.una, end}, now)) {
    t.high_rxt = end;
    t.rescue_rxt = end;
    t.rescue_valid = true;
  }
  arm_rto(t, now);
  sack_transmit(t, now);  // (4) SetPipe, then (C)
}

// An ACK that did not advance snd.una. With SACK it is a duplicate in RFC
// 6675 §2's sense only if it SACKed new data; without SACK, RFC 5681 §2's
// conditions were checked by the caller.
void TcpLayer::on_dup_ack(Tcb& t, const SackUpdate& su, Instant now) {
  if (t.sack_ok) {
    if (su.newly_sacked != 0) ++t.dupacks;
    if (rack_on(t)) {
      rack_on_ack(t, su, /*advanced=*/false, now);  // RACK decides (rack.cc)
      return;
    }
    if (t.in_recovery) {
      check_lost_retransmit(t, now);
      sack_transmit(t, now);  // RFC 6675 §5 (C)
      return;
    }
    // RFC 6675 §5: DupThresh duplicates, or IsLost(snd.una); not for
    // duplicates of a window already recovered or timed out (RFC 6582 §4).
    if ((t.dupacks >= t.scoreboard.dup_thresh() || t.scoreboard.is_lost(t.snd.una, t.eff_mss)) &&
        t.snd.una.after_eq(t.recover) && t.snd.una != t.snd_max) {
      enter_sack_recovery(t, now);
      return;
    }
    output(t, now);  // RFC 3042 limited transmit
    return;
  }
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
    t.sack_recovery = false;
    t.recover = t.snd_max;
    counters_.inc(Counter::TcpExtTCPRenoRecovery);
    start_undo_episode(t, now);
    if (t.ca) t.ca->on_enter_recovery(t.cc, in_flight, now);
    // RFC 5681 §3.2 steps 2-3: retransmit the lost segment, cwnd = ssthresh + 3*SMSS.
    t.cc.cwnd = t.cc.ssthresh + 3u * t.eff_mss;
    const uint32_t len = std::min<uint32_t>(t.eff_mss, (t.snd_max - t.snd.una).v);
    retransmit_range(t, {t.snd.una, t.snd.una + len}, now);
    arm_rto(t, now);
    return;
  }
  output(t, now);  // RFC 3042 limited transmit for the first two
}

void TcpLayer::on_new_ack(Tcb& t, uint32_t acked, const SackUpdate& su, Instant now) {
  if (t.in_recovery) {
    if (t.snd.una.after_eq(t.recover)) {
      // RFC 6675 §5 (A) / RFC 6582 §3.2 step 3 (full acknowledgment):
      // leave recovery.
      t.in_recovery = false;
      t.sack_recovery = false;
      t.rescue_valid = false;
      t.rxt_track = false;
      t.dupacks = 0;
      rack_exit_recovery(t);
      if (t.ca) t.ca->on_exit_recovery(t.cc, now);
      // RFC 3522 Eifel detection at the full ACK (Linux
      // tcp_try_undo_recovery): the original segment got there first.
      if (t.undo_valid && su.ts_delayed) undo_episode(t, Counter::TcpExtTCPFullUndo, now);
      return;
    }
    if (t.sack_recovery) {
      // RFC 6675 §5 (C): a cumulative ACK inside recovery is a
      // transmission opportunity like any other.
      if (t.high_rxt.before(t.snd.una)) t.high_rxt = t.snd.una;
      check_lost_retransmit(t, now);
      sack_transmit(t, now);
      return;
    }
    // RFC 6582 §3.2 step 3 (partial acknowledgment): retransmit the first
    // unacknowledged segment, deflate cwnd by the amount acked, add SMSS back.
    const uint32_t len = std::min<uint32_t>(t.eff_mss, (t.snd_max - t.snd.una).v);
    retransmit_range(t, {t.snd.una, t.snd.una + len}, now);
    t.cc.cwnd = t.cc.cwnd > acked ? t.cc.cwnd - acked : 0;
    t.cc.cwnd += t.eff_mss;
    return;
  }
  // RFC 6675 §5: a cumulative ACK resets DupAcks (SACK); RFC 5681 likewise.
  t.dupacks = 0;
  if (t.ca) {
    AckEvent ev;
    ev.now = now;
    ev.bytes_acked = acked + su.newly_sacked;
    ev.bytes_in_flight = t.sack_ok ? pipe_of(t) : (t.snd_max - t.snd.una).v;
    ev.rtt_sample = t.last_rtt_sample;
    ev.min_rtt = t.rtt.min_rtt();
    ev.srtt = t.rtt.has_sample() ? t.rtt.srtt() : Duration{-1};
    ev.delivered = t.bytes_acked + t.scoreboard.sacked_bytes();
    ev.app_limited = t.snd_ring.size() <= (t.snd_max - t.snd.una).v;
    t.ca->on_ack(t.cc, ev);
  }
  // RFC 6675 §5: SACKed data may already show snd.una's segment lost.
  if (t.sack_ok && !rack_on(t) && t.snd.una != t.snd_max && t.snd.una.after_eq(t.recover) &&
      t.scoreboard.is_lost(t.snd.una, t.eff_mss))
    enter_sack_recovery(t, now);
}

// RFC 6298 (5.4)-(5.6) expiry, the recovery side: leave recovery, and
// forget SACK information (RFC 2018 §8, RFC 6675 §5.1: the receiver may
// have reneged); RecoveryPoint = HighData so old duplicates do not start a
// new recovery (RFC 6582 §4, RFC 6675 §5.1).
void TcpLayer::on_rto_recovery(Tcb& t) {
  counters_.inc(Counter::TcpExtTCPTimeouts);
  t.undo_valid = false;  // no undo of a timeout (no F-RTO, RFC 5682)
  t.in_recovery = false;
  t.sack_recovery = false;
  t.rescue_valid = false;
  t.rxt_track = false;
  t.dupacks = 0;
  t.recover = t.snd_max;
  t.scoreboard.clear();
  t.high_rxt = t.snd.una;
  rack_on_rto(t);
}

}  // namespace stackd::tcp
