// Segment arrives, laid out as RFC 9293 §3.10.7 (STYLE.md #5): SYN-SENT
// (§3.10.7.3) on its own, then the "otherwise" steps first..eighth in the
// RFC's order (§3.10.7.4). LISTEN (§3.10.7.2) is in listen.cc, CLOSED
// (§3.10.7.1) in tcp_layer.cc / output.cc.
#include <algorithm>
#include <cerrno>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

namespace {

uint8_t wscale_for(uint32_t buf) {
  // RFC 7323 §2.3: the smallest shift that lets the whole buffer be offered.
  uint8_t s = 0;
  while (s < wire::kTcpMaxWindowScale && (buf >> s) > 0xffff) ++s;
  return s;
}

}  // namespace

// The options of the peer's SYN (RFC 9293 §3.7.1, RFC 7323 §2.2/§3.2,
// RFC 2018 §2): an option is in force only if both SYNs carried it (we
// always offer what the configuration enables).
void negotiate(TcpLayer& L, Tcb& t, const Segment& s) {
  const auto& o = s.h.options;
  const TcpConfig& c = L.config();
  // RFC 9293 §3.7.1: without the option the peer accepts 536 bytes.
  t.snd_mss = o.mss ? *o.mss : 536;
  t.wscale_ok = c.window_scaling && o.window_scale.has_value();
  t.snd_wscale = t.wscale_ok ? std::min<uint8_t>(*o.window_scale, wire::kTcpMaxWindowScale) : 0;
  t.rcv_wscale = t.wscale_ok ? wscale_for(c.rcv_buf) : 0;
  t.sack_ok = c.sack && o.sack_permitted;
  t.ts_ok = c.timestamps && o.timestamps.has_value();
  if (t.ts_ok) t.ts_recent = o.timestamps->tsval;
  uint32_t mss = std::min<uint32_t>(t.snd_mss, t.rcv_mss);
  if (t.ts_ok) mss -= 12;  // RFC 7323 §3.2: 10 bytes + 2 NOPs on every segment
  t.eff_mss = static_cast<uint16_t>(std::max<uint32_t>(mss, 64));
}

uint8_t rcv_wscale_offer(const TcpConfig& c) { return wscale_for(c.rcv_buf); }

namespace {

// RFC 9293 §3.10.7.3 SYN-SENT.
void syn_sent(TcpLayer& L, Tcb& t, const Segment& s, Instant now) {
  // first, check the ACK bit
  bool ack_ok = false;
  if (s.has_ack()) {
    if (s.ack.before_eq(t.iss) || s.ack.after(t.snd_max)) {
      L.drops().drop(DropReason::kTcpSynSentBad);
      if (!s.rst()) L.send_rst_for(s, now);  // <SEQ=SEG.ACK><CTL=RST>
      return;
    }
    ack_ok = s.ack.in_range(t.snd.una, t.snd_max);
  }
  // second, check the RST bit (RFC 5961 §3: the ACK must acknowledge our SYN)
  if (s.rst()) {
    if (ack_ok) {
      L.counters().inc(Counter::TcpAttemptFails);
      L.connection_reset(t, ECONNREFUSED);  // "error: connection reset"
    } else {
      L.drops().drop(DropReason::kTcpSynSentBad);
    }
    return;
  }
  // third, security: not implemented (RFC 9293 §3.10.7.3, IPsec is below us).
  // fourth, check the SYN bit
  if (!s.syn()) {
    L.drops().drop(DropReason::kTcpSynSentBad);
    return;
  }
  t.irs = s.seq;
  t.rcv.nxt = s.seq + 1;
  t.rcv_adv = t.rcv.nxt;
  negotiate(L, t, s);
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  t.snd.wnd = s.h.window;
  t.max_snd_wnd = t.snd.wnd;
  t.snd.wl1 = s.seq;
  t.snd.wl2 = s.ack;
  if (s.has_ack()) {
    t.snd.una = s.ack;
    if (t.retries == 0) t.rtt.sample(now - t.rtt_start);  // Karn: only an unretransmitted SYN
    t.rtt_timing = false;
  }
  if (t.snd.una.after(t.iss)) {
    L.disarm(t, kTimerRetransmit);
    t.retries = 0;
    t.rtt.reset_backoff();
    L.init_cc(t, now);
    L.set_state(t, TcpState::kEstablished);
    t.last_rcv = now;
    t.ack_now = true;  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    L.output(t, now);
    if (t.keepalive) L.arm(t, kTimerKeepalive, now + t.keep_idle);
  } else {
    // Simultaneous open (RFC 9293 Figure 7): <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    L.set_state(t, TcpState::kSynReceived);
    L.send_syn(t, now);
  }
}

}  // namespace

