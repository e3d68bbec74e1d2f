// Sending: segments are cut from the send ring by sequence number (ring
// offsets are sequence numbers: the ring starts at ISS+1), so a
// retransmission re-cuts from snd.una and nothing is kept per segment.
// Options, the advertised window (receiver SWS avoidance), Nagle and sender
// SWS avoidance, pure ACKs and resets.
#include <algorithm>
#include <cstring>

#include "transport/tcp/tcp_layer.h"
#include "wire/ip_proto.h"

namespace stackd::tcp {

using namespace wire::tcp_flag;

namespace {

// The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance: the
// right edge moves only by min(buffer/2, MSS) or more; it never moves left,
// RFC 9293 §3.8.6.2.2 / RFC 7323 §2.4). Sets rcv.wnd and rcv_adv.
uint16_t window_field(const TcpLayer& L, Tcb& t, bool syn) {
  // The buffer a detached ring would get (buffers.cc) counts as free.
  const uint32_t cap = L.rcv_capacity(t);
  const uint32_t free = L.rcv_space(t);
  SeqNum edge = t.rcv.nxt + free;
  const uint32_t thresh = std::min<uint32_t>(cap / 2, t.eff_mss);
  if (t.rcv_adv.after(t.rcv.nxt) &&
      (edge.before(t.rcv_adv) || (edge - t.rcv_adv).v < thresh))
    edge = t.rcv_adv;
  uint32_t wnd = edge.after(t.rcv.nxt) ? (edge - t.rcv.nxt).v : 0;
  const uint8_t shift = syn ? 0 : t.rcv_wscale;  // RFC 7323 §2.2: a SYN's window is unscaled
  uint32_t field = std::min<uint32_t>(wnd >> shift, 0xffff);
  SeqNum adv = t.rcv.nxt + (field << shift);
  if (adv.after(t.rcv_adv) || !t.rcv_adv.after(t.rcv.nxt)) t.rcv_adv = adv;
  if (t.rcv_adv.before(t.rcv.nxt)) t.rcv_adv = t.rcv.nxt;
  t.rcv.wnd = (t.rcv_adv - t.rcv.nxt).v;
  return static_cast<uint16_t>(field);
}

// Bytes the SACK option of the next ACK takes (RFC 2018 §3: NOP NOP kind
// len + 8 per block, at most 4 blocks, 3 beside the timestamp option).
uint32_t sack_option_len(const Tcb& t) {
  if (!t.sack_ok) return 0;
  size_t n = t.rx_ranges.size() + (t.rx_ranges.has_dsack() ? 1 : 0);
  n = std::min<size_t>(n, t.ts_ok ? 3 : 4);
  return n == 0 ? 0 : static_cast<uint32_t>(4 + 8 * n);
}

}  // namespace

// One segment: `len` bytes of the send ring from `seq`, with `flags`.
bool TcpLayer::send_segment(Tcb& t, SeqNum seq, uint32_t len, uint8_t flags, Instant now) {
  wire::TcpRepr h;
  h.src_port = t.local_port;
  h.dst_port = t.remote_port;
  h.seq = seq.raw();
  h.flags = flags;
  const bool syn = flags & kSyn;
  if (syn) {
    // RFC 9293 §3.7.1 MSS; RFC 7323 WS and TS; RFC 2018 SACK-permitted. A
    // SYN,ACK carries only what the peer's SYN offered.
    const bool passive = t.state == TcpState::kSynReceived && t.parent != kNoTcb;
    h.options.mss = t.rcv_mss;
    if (cfg_.window_scaling && (!passive || t.wscale_ok))
      h.options.window_scale = passive ? t.rcv_wscale : rcv_wscale_offer(cfg_);
    h.options.sack_permitted = cfg_.sack && (!passive || t.sack_ok);
    if (cfg_.timestamps && (!passive || t.ts_ok))
      h.options.timestamps = wire::TcpTimestamps{tsval(t, now), passive ? t.ts_recent : 0};
  } else {
    if (t.ts_ok) h.options.timestamps = wire::TcpTimestamps{tsval(t, now), t.ts_recent};
    if (t.sack_ok && (flags & kAck)) {
      // RFC 2018 §3: 4 blocks, 3 beside the timestamp option; and no more
      // than fit beside `len` bytes in the path's segment size (eff_mss
      // leaves room for the timestamps only), as Linux tcp_current_mss.
      const uint32_t room = t.eff_mss > len + 4 ? (t.eff_mss - len - 4) / 8 : 0;
      std::array<SackBlock, 4> b;
      const size_t n = t.rx_ranges.sack_blocks(b, std::min<size_t>(t.ts_ok ? 3 : 4, room));
      for (size_t i = 0; i < n; ++i) h.options.sack[i] = {b[i].start.raw(), b[i].end.raw()};
      h.options.sack_count = static_cast<uint8_t>(n);
    }
  }
  if (flags & kAck) {
    h.ack = t.rcv.nxt.raw();
    h.window = window_field(*this, t, syn);
    t.last_ack_sent = t.rcv.nxt;
    t.ack_now = false;
    t.delack_segs = 0;
    if (t.delack_pending) {
      t.delack_pending = false;
      disarm(t, kTimerDelayedAck);
    }
  } else if (syn) {
    // A SYN without ACK (active open) offers its receive window too, unscaled
    // (RFC 9293 §3.1 "Window"; RFC 7323 §2.2), as Linux's SYN does; rcv.nxt is
    // not known yet, so no advertised edge is recorded.
    h.window = static_cast<uint16_t>(std::min<uint32_t>(rcv_space(t), 0xffff));
  }
  h.payload_len = len;
  const uint32_t total = static_cast<uint32_t>(h.header_len()) + len;
  buf::PacketBuf pkt = frame_pool(t.remote_addr, t.ifindex).alloc(total);
  if (!pkt || !pkt.append(total)) {
    drops_.drop(DropReason::kNoBuffer);
    return false;
  }
  if (len != 0) {
    const uint32_t off = (seq - SeqNum(t.snd_ring.head())).v;
    t.snd_ring.peek(off, pkt.bytes().subspan(h.header_len(), len));
  }
  h.emit(pkt.bytes(), t.local_addr, t.remote_addr);
  counters_.inc(Counter::TcpOutSegs);
  if ((len != 0 || (flags & (kSyn | kFin))) && seq.before(t.snd_max))
    counters_.inc(Counter::TcpRetransSegs), ++t.total_retrans;
  if ((len != 0 || (flags & kFin)) && !syn)
    rack_on_send(t, seq, seq + len + ((flags & kFin) ? 1 : 0), now);  // RFC 8985 Segment.xmit_ts
  if (flags & kRst) counters_.inc(Counter::TcpOutRsts);
  ++t.segs_out;
  t.last_send = now;
  const ip::TxResult r = ip_output(std::move(pkt), t.local_addr, t.remote_addr, t.ifindex, &t, now);
  // A path MTU learnt for this destination meanwhile (another connection's
  // Packet Too Big): cut smaller segments from now on; this one is resent
  // by the retransmission timer (Linux tcp_sync_mss on EMSGSIZE).
  if (r.reason == DropReason::kIp6PacketTooBig && r.mtu != 0) {
    const uint32_t opt = t.ts_ok ? 12 : 0;
    const uint32_t mss = mss_for_mtu(r.mtu, true) - opt;
    if (mss < t.eff_mss) t.eff_mss = static_cast<uint16_t>(mss), t.cc.mss = t.eff_mss;
  }
  return true;
}

void TcpLayer::send_syn(Tcb& t, Instant now) {
  const uint8_t flags = t.state == TcpState::kSynReceived ? (kSyn | kAck) : kSyn;
  if (!t.rtt_timing && t.retries == 0) t.rtt_start = now;
  send_segment(t, t.iss, 0, flags, now);
  t.snd.nxt = t.iss + 1;
  t.snd_max = seq_max(t.snd_max, t.snd.nxt);
  arm_rto(t, now);
}

void TcpLayer::send_ack(Tcb& t, Instant now) {
  // After a zero-window probe pulled it back, snd.nxt stays where data ends.
  send_segment(t, t.snd.nxt, 0, kAck, now);
}

// <SEQ=SND.NXT><CTL=RST> for an abort (RFC 9293 §3.10.5).
void TcpLayer::send_rst(Tcb& t, Instant now) {
  send_segment(t, t.snd_max, 0, kRst | kAck, now);
}

// RFC 9293 §3.10.7.1: the reset for a segment without a connection:
//   ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
//   ACK on:  <SEQ=SEG.ACK><CTL=RST>
// The firewall's `reject` of a TCP segment (ip/filter/): answered as a
// closed port answers it (§3.10.7.1, send_rst_for below), whether or not a
// connection or listener exists, as Linux `reject with tcp reset`; never a
// reset for a reset (the filter already drops those).
bool TcpLayer::reject_with_reset(const IpAddr& src, const IpAddr& dst, uint16_t ifindex,
                                 std::span<const uint8_t> bytes, Instant now) {
  auto s = parse_segment(src, dst, ifindex, bytes, /*count=*/false);
  if (s && !s->rst()) send_rst_for(*s, now);
  return true;  // a segment too bad to parse gets no answer at all
}

void TcpLayer::send_reset(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> segment, Instant now) {
  reject_with_reset(IpAddr(meta.src), IpAddr(meta.dst), meta.ifindex, segment, now);
}

bool TcpLayer::send_reset(const ip::Ipv6RxMeta& meta, std::span<const uint8_t> segment, Instant now) {
  return reject_with_reset(IpAddr(meta.src), IpAddr(meta.dst), meta.ifindex, segment, now);
}

void TcpLayer::send_rst_for(const Segment& s, Instant now) {
  wire::TcpRepr h;
  h.src_port = s.h.dst_port;
  h.dst_port = s.h.src_port;
  if (s.has_ack()) {
    h.seq = s.ack.raw();
    h.flags = kRst;
  } else {
    h.seq = 0;
    h.ack = (s.seq + s.len).raw();
    h.flags = kRst | kAck;
  }
  const uint32_t total = static_cast<uint32_t>(h.header_len());
  buf::PacketBuf pkt = s.src.is_v4() ? ip_.tx_pool().alloc(total) : frame_pool(s.src, s.ifindex).alloc(total);
  if (!pkt || !pkt.append(total)) {
    drops_.drop(DropReason::kNoBuffer);
    return;
  }
  h.emit(pkt.bytes(), s.dst, s.src);
  counters_.inc(Counter::TcpOutSegs);
  counters_.inc(Counter::TcpOutRsts);
  ip_output(std::move(pkt), s.dst, s.src, s.ifindex, nullptr, now);
}

// Bytes the windows let us send beyond snd.nxt: min(snd.wnd, cwnd) less
// what is in flight, plus RFC 3042 limited transmit (one segment for each
// of the first two duplicate ACKs).
uint32_t TcpLayer::usable_window(const Tcb& t) const {
  if (t.sack_recovery) {
    // RFC 6675 §5 (C): new data only while cwnd - pipe >= 1 SMSS (the
    // caller checks the SMSS), and within the peer's window.
    const uint32_t pipe = pipe_of(t);
    const uint32_t flight = (t.snd.nxt - t.snd.una).v;
    const uint32_t cwnd_room = t.cc.cwnd > pipe ? t.cc.cwnd - pipe : 0;
    const uint32_t rwnd_room = t.snd.wnd > flight ? t.snd.wnd - flight : 0;
    return std::min(cwnd_room, rwnd_room);
  }
  uint32_t cwnd = t.cc.cwnd;
  // RFC 3042: only for previously unsent data (not while resending after an RTO).
  if (!t.in_recovery && t.dupacks > 0 && t.dupacks < 3 && t.snd.nxt == t.snd_max)
    cwnd += t.dupacks * t.eff_mss;
  const uint32_t wnd = std::min(t.snd.wnd, cwnd);
  const uint32_t in_flight = (t.snd.nxt - t.snd.una).v;
  return wnd > in_flight ? wnd - in_flight : 0;
}

void TcpLayer::output(Tcb& t, Instant now) {
  bool sent_any = false, sent_new = false;
  switch (t.state) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      break;
    default:
      if (t.ack_now && t.state != TcpState::kClosed && t.state != TcpState::kListen &&
          t.state != TcpState::kSynSent)
        send_ack(t, now);
      return;
  }
  // RFC 5681 §4.1: after an idle period longer than the RTO, restart from
  // the restart window.
  if (t.snd.una == t.snd_max && t.ca && now - t.last_send > t.rtt.rto() &&
      t.last_send.ns != 0 && !t.snd_ring.empty())
    t.ca->on_idle_restart(t.cc, now);
  const SeqNum data_end(t.snd_ring.tail());
  bool no_frame = false;  // a segment found no frame buffer (the device's pool is out)
  for (;;) {
    const uint32_t avail = t.snd.nxt.before(data_end) ? (data_end - t.snd.nxt).v : 0;
    const uint32_t usable = usable_window(t);
    // New data leaves room for the SACK blocks the segment carries, and
    // (Linux tcp_bound_to_half_wnd) no more than half the largest window
    // the peer offered: an MSS near the whole window (a local connection's
    // 64 KiB MSS against a 64 KiB ring) would make every segment "small"
    // and Nagle would hold each one until everything in flight is acked.
    uint32_t seg_max = t.eff_mss - sack_option_len(t);
    if (t.max_snd_wnd > 536 && seg_max > t.max_snd_wnd / 2) seg_max = t.max_snd_wnd / 2;
    uint32_t len = std::min({avail, usable, seg_max});
    const bool fin_due = t.fin_queued && len == avail && t.snd.nxt + len == data_end &&
                         (!t.fin_sent || t.snd.nxt + len == t.fin_seq);
    if (len == 0 && !fin_due) break;
    if (len < seg_max && !fin_due) {
      const bool in_flight = t.snd.nxt != t.snd.una;
      // Nagle (RFC 9293 §3.7.4, RFC 896): hold a small segment while data is
      // unacknowledged, unless TCP_NODELAY; TCP_CORK holds it regardless.
      // Only new data: a tail being resent (the MSS shrank, RFC 1191 §6.2 /
      // RFC 8201 §5.2) goes out with the rest, as Linux resends its queue.
      const bool resend = t.snd.nxt.before(t.snd_max);
      if (len == avail && !resend && (t.cork || (!t.nodelay && in_flight))) break;
      // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a window-limited small
      // segment only if it is at least half the largest window offered.
      if (len < avail && len < t.max_snd_wnd / 2) break;
    }
    uint8_t flags = kAck;
    if (len != 0 && len == avail) flags |= kPsh;
    if (fin_due) flags |= kFin;
    const bool new_data = !t.snd.nxt.before(t.snd_max);
    if (!send_segment(t, t.snd.nxt, len, flags, now)) {
      no_frame = true;
      frame_starved_.push_back(t.index);
      break;
    }
    sent_any = true;
    sent_new |= new_data;
    if (new_data && len != 0 && !t.rtt_timing) {  // RFC 6298 / Karn: time one new segment
      t.rtt_timing = true;
      t.rtt_seq = t.snd.nxt + len;
      t.rtt_start = now;
    }
    t.snd.nxt += len;
    if (fin_due) {
      t.fin_seq = t.snd.nxt;
      t.fin_sent = true;
      t.snd.nxt += 1;
    }
    t.snd_max = seq_max(t.snd_max, t.snd.nxt);
    if (!t.timers[kTimerRetransmit].valid()) arm_rto(t, now);
    if (fin_due) break;
  }
  if (!sent_any && t.ack_now) send_ack(t, now);
  if (sent_new) schedule_loss_probe(t, now);  // RFC 8985 §7.2 (rack.cc)
  // RFC 9293 §3.8.6.1: data waits behind a zero window with nothing in
  // flight: probe on the persist timer.
  // The same when no frame buffer was free for it (the device's pool was
  // out): with nothing in flight no ACK or RTO would ever send it, and the
  // peer may be waiting for exactly these bytes (a request's reply). The
  // persist timer sends it when it fires with the window open (timers.cc),
  // as Linux's probe0 timer does (tcp_check_probe_timer, tcp_write_wakeup).
  const bool idle = t.snd.nxt == t.snd.una && !t.timers[kTimerPersist].valid();
  if (idle && t.snd.wnd == 0 && t.snd.nxt.before(data_end))
    arm(t, kTimerPersist, now + t.rtt.rto());
  else if (idle && no_frame && !t.timers[kTimerRetransmit].valid())
    arm(t, kTimerPersist, now + t.rtt.rto());
}

