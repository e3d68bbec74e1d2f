// The Transmission Control Block (RFC 9293 §3.3.1) as plain data that the
// parts of TCP share: input.cc (segment arrives), output.cc (segments cut
// from the send ring), timers.cc, loss_recovery.cc, listen.cc and the socket
// API. Variables carry the RFC's names grouped as the RFC groups them
// (STYLE.md #4); extensions are tagged with their RFC.
//
// Connections are referred to by their index in TcpLayer's pool (the timer
// wheel stores (index, TimerKind)), never by pointer; `gen` tells a reused
// slot from the connection a stale handle meant.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/addr.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/byte_ring.h"
#include "transport/demux.h"
#include "transport/tcp/congestion.h"
#include "transport/tcp/rtt.h"
#include "transport/tcp/rx_ranges.h"
#include "transport/tcp/sack_scoreboard.h"
#include "transport/tcp/seq.h"
#include "transport/tcp/xmit_log.h"

namespace stackd::tcp {

// RFC 9293 §3.3.2, the eleven states.
enum class TcpState : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
const char* state_name(TcpState s);

// States in which the connection is synchronized (RFC 9293 §3.5.2 (3)).
constexpr bool is_synchronized(TcpState s) {
  return s >= TcpState::kEstablished;
}

// One timer per kind per connection, on the worker's TimerWheel.
enum TimerKind : uint8_t {
  kTimerRetransmit,  // RFC 6298 RTO (also SYN / SYN-ACK retransmission)
  kTimerPersist,     // RFC 9293 §3.8.6.1 zero-window probes
  kTimerDelayedAck,  // RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2
  kTimerKeepalive,   // RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6
  kTimerTimeWait,    // RFC 9293 §3.6 2*MSL
  kTimerCount,
};

// What the retransmission timer slot currently means (as Linux's
// icsk_pending): the RTO, RACK's reordering timer (RFC 8985 §6.3) or the
// TLP probe timeout (RFC 8985 §7.2); PTO and RTO are never armed together.
enum class RtxTimer : uint8_t { kRto, kReo, kPto };

// RFC 8985 RACK-TLP per-connection state (rack.cc). Times are a µs clock
// truncated to 32 bits (XmitLog); RACK's RTT is at most seconds.
struct RackState {
  uint32_t xmit_us = 0;  // RACK.xmit_ts: the latest send time of a delivered segment
  SeqNum end_seq;        // RACK.end_seq: its end
  uint32_t rtt_us = 0;   // RACK.rtt: RTT of that delivery
  // RACK.min_RTT from RACK's own µs samples: the RttEstimator's come from
  // 1 ms timestamps and are 0 on a fast path, which would make reo_wnd 0.
  uint32_t min_rtt_us = UINT32_MAX;
  SeqNum dsack_round;    // RACK.dsack_round (valid if dsack_round_valid)
  SeqNum tlp_end_seq;    // TLP.end_seq (valid if tlp_active)
  uint8_t reo_wnd_mult = 1;     // RACK.reo_wnd_mult
  uint8_t reo_wnd_persist = 0;  // RACK.reo_wnd_persist
  bool valid : 1 = false;            // xmit_us/end_seq/rtt_us set (something was delivered)
  bool dsack_round_valid : 1 = false;
  bool reordering_seen : 1 = false;  // RACK.reordering_seen
  bool tlp_active : 1 = false;       // TLP.end_seq is not None
  bool tlp_is_retrans : 1 = false;   // TLP.is_retrans
  bool tlp_dsacked : 1 = false;      // a D-SACK reported the probe (RFC 8985 §7.4.2)
};

struct Tcb {
  // ---- identity
  uint32_t index = 0;
  uint32_t gen = 0;
  TcpState state = TcpState::kClosed;
  // IPv4 or IPv6 (both of one family once set); a dual-stack listener on
  // :: accepts IPv4 children, which hold IPv4 addresses (the session shows
  // them v4-mapped to an AF_INET6 socket).
  IpAddr local_addr, remote_addr;
  uint16_t local_port = 0, remote_port = 0;
  uint16_t ifindex = 0;  // route's interface (frames come from its pool)
  bool in_flow_table = false;
  bool v6only = false;     // IPV6_V6ONLY: a listener on :: takes no IPv4
  uint8_t hop_limit = 0;   // IPV6_UNICAST_HOPS (0: the layer's default)
  uint8_t tclass = 0;      // IPV6_TCLASS
  bool sack_ok = false;  // both sides sent SACK-permitted

