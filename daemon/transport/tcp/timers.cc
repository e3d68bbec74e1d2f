// TCP timers on the worker's TimerWheel, keyed (TCB index, TimerKind):
// retransmission (RFC 6298, with the SYN / SYN,ACK retries), persist
// (RFC 9293 §3.8.6.1), delayed ACK (RFC 9293 §3.8.6.3), keepalive
// (RFC 9293 §3.8.4) and TIME-WAIT (2*MSL, RFC 9293 §3.6; also the orphan
// FIN-WAIT-2 timeout, Linux tcp_fin_timeout).
#include <algorithm>
#include <cerrno>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

void TcpLayer::arm(Tcb& t, TimerKind k, Instant deadline) {
  wheel_.restart(t.timers[k], deadline, t.index, k);
}

void TcpLayer::disarm(Tcb& t, TimerKind k) { wheel_.stop(t.timers[k]); }

void TcpLayer::arm_rto(Tcb& t, Instant now) {
  arm(t, kTimerRetransmit, now + t.rtt.rto());
  t.rtx_timer = RtxTimer::kRto;
}

void TcpLayer::enter_time_wait(Tcb& t, Instant now) {
  for (int k = 0; k < kTimerCount; ++k) wheel_.stop(t.timers[k]);
  set_state(t, TcpState::kTimeWait);
  arm(t, kTimerTimeWait, now + cfg_.time_wait);
}

// RFC 9293 §3.8.6.3 / RFC 5681 §4.2: ACK at least every second full-sized
// segment, otherwise within the delayed-ACK bound.
void TcpLayer::schedule_ack(Tcb& t, bool full_segment, Instant now) {
  if (full_segment && ++t.delack_segs >= 2) {
    t.ack_now = true;
    return;
  }
  if (!t.delack_pending) {
    t.delack_pending = true;
    arm(t, kTimerDelayedAck, now + cfg_.delack);
  }
}

// Linux tcp_clamp_rto_to_user_timeout: the timer does not sleep past the
// moment the user timeout expires (measured from `since`).
// `planned`: when timer `k` was just armed to fire.
void TcpLayer::clamp_to_user_timeout(Tcb& t, Instant since, Instant planned, Instant now,
                                     TimerKind k) {
  if (t.user_timeout <= Duration::zero()) return;
  const Instant deadline = std::max(since + t.user_timeout, now);
  if (deadline < planned) arm(t, k, deadline);
}