// A SYN for a connection in TIME-WAIT (RFC 9293 §3.10.7.4 note, RFC 1122
// §4.2.2.13, RFC 6191 §2): it may reopen the connection when it cannot be
// an old duplicate of it. With timestamps on the old connection and on the
// SYN, its TSval must be newer than TS.Recent (RFC 6191); otherwise its
// sequence number must lie beyond RCV.NXT. The new connection's ISS is
// above everything the old one sent (Linux: SND.NXT + 65535 + 2), so old
// duplicates cannot be taken for new data. true: the SYN was taken.
bool TcpLayer::time_wait_syn(Tcb& t, const Segment& s, Instant now) {
  if (!s.syn() || s.rst() || s.has_ack()) return false;
  const auto& ts = s.h.options.timestamps;
  const bool newer = t.ts_ok && ts ? static_cast<int32_t>(ts->tsval - t.ts_recent) > 0
                                   : s.seq.after(t.rcv.nxt);
  if (!newer) return false;  // answered with an ACK below, as Linux does
  Tcb* l = listener_for(s);
  if (l == nullptr) return false;
  uint32_t iss = (t.snd_max + 65535 + 2).raw();
  if (iss == 0) iss = 1;
  to_closed(t);  // the old incarnation ends here (its slot may be freed)
  listen_input(*l, s, now, iss);
  return true;
}