  // ---- RFC 9293 §3.3.1 send sequence variables
  struct {
    SeqNum una;      // oldest unacknowledged sequence number
    SeqNum nxt;      // next sequence number to be sent
    uint32_t wnd = 0;  // send window (already scaled by snd_wscale)
    SeqNum wl1;      // segment sequence number used for last window update
    SeqNum wl2;      // segment acknowledgment number used for last window update
  } snd;
  SeqNum iss;  // initial send sequence number

  // ---- RFC 9293 §3.3.1 receive sequence variables
  struct {
    SeqNum nxt;      // next sequence number expected on an incoming segment
    uint32_t wnd = 0;  // receive window (what we last advertised, unscaled bytes)
  } rcv;
  SeqNum irs;  // initial receive sequence number

  uint32_t max_snd_wnd = 0;  // RFC 5961 §5.2 MAX.SND.WND: largest window the peer offered
  SeqNum rcv_adv;            // right edge of the window we last advertised (rcv.nxt + wnd)
  SeqNum snd_max;            // highest sequence number sent (snd.nxt may be pulled back by RTO)

  // ---- RFC 9293 §3.7.1 segment size
  uint16_t snd_mss = 536;   // what the peer's MSS option allows (RFC 9293 §3.7.1 default 536)
  uint16_t rcv_mss = 1460;  // what we advertise (interface MTU - 40)
  uint16_t eff_mss = 536;   // payload per segment: min(snd_mss, path) - option bytes

  // ---- RFC 7323 window scale and timestamps
  uint8_t snd_wscale = 0;  // shift applied to the peer's window field
  uint8_t rcv_wscale = 0;  // shift the peer applies to ours
  bool wscale_ok = false;
  bool ts_ok = false;        // both sides sent TSopt on SYN
  uint32_t ts_recent = 0;    // RFC 7323 §4.3 TS.Recent
  SeqNum last_ack_sent;      // RFC 7323 §4.3 Last.ACK.sent
  uint32_t ts_offset = 0;    // per-connection TSval offset (RFC 7323 §5.4)

  // ---- RFC 2018 SACK
  RxRanges rx_ranges;    // receiver: out-of-order islands, SACK and D-SACK blocks

  // ---- RFC 6298 retransmission timer (Karn: only never-retransmitted segments are timed)
  RttEstimator rtt;
  SeqNum rtt_seq;      // the segment being timed ends here (if rtt_timing, below)
  uint32_t retries = 0;        // consecutive RTO expirations (tcp_retries2 / syn_retries)
  Instant rtt_start;
  Instant first_retrans;       // when the current series of retransmissions began
                               // (the unacknowledged data's timer started then)

  // ---- RFC 5482 TCP_USER_TIMEOUT (Linux semantics): unacknowledged data
  // (or an unanswered zero-window / keepalive probe series) older than this
  // aborts the connection with ETIMEDOUT, instead of the retry counts.
  Duration user_timeout = Duration::zero();  // zero: off
  // First zero-window probe of the current zero window (never: not probing);
  // the user timeout counts from it (Linux icsk_probes_tstamp).
  Instant probes_start = Instant::never();

  // ---- RFC 5681 congestion control (the algorithm is chosen per socket)
  CcState cc;
  std::unique_ptr<CongestionControl> ca;
  uint32_t dupacks = 0;        // RFC 5681 §2 duplicate ACK count
  bool in_recovery = false;    // RFC 6582 fast recovery
  bool sack_recovery = false;  // in_recovery by RFC 6675 (else RFC 6582 NewReno)
  bool rescue_valid = false;   // rescue_rxt is set
  bool rtt_timing = false;     // RFC 6298: rtt_seq is being timed (Karn)
  SeqNum recover;              // RFC 6582 "recover" = RFC 6675 RecoveryPoint
  SeqNum undo_fack;            // highest SACKed (+1) when the loss episode began (undo_valid)
  // ---- RFC 6675 SACK-based loss recovery (loss_recovery.cc)
  SackScoreboard scoreboard;   // what the peer SACKed in [snd.una, snd_max)
  // ---- RFC 8985 RACK-TLP (rack.cc): transmissions of [snd.una, snd_max)
  XmitLog xmit_log;
  RackState rack;
  SeqNum high_rxt;             // RFC 6675 HighRxt + 1 (sack_scoreboard.h convention)
  SeqNum rescue_rxt;           // RFC 6675 RescueRxt (valid if rescue_valid)
  // Lost-retransmission detection (as Linux tcp_mark_lost_retrans): the
  // oldest outstanding retransmission starts at rxt_seq and was sent when
  // snd_max was rxt_mark; IsLost(rxt_mark) then means it was lost too.
  bool rxt_track = false;
  // Undoing a spurious loss episode (Linux undo_marker / undo_retrans):
  // detected by D-SACKs for all that was resent (RFC 3708 §3) or by an ACK
  // whose TSecr predates the first retransmission (RFC 3522 Eifel); the
  // response is CongestionControl::on_spurious (RFC 4015). Valid from the
  // entry into recovery until undone, the next episode or an RTO; the
  // episode ends at `recover`.
  bool undo_valid = false;
  // Measured reordering in segments (Linux tp->reordering, default 3):
  // the scoreboard's DupThresh and the duplicate-ACK threshold.
  uint16_t reordering = SackScoreboard::kDupThresh;
  SeqNum rxt_seq, rxt_mark;
  SeqNum undo_marker;          // snd.una when the episode began
  uint32_t undo_retrans = 0;   // octets resent in it and not yet D-SACKed
  uint32_t retrans_stamp = 0;  // our TSval of its first retransmission
  uint32_t owner = 0;         // opaque tag of whoever holds the socket
  Duration last_rtt_sample{-1};  // the RTT sample of the ACK being processed (AckEvent)
  Instant last_send;           // RFC 5681 §4.1 idle restart