void TcpLayer::fire(uint32_t i, TimerKind k, Instant now) {
  Tcb& t = *pool_[i];
  switch (k) {
    case kTimerRetransmit: {
      if (t.state == TcpState::kSynSent || t.state == TcpState::kSynReceived) {
        const uint32_t limit =
            t.state == TcpState::kSynSent ? cfg_.syn_retries : cfg_.synack_retries;
        // RFC 5482 / Linux tcp_write_timeout: a user timeout replaces the
        // retry count, measured from the first SYN.
        const bool expired = t.user_timeout > Duration::zero()
                                 ? now - t.rtt_start >= t.user_timeout
                                 : t.retries >= limit;
        if (expired) {
          counters_.inc(Counter::TcpAttemptFails);
          connection_reset(t, t.soft_error != 0 ? t.soft_error : ETIMEDOUT);
          return;
        }
        ++t.retries;
        t.rtt.backoff();  // RFC 6298 (5.5)
        send_syn(t, now);
        clamp_to_user_timeout(t, t.rtt_start, now + t.rtt.rto(), now);
        return;
      }
      if (t.snd.una == t.snd_max) return;  // nothing outstanding
      // The slot held RACK's reordering timer or the loss probe (rack.cc).
      if (t.rtx_timer != RtxTimer::kRto) {
        const RtxTimer what = t.rtx_timer;
        t.rtx_timer = RtxTimer::kRto;
        if (what == RtxTimer::kReo)
          rack_reo_timeout(t, now);  // RFC 8985 §6.3
        else
          tlp_send_probe(t, now);  // RFC 8985 §7.3
        return;
      }
      // The timer was started when the oldest unacknowledged data went out
      // (or was last acknowledged): one RTO ago.
      if (t.retries == 0) t.first_retrans = now - t.rtt.rto();
      // Linux tcp_retries2: give up after this many expirations in a row;
      // RFC 5482 TCP_USER_TIMEOUT: instead, once the data has waited that long.
      const bool expired = t.user_timeout > Duration::zero()
                               ? now - t.first_retrans >= t.user_timeout
                               : t.retries >= cfg_.retries2;
      if (expired) {
        send_rst(t, now);
        connection_reset(t, t.soft_error != 0 ? t.soft_error : ETIMEDOUT);
        return;
      }
      ++t.retries;
      // RFC 6298 (5.4)-(5.6): retransmit the earliest unacknowledged
      // segment, back off, restart the timer. RFC 5681 §3.1 eq. 4: cwnd
      // to the loss window; the rest is resent as the window opens again.
      const uint32_t in_flight = (t.snd_max - t.snd.una).v;
      if (t.ca) t.ca->on_rto(t.cc, in_flight, now);
      on_rto_recovery(t);  // RFC 6582 §4 recover, RFC 2018 §8 scoreboard (loss_recovery.cc)
      t.rtt_timing = false;   // Karn
      t.rtt.backoff();
      retransmit_first(t, now);
      output(t, now);
      arm_rto(t, now);
      clamp_to_user_timeout(t, t.first_retrans, now + t.rtt.rto(), now);
      return;
    }
    case kTimerPersist: {
      // RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe the zero window. Like
      // Linux (tcp_write_wakeup) the probe is <SEQ=SND.UNA-1>, no data: it
      // draws an ACK with the current window and occupies no sequence space.
      if (!is_synchronized(t.state)) return;
      // The window is open: armed because data found no frame buffer with
      // nothing in flight (output.cc). Send it now; output() re-arms the
      // timer if the pool is still out (Linux tcp_write_wakeup sends new
      // data when the window allows).
      if (t.snd.wnd != 0) {
        output(t, now);
        return;
      }
      // Linux tcp_probe_timer: the connection is given up (ETIMEDOUT) when
      // tcp_retries2 probes in a row went unanswered (any ACK not older
      // than SND.UNA answers them, input.cc / fast_path.cc), or, with a
      // user timeout (RFC 5482), once the window has stayed shut that long
      // since the first probe, answered or not. A peer that keeps
      // answering with a zero window keeps the connection (RFC 9293
      // §3.8.6.1: "as long as the receiving TCP continues to send
      // acknowledgments in response to the probe segments").
      if (t.probes_start == Instant::never()) t.probes_start = now;
      if (t.user_timeout > Duration::zero() ? now - t.probes_start >= t.user_timeout
                                            : t.probes >= cfg_.retries2) {
        send_rst(t, now);
        connection_reset(t, ETIMEDOUT);
        return;
      }
      send_segment(t, t.snd.una - 1, 0, wire::tcp_flag::kAck, now);
      ++t.probes;
      if (t.probe_backoff < UINT16_MAX) ++t.probe_backoff;
      Duration next = t.rtt.rto();
      for (uint32_t p = 0; p < t.probe_backoff && next < cfg_.rtt.max_rto; ++p) next = next * 2;
      const Instant at = now + std::min(next, cfg_.rtt.max_rto);
      arm(t, kTimerPersist, at);
      clamp_to_user_timeout(t, t.probes_start, at, now, kTimerPersist);
      return;
    }
    case kTimerDelayedAck:
      if (t.delack_pending) {
        t.delack_pending = false;
        counters_.inc(Counter::TcpExtDelayedACKs);  // Linux: the delayed-ACK timer sent one
        send_ack(t, now);
      }
      return;
    case kTimerKeepalive: {
      if (!t.keepalive || !is_synchronized(t.state)) return;
      // Heard from the peer within the idle time: not idle (an answered
      // probe counts), look again when it would be.
      if (now - t.last_rcv < t.keep_idle) {
        t.probes = 0;
        arm(t, kTimerKeepalive, t.last_rcv + t.keep_idle);
        return;
      }
      // Linux tcp_keepalive_timer: with a user timeout, give up once the
      // peer has been silent that long and a probe went unanswered.
      if (t.user_timeout > Duration::zero()
              ? t.probes > 0 && now - t.last_rcv >= t.user_timeout
              : t.probes >= t.keep_cnt) {
        send_rst(t, now);
        connection_reset(t, ETIMEDOUT);
        return;
      }
      // RFC 9293 §3.8.4: <SEQ=SND.NXT-1> with no data (elicits an ACK).
      send_segment(t, t.snd.una - 1, 0, wire::tcp_flag::kAck, now);
      ++t.probes;
      arm(t, kTimerKeepalive, now + t.keep_intvl);
      return;
    }
    case kTimerTimeWait:
      if (t.state == TcpState::kTimeWait || t.state == TcpState::kFinWait2) to_closed(t);
      return;
    default:
      return;
  }
}

}  // namespace stackd::tcp