void TcpLayer::segment_arrives(Tcb& t, const Segment& s, Instant now) {
  switch (t.state) {
    case TcpState::kClosed:
    case TcpState::kListen:
      drops_.drop(DropReason::kTcpNoSocket);
      if (!s.rst()) send_rst_for(s, now);
      return;
    case TcpState::kSynSent:
      syn_sent(*this, t, s, now);
      return;
    default:
      break;
  }
  if (t.state == TcpState::kEstablished && cfg_.fast_path && fast_path(t, s, now)) return;
  if (t.state == TcpState::kTimeWait && time_wait_syn(t, s, now)) return;
  using namespace wire::tcp_flag;
  SeqNum seq = s.seq;
  std::span<const uint8_t> text = s.payload;
  bool syn = s.syn(), fin = s.fin();
  const bool rst = s.rst();

  // RFC 7323 §5.3 PAWS, before the acceptability test: a segment whose
  // TSval is older than TS.Recent is a duplicate from an old window.
  const auto& ts = s.h.options.timestamps;
  if (t.ts_ok && ts && !rst && static_cast<int32_t>(ts->tsval - t.ts_recent) < 0) {
    drops_.drop(DropReason::kTcpPaws);
    t.ack_now = true;
    output(t, now);
    return;
  }

  // A retransmitted SYN of the peer (its sequence number is IRS, already
  // acknowledged) loses the SYN flag and the sequence number it occupied,
  // as BSD's tcp_input trims it. In SYN-RECEIVED it means our SYN,ACK was
  // lost: resend it at once (Linux tcp_check_req) instead of waiting for
  // the RTO.
  bool dup_syn = false;
  if (syn && seq.before(t.rcv.nxt)) {
    syn = false;
    seq += 1;
    dup_syn = true;
    if (t.state == TcpState::kSynReceived && !s.has_ack()) {
      send_syn(t, now);
      return;
    }
  }

  // first, check sequence number (RFC 9293 §3.10.7.4 acceptability test)
  const uint32_t wnd = t.rcv_adv.after(t.rcv.nxt) ? (t.rcv_adv - t.rcv.nxt).v : 0;
  const uint32_t seg_len = static_cast<uint32_t>(text.size()) + (fin ? 1 : 0);
  bool ok;
  // A segment without text may sit at the right edge itself (Linux
  // tcp_sequence: seq <= RCV.NXT + RCV.WND): a peer that filled the window
  // sends its ACKs from there while a hole before them is still missing,
  // and the RFC's strict test would lose every acknowledgment they carry.
  if (seg_len == 0)
    ok = wnd == 0 ? seq == t.rcv.nxt : seq.in_range(t.rcv.nxt, t.rcv.nxt + wnd);
  else
    ok = wnd != 0 && (seq.in_window(t.rcv.nxt, wnd) || (seq + (seg_len - 1)).in_window(t.rcv.nxt, wnd));
  if (!ok && wnd == 0 && seq == t.rcv.nxt) {
    // "If the RCV.WND is zero, no segments will be acceptable, but special
    // allowance should be made to accept valid ACKs, URGs, and RSTs": the
    // text (a zero-window probe) is dropped and acknowledged, the rest goes on.
    text = {};
    fin = false;
    t.ack_now = true;
    ok = true;
  }
  if (!ok) {
    // RFC 2883 §4: report a wholly duplicate segment as a D-SACK block.
    if (t.sack_ok && !text.empty() && (seq + seg_len).before_eq(t.rcv.nxt)) {
      t.rx_ranges.note_dsack(seq, seq + static_cast<uint32_t>(text.size()));
      counters_.inc(Counter::TcpExtTCPDSACKOldSent);
    }
    drops_.drop(DropReason::kTcpUnacceptable);
    if (!rst) {  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
      t.ack_now = true;
      output(t, now);
    }
    return;
  }
  // Trim to the window: the part before rcv.nxt (a partial duplicate) ...
  if (seq.before(t.rcv.nxt)) {
    const uint32_t d = (t.rcv.nxt - seq).v;
    if (t.sack_ok && !text.empty()) {
      t.rx_ranges.note_dsack(seq, t.rcv.nxt);
      counters_.inc(Counter::TcpExtTCPDSACKOldSent);
    }
    text = text.subspan(std::min<size_t>(d, text.size()));
    seq = t.rcv.nxt;
  }
  // ... and the part beyond its right edge (the FIN then is not in window).
  if (const uint32_t room = wnd - (seq - t.rcv.nxt).v; text.size() > room) {
    text = text.first(room);
    fin = false;
  }
  if (dup_syn) t.ack_now = true;  // a retransmitted SYN,ACK wants our ACK again
  // RFC 7323 §4.3 (2): TS.Recent from a segment that covers Last.ACK.sent.
  if (t.ts_ok && ts && seq.before_eq(t.last_ack_sent)) t.ts_recent = ts->tsval;

  // second, check the RST bit (RFC 5961 §3.2: only an exact match resets;
  // any other in-window RST gets a challenge ACK)
  if (rst) {
    if (seq != t.rcv.nxt) {
      drops_.drop(DropReason::kTcpRstInvalid);
      challenge_ack(t, now);
      return;
    }
    switch (t.state) {
      case TcpState::kSynReceived:
        // Passive open: the child goes away (its listener stays). Active
        // (simultaneous) open: "connection refused".
        if (t.parent != kNoTcb) counters_.inc(Counter::TcpAttemptFails);
        connection_reset(t, ECONNREFUSED);
        return;
      case TcpState::kEstablished:
      case TcpState::kFinWait1:
      case TcpState::kFinWait2:
      case TcpState::kCloseWait:
        connection_reset(t, ECONNRESET);
        return;
      case TcpState::kTimeWait:
        // TIME-WAIT assassination (RFC 1337): Linux's default
        // (tcp_rfc1337 = 0) lets an exact RST end TIME-WAIT early; with
        // rfc1337 set it is ignored and TIME-WAIT runs its 2*MSL.
        if (cfg_.rfc1337) return;
        to_closed(t);
        return;
      default:  // CLOSING, LAST-ACK
        to_closed(t);
        return;
    }
  }
  // third, check security: not implemented (RFC 9293 §3.10.7.4 third).

  // fourth, check the SYN bit (RFC 5961 §4.2: a SYN in a synchronized state,
  // wherever its sequence number, is answered by a challenge ACK)
  if (syn) {
    drops_.drop(DropReason::kTcpSynInWindow);
    if (t.state == TcpState::kSynReceived && t.parent != kNoTcb) {
      to_closed(t);  // passive open: "return this connection to the LISTEN state"
      return;
    }
    challenge_ack(t, now);
    return;
  }

  // fifth, check the ACK field
  if (!s.has_ack()) {
    drops_.drop(DropReason::kTcpNoAck);
    if (t.ack_now) output(t, now);
    return;
  }
  if (t.state == TcpState::kSynReceived) {
    if (!s.ack.after(t.snd.una) || s.ack.after(t.snd_max)) {
      drops_.drop(DropReason::kTcpAckInvalid);
      send_rst_for(s, now);  // <SEQ=SEG.ACK><CTL=RST>
      return;
    }
    // A full accept queue: Linux (tcp_check_req, tcp_abort_on_overflow = 0)
    // drops the ACK and keeps the child; its SYN,ACK is resent on the timer
    // and the peer's next ACK may find room.
    if (t.parent != kNoTcb && accept_queue_full(*pool_[t.parent])) {
      counters_.inc(Counter::TcpExtListenOverflows);
      counters_.inc(Counter::TcpExtListenDrops);
      drops_.drop(DropReason::kTcpListenOverflow);
      return;
    }
    disarm(t, kTimerRetransmit);
    if (t.retries == 0) t.rtt.sample(now - t.rtt_start);
    t.retries = 0;
    t.rtt.reset_backoff();
    t.rtt_timing = false;
    t.snd.una = s.ack;
    t.snd.wnd = static_cast<uint32_t>(s.h.window) << t.snd_wscale;
    t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd.wnd);
    t.snd.wl1 = seq;
    t.snd.wl2 = s.ack;
    init_cc(t, now);
    set_state(t, TcpState::kEstablished);
    if (t.parent != kNoTcb) child_established(t);
    if (t.keepalive) arm(t, kTimerKeepalive, now + t.keep_idle);
  }
  t.last_rcv = now;
  // RFC 5961 §5.2: acceptable ACKs lie in [snd.una - MAX.SND.WND, snd.nxt].
  if (s.ack.after(t.snd_max)) {  // acknowledges something not yet sent
    drops_.drop(DropReason::kTcpAckInvalid);
    t.ack_now = true;
    output(t, now);
    return;
  }
  if (s.ack.before(t.snd.una - t.max_snd_wnd)) {
    drops_.drop(DropReason::kTcpAckInvalid);
    challenge_ack(t, now);
    return;
  }
  if (!s.ack.before(t.snd.una)) {
    // Linux tcp_ack: an ACK not older than SND.UNA answers the zero-window
    // and keepalive probes (icsk_probes_out = 0); one without data that
    // comes this way (not the fast path) is a TCPPureAcks.
    t.probes = 0;
    if (text.empty() && !fin) counters_.inc(Counter::TcpExtTCPPureAcks);
  }
  const uint32_t seg_wnd = static_cast<uint32_t>(s.h.window) << t.snd_wscale;
  const SackUpdate sack = sack_input(t, s, now);  // RFC 6675 §5 scoreboard (loss_recovery.cc)
  if (s.ack.after(t.snd.una)) {
    new_ack(t, s, sack, now);
  } else if (s.ack == t.snd.una && t.snd.una != t.snd_max &&
             (t.sack_ok || (text.empty() && !fin && seg_wnd == t.snd.wnd))) {
    // RFC 5681 §2 duplicate ACK, conditions (a)-(e); with SACK, RFC 6675 §2
    // (it must SACK new data: on_dup_ack decides).
    on_dup_ack(t, sack, now);
  }
  update_send_window(t, seq, s.ack, seg_wnd);
  const bool fin_acked = t.fin_sent && s.ack.after(t.fin_seq);
  switch (t.state) {
    case TcpState::kFinWait1:
      if (fin_acked) {
        set_state(t, TcpState::kFinWait2);
        // Linux tcp_fin_timeout: an orphan does not wait for the peer's FIN forever.
        if (t.user_closed) arm(t, kTimerTimeWait, now + cfg_.time_wait);
      }
      break;
    case TcpState::kClosing:
      if (fin_acked) {
        enter_time_wait(t, now);
        return;
      }
      break;
    case TcpState::kLastAck:
      if (fin_acked) {
        to_closed(t);
        return;
      }
      break;
    default:
      break;
  }

  // sixth, check the URG bit: urgent data is not supported (RFC 6093
  // recommends against its use); the bytes are delivered inline.

  // seventh, process the segment text
  switch (t.state) {
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      if (!text.empty() && t.rd_shut) {
        // New data for a connection its user has closed (an orphan: nobody
        // will ever read it). RFC 1122 §4.2.2.13 / RFC 9293 §3.10.4: the
        // connection is aborted with a reset, as Linux tcp_rcv_state_process
        // does (TCPAbortOnData), the reset answering this segment
        // (<SEQ=SEG.ACK><CTL=RST>). A half-closed socket (shutdown_wr) has
        // no rd_shut and keeps receiving. Duplicates were trimmed or
        // dropped by the first step, so `text` is new data.
        counters_.inc(Counter::TcpExtTCPAbortOnData);
        send_rst_for(s, now);
        connection_reset(t, ECONNRESET);
        return;
      }
      process_text(t, seq, text, now);
      break;
    default:
      break;  // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent FIN
  }

  // eighth, check the FIN bit (only when everything before it has arrived).
  // An out-of-order FIN is remembered and takes effect once rcv.nxt reaches
  // it (RFC 9293 §3.10.7.4 seventh: segments beyond rcv.nxt are "held for
  // later processing"), so the peer need not resend it.
  SeqNum fin_at = seq + static_cast<uint32_t>(text.size());
  if (fin && fin_at.after(t.rcv.nxt) && !t.fin_received) {
    t.fin_pending = true;
    t.rcv_fin_seq = fin_at;
    t.ack_now = true;  // RFC 5681 §4.2: out of order, a duplicate ACK at once
    fin = false;
  }
  if (!fin && t.fin_pending && !t.rcv.nxt.before(t.rcv_fin_seq)) {
    t.fin_pending = false;  // data ran past a FIN that was not one: forget it
    if (t.rcv.nxt == t.rcv_fin_seq) {
      fin = true;
      fin_at = t.rcv_fin_seq;
    }
  }
  if (fin && fin_at == t.rcv.nxt) {
    t.fin_pending = false;
    t.rcv.nxt += 1;
    t.fin_received = true;
    t.ack_now = true;
    switch (t.state) {
      case TcpState::kSynReceived:
      case TcpState::kEstablished:
        set_state(t, TcpState::kCloseWait);
        break;
      case TcpState::kFinWait1:
        if (fin_acked) {
          enter_time_wait(t, now);
          send_ack(t, now);
          return;
        }
        set_state(t, TcpState::kClosing);
        break;
      case TcpState::kFinWait2:
        enter_time_wait(t, now);
        send_ack(t, now);
        return;
      case TcpState::kTimeWait:
        enter_time_wait(t, now);  // restart the 2 MSL time-wait timeout
        send_ack(t, now);
        return;
      default:
        break;  // CLOSE-WAIT, CLOSING, LAST-ACK: remain
    }
    notify(t);
  } else if (fin && t.state == TcpState::kTimeWait) {
    t.ack_now = true;
  }
  if (t.state == TcpState::kTimeWait) {
    if (t.ack_now) send_ack(t, now);
    return;
  }
  output(t, now);
}

}  // namespace stackd::tcp