void TcpLayer::retry_frame_starved(Instant now) {
  frame_retry_.clear();
  frame_retry_.swap(frame_starved_);
  std::sort(frame_retry_.begin(), frame_retry_.end());
  frame_retry_.erase(std::unique(frame_retry_.begin(), frame_retry_.end()), frame_retry_.end());
  for (size_t k = 0; k < frame_retry_.size(); ++k) {
    const uint32_t i = frame_retry_[k];
    if (i >= pool_.size() || !pool_[i]) continue;  // freed meanwhile
    output(*pool_[i], now);
    if (!frame_starved_.empty()) {
      // Out again: the rest waits for the next flush, in the same order.
      frame_starved_.insert(frame_starved_.end(), frame_retry_.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                            frame_retry_.end());
      return;
    }
  }
}

// RFC 5961 §7: challenge ACKs are rate-limited (Linux
// tcp_challenge_ack_limit: a global budget per second), so they cannot be
// used to amplify traffic; beyond the budget the
// segment is dropped silently.
void TcpLayer::challenge_ack(Tcb& t, Instant now) {
  if (now - challenge_window_ >= Duration::seconds(1)) {
    challenge_window_ = now;
    challenge_count_ = 0;
  }
  if (challenge_count_ >= cfg_.challenge_ack_limit) {
    drops_.drop(DropReason::kTcpChallengeAckLimit);
    return;
  }
  ++challenge_count_;
  send_ack(t, now);
}

void TcpLayer::retransmit_first(Tcb& t, Instant) { t.snd.nxt = t.snd.una; }

}  // namespace stackd::tcp
