// The ESTABLISHED fast path in front of RFC 9293 §3.10.7.4 (STYLE.md #5),
// after Linux tcp_rcv_established's header prediction (Van Jacobson's): a
// segment that is the next one expected, carries only ACK (and PSH), no
// option but the timestamps the connection agreed on, acknowledges new
// data or nothing outstanding, leaves the send window as it is and fits
// the receive window cannot trigger any of the steps' special cases (RST,
// SYN, an unacceptable or trimmed segment, duplicate ACK, window update,
// FIN, out-of-order text), so only what such a segment changes is done:
// TS.Recent, the ACK (receive.cc new_ack), text into the ring
// (receive.cc process_text), then output. Everything else returns false
// with nothing changed and the segment takes the steps in input.cc.
//
// The outcome is the step-by-step path's exactly (tests/unit/tcp/
// fast_path_test.cc runs both on the same segments and compares every
// frame and the TCB); only the counters tell them apart: TcpExtTCPHPHits
// (data taken here), TcpExtTCPHPAcks (ACKs of new data taken here) as
// Linux counts them, against TcpExtTCPPureAcks on the slow path.
#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

bool TcpLayer::fast_path(Tcb& t, const Segment& s, Instant now) {
  using namespace wire::tcp_flag;
  // Header prediction: flags, options, sequence number, window.
  if ((s.h.flags & ~kPsh) != kAck) return false;
  const wire::TcpOptions& o = s.h.options;
  if (o.mss || o.window_scale || o.sack_permitted || o.sack_count != 0 || o.unknown_count != 0)
    return false;
  const auto& ts = o.timestamps;
  if (ts.has_value() != t.ts_ok) return false;
  if (ts && static_cast<int32_t>(ts->tsval - t.ts_recent) < 0) return false;  // PAWS (RFC 7323 §5)
  if (s.seq != t.rcv.nxt) return false;
  const uint32_t seg_wnd = static_cast<uint32_t>(s.h.window) << t.snd_wscale;
  if (seg_wnd != t.snd.wnd) return false;
  // The ACK acknowledges new data, or there is nothing outstanding (not a
  // duplicate ACK, RFC 5681 §2), and nothing beyond what was sent.
  const bool advances = s.ack.after(t.snd.una);
  if (advances ? s.ack.after(t.snd_max) : (s.ack != t.snd.una || t.snd.una != t.snd_max))
    return false;
  // Text: in order, inside the window, no islands or FIN held out of order
  // (RFC 5681 §4.2 wants an immediate ACK when a hole fills), a reader.
  const auto text = s.payload;
  if (!text.empty()) {
    const uint32_t wnd = t.rcv_adv.after(t.rcv.nxt) ? (t.rcv_adv - t.rcv.nxt).v : 0;
    if (text.size() > wnd || !t.rx_ranges.empty() || t.rd_shut) return false;
  }
  if (t.fin_pending) return false;

  // RFC 7323 §4.3 (2): the segment starts at RCV.NXT <= Last.ACK.sent.
  if (ts && s.seq.before_eq(t.last_ack_sent)) t.ts_recent = ts->tsval;
  t.last_rcv = now;
  t.probes = 0;  // Linux tcp_ack: any ACK not older than SND.UNA
  const SackUpdate sack = sack_input(t, s, now);  // no blocks: the scoreboard follows SND.UNA
  if (advances) {
    new_ack(t, s, sack, now);
    counters_.inc(Counter::TcpExtTCPHPAcks);
  }
  update_send_window(t, s.seq, s.ack, seg_wnd);
  if (!text.empty()) {
    process_text(t, s.seq, text, now);
    counters_.inc(Counter::TcpExtTCPHPHits);
  }
  output(t, now);
  return true;
}

}  // namespace stackd::tcp