  // ---- timers
  std::array<TimerHandle, kTimerCount> timers{};
  uint16_t probes = 0;            // zero-window / keepalive probes sent unanswered (Linux icsk_probes_out)
  uint16_t probe_backoff = 0;     // persist interval doublings of this zero window (Linux icsk_backoff)
  uint32_t delack_segs = 0;       // full-sized segments received since the last ACK
  bool ack_now = false;           // an ACK must go out in the next output()
  bool delack_pending = false;    // an ACK is owed; the delayed-ACK timer runs
  RtxTimer rtx_timer = RtxTimer::kRto;  // what kTimerRetransmit is armed for
  bool fin_sent = false;
  bool fin_received = false;
  bool fin_pending = false;  // an out-of-order FIN is held until rcv.nxt reaches rcv_fin_seq

  // ---- buffers: send data stays in the send ring until acknowledged and
  // is re-cut from snd.una; received data goes to rcv_ring at seq - rcv.nxt.
  // The rings' storage is lent by TcpLayer's BufferPool only while they hold
  // bytes (buffers.cc): a detached ring has no storage (is_valid() false)
  // but keeps its offsets, so a ring attached later starts where it ended.
  buf::ByteRing snd_ring{std::span<uint8_t>{}};
  buf::ByteRing rcv_ring{std::span<uint8_t>{}};
  // Ring storage supplied by the owner instead (a client's shared-memory
  // rings, daemon/session): never the pool's, never given back to it; the
  // bytes are untrusted payload, the offsets stay ours (buffers.cc).
  bool snd_external = false;
  bool rcv_external = false;
  bool fin_queued = false;  // the user closed the send side: FIN after the ring's data
  SeqNum fin_seq;           // sequence number of our FIN once sent (valid if fin_sent)
  SeqNum rcv_fin_seq;        // sequence number of the peer's FIN when fin_pending

  // ---- socket options and user state
  bool nodelay = false;     // TCP_NODELAY: no Nagle
  bool cork = false;        // TCP_CORK: hold partial segments
  bool keepalive = false;   // SO_KEEPALIVE
  bool syncookie_used = false;
  bool accept_queued = false;        // child: sits in its parent's accept queue
  bool event_queued = false;  // on TcpLayer's ready list
  bool user_closed = false;  // close() called: the layer frees the TCB when done
  bool rd_shut = false;      // no more reads (close with unread data sends RST)
  uint32_t keep_cnt = 9;                          // TCP_KEEPCNT
  Duration keep_idle = Duration::seconds(7200);   // TCP_KEEPIDLE (Linux default)
  Duration keep_intvl = Duration::seconds(75);    // TCP_KEEPINTVL
  int error = 0;             // pending SO_ERROR (positive errno)
  Instant last_rcv;          // for keepalive

  // ---- listen (listen.cc)
  uint32_t parent = UINT32_MAX;      // listener that created this (SYN-RECEIVED child)
  uint32_t backlog = 0;              // listener: accept queue bound
  std::vector<uint32_t> syn_queue;     // listener: children in SYN-RECEIVED
  std::vector<uint32_t> accept_queue;  // listener: established children not yet accepted
  // listener: when it last answered with a SYN cookie (Linux
  // tcp_synq_overflow); returning ACKs are checked as cookies only for a
  // while after that (Linux tcp_synq_no_recent_overflow).
  Instant syncookie_sent_at;

  // ---- events for the owner (services / session layer)

  // ---- per-connection statistics (TCP_INFO)
  uint64_t bytes_acked = 0;
  uint64_t bytes_received = 0;
  uint32_t total_retrans = 0;
  uint32_t segs_in = 0, segs_out = 0;
  int soft_error = 0;        // last soft ICMP error (RFC 1122 §4.2.3.9)
};

}  // namespace stackd::tcp
