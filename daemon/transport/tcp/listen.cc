// LISTEN (RFC 9293 §3.10.7.2): a SYN creates a child TCB in SYN-RECEIVED
// (the SYN queue); once the handshake completes the child moves to the
// listener's accept queue until accept() takes it. Each queue is bounded by
// the backlog, as Linux bounds them:
//   - SYN queue full: answer with a SYN cookie (syn_cookie.h), keeping no
//     state (Linux tcp_syncookies = 1); the returning ACK rebuilds the
//     connection (Linux cookie_v4_check). Without cookies the SYN is dropped.
//   - accept queue full (Linux sk_acceptq_is_full: more than `backlog`):
//     SYNs and completing ACKs are dropped, counted as ListenOverflows and
//     ListenDrops; the peer retransmits.
#include <algorithm>
#include <cerrno>

#include "transport/tcp/syn_cookie.h"
#include "transport/tcp/tcp_layer.h"
#include "wire/ip_proto.h"

namespace stackd::tcp {

namespace {

ConnTuple tuple_of(const Segment& s) {
  return ConnTuple{s.dst, s.h.dst_port, s.src, s.h.src_port};
}

// The window of our SYN,ACK (RFC 7323 §2.2: never scaled).
uint16_t syn_window(const TcpConfig& c) {
  return static_cast<uint16_t>(std::min<uint32_t>(c.rcv_buf, 0xffff));
}

}  // namespace

bool TcpLayer::accept_queue_full(const Tcb& l) const {
  return l.accept_queue.size() > l.backlog;  // Linux: backlog + 1 fit
}

// The listener for `s`: (dst, port), else the wildcard of its family, else
// for IPv4 a dual-stack listener on :: (not IPV6_V6ONLY), as Linux.
Tcb* TcpLayer::listener_for(const Segment& s) {
  uint32_t* l = listeners_.lookup(transport::AddrKey::of(s.dst), s.h.dst_port);
  if (l == nullptr && s.dst.is_v4()) {
    l = listeners_.find_exact(IpAddr(Ipv6Addr::any()), s.h.dst_port);
    if (l != nullptr && pool_[*l]->v6only) l = nullptr;
  }
  return l != nullptr ? pool_[*l].get() : nullptr;
}

// A child of listener `l` for the tuple of `s` (identity, route, inherited
// socket options), not yet in any table; kNoTcb when the pool is empty.
uint32_t TcpLayer::new_child(Tcb& l, const Segment& s, const TcpRoute& route) {
  const uint32_t ci = alloc_tcb();
  if (ci == kNoTcb) return kNoTcb;
  Tcb& c = *pool_[ci];
  c.local_addr = s.dst;
  c.local_port = s.h.dst_port;
  c.remote_addr = s.src;
  c.remote_port = s.h.src_port;
  c.ifindex = route.ifindex;
  c.rcv_mss = mss_for_mtu(route.mtu, s.dst.is_v6());
  c.nodelay = l.nodelay;
  c.keepalive = l.keepalive;
  c.keep_idle = l.keep_idle;
  c.keep_intvl = l.keep_intvl;
  c.keep_cnt = l.keep_cnt;
  c.user_timeout = l.user_timeout;  // Linux: accepted sockets inherit TCP_USER_TIMEOUT
  c.ts_offset = l.ts_offset;
  c.hop_limit = l.hop_limit;  // Linux: IPv6 options are inherited too
  c.tclass = l.tclass;
  return ci;
}

void TcpLayer::listen_input(Tcb& l, const Segment& s, Instant now, std::optional<uint32_t> tw_iss) {
  // first, check for a RST: "An incoming RST should be ignored."
  if (s.rst()) return;
  // second, check for an ACK: <SEQ=SEG.ACK><CTL=RST>. While the listener
  // is handing out cookies, an ACK may complete a cookie handshake.
  if (s.has_ack()) {
    if (!s.syn() && cfg_.syncookies && l.syncookie_used &&
        now - l.syncookie_sent_at < kSynCookiePeriod * kSynCookieMaxAge) {
      if (cookie_ack(l, s, now)) return;
      counters_.inc(Counter::TcpExtSyncookiesFailed);
      drops_.drop(DropReason::kTcpSynCookieBad);
    } else {
      drops_.drop(DropReason::kTcpNoSocket);
    }
    send_rst_for(s, now);  // Linux: a failed cookie falls through to LISTEN's reset
    return;
  }
  // third, check for a SYN (anything else is dropped)
  if (!s.syn()) {
    drops_.drop(DropReason::kTcpNoAck);
    return;
  }
  if (accept_queue_full(l)) {
    counters_.inc(Counter::TcpExtListenOverflows);
    counters_.inc(Counter::TcpExtListenDrops);
    drops_.drop(DropReason::kTcpListenOverflow);  // the peer retries
    return;
  }
  if (l.syn_queue.size() >= l.backlog) {
    if (cfg_.syncookies) {
      send_cookie_synack(l, s, now);
      return;
    }
    counters_.inc(Counter::TcpExtListenDrops);
    drops_.drop(DropReason::kTcpListenOverflow);
    return;
  }
  auto route = route_to(s.src, s.dst, now);
  if (!route) {
    drops_.drop(route.error());
    return;
  }
  const uint32_t ci = new_child(l, s, *route);
  if (ci == kNoTcb) {
    counters_.inc(Counter::TcpExtListenDrops);
    drops_.drop(DropReason::kTcpListenOverflow);
    return;
  }
  Tcb& c = *pool_[ci];
  // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected"
  c.irs = s.seq;
  c.rcv.nxt = s.seq + 1;
  c.rcv_adv = c.rcv.nxt;
  c.last_ack_sent = c.rcv.nxt;
  c.iss = SeqNum(tw_iss ? *tw_iss : new_iss(c, now));
  c.snd.una = c.iss;
  c.snd.nxt = c.iss;
  c.snd_max = c.iss;
  c.recover = c.iss;
  negotiate(*this, c, s);
  c.snd.wnd = s.h.window;  // RFC 7323 §2.2: a SYN's window is unscaled
  c.max_snd_wnd = c.snd.wnd;
  c.snd.wl1 = s.seq;
  c.snd.wl2 = c.iss;
  setup_buffers(c);
  if (!add_flow(c)) {
    free_tcb(c);
    return;
  }
  c.parent = l.index;
  c.user_closed = true;  // nobody holds it until accept()
  l.syn_queue.push_back(ci);
  counters_.inc(Counter::TcpPassiveOpens);
  c.state = TcpState::kSynReceived;
  send_syn(c, now);  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
}

// The SYN,ACK of a full SYN queue: ISS (and TSval) carry what we must
// remember, nothing is kept. Like Linux, a SYN without timestamps gets
// only the MSS option back (window scaling and SACK need the TSval bits).
void TcpLayer::send_cookie_synack(Tcb& l, const Segment& s, Instant now) {
  auto route = route_to(s.src, s.dst, now);
  if (!route) {
    drops_.drop(route.error());
    return;
  }
  const auto& o = s.h.options;
  SynCookieOptions opt;
  opt.mss = o.mss ? *o.mss : 536;  // RFC 9293 §3.7.1 default
  opt.ts_ok = cfg_.timestamps && o.timestamps.has_value();
  opt.ts_now = tsval(l, now);
  opt.ws_ok = opt.ts_ok && cfg_.window_scaling && o.window_scale.has_value();
  opt.peer_wscale = opt.ws_ok ? std::min<uint8_t>(*o.window_scale, wire::kTcpMaxWindowScale) : 0;
  opt.sack_ok = opt.ts_ok && cfg_.sack && o.sack_permitted;
  const SynCookie ck = syn_cookie_encode(tuple_of(s), s.seq, opt, now,
                                         SipKey{cfg_.cookie_key0, cfg_.cookie_key1});
  wire::TcpRepr h;
  h.src_port = s.h.dst_port;
  h.dst_port = s.h.src_port;
  h.seq = ck.isn.raw();
  h.ack = (s.seq + 1).raw();
  h.flags = wire::tcp_flag::kSyn | wire::tcp_flag::kAck;
  h.window = syn_window(cfg_);
  h.options.mss = mss_for_mtu(route->mtu, s.dst.is_v6());
  if (opt.ws_ok) h.options.window_scale = rcv_wscale_offer(cfg_);
  h.options.sack_permitted = opt.sack_ok;
  if (opt.ts_ok) h.options.timestamps = wire::TcpTimestamps{*ck.tsval, o.timestamps->tsval};
  const uint32_t total = static_cast<uint32_t>(h.header_len());
  buf::PacketBuf pkt = frame_pool(s.src, route->ifindex).alloc(total);  // the device's frames
  if (!pkt || !pkt.append(total)) {
    drops_.drop(DropReason::kNoBuffer);
    return;
  }
  h.emit(pkt.bytes(), s.dst, s.src);
  l.syncookie_used = true;
  l.syncookie_sent_at = now;
  counters_.inc(Counter::TcpExtSyncookiesSent);
  counters_.inc(Counter::TcpOutSegs);
  ip_output(std::move(pkt), s.dst, s.src, route->ifindex, &l, now);
}

// An ACK to a listener that sent cookies: if SEG.ACK - 1 is our cookie for
// this tuple and SEG.SEQ - 1, the connection is rebuilt from it (MSS, and
// from the echoed TSval window scaling and SACK) and the ACK is then
// processed by the new child as by any SYN-RECEIVED connection (it may
// carry data). false: not a valid cookie.
bool TcpLayer::cookie_ack(Tcb& l, const Segment& s, Instant now) {
  const auto& ts = s.h.options.timestamps;
  std::optional<uint32_t> tsecr;
  if (cfg_.timestamps && ts) tsecr = ts->tsecr;
  const auto d = syn_cookie_decode(tuple_of(s), s.ack - 1, s.seq - 1, tsecr, now,
                                   SipKey{cfg_.cookie_key0, cfg_.cookie_key1});
  if (!d) return false;
  counters_.inc(Counter::TcpExtSyncookiesRecv);
  if (accept_queue_full(l)) {  // Linux tcp_v4_syn_recv_sock: exit_overflow
    counters_.inc(Counter::TcpExtListenOverflows);
    counters_.inc(Counter::TcpExtListenDrops);
    drops_.drop(DropReason::kTcpListenOverflow);
    return true;
  }
  auto route = route_to(s.src, s.dst, now);
  if (!route) {
    drops_.drop(route.error());
    return true;
  }
  const uint32_t ci = new_child(l, s, *route);
  if (ci == kNoTcb) {
    counters_.inc(Counter::TcpExtListenDrops);
    drops_.drop(DropReason::kTcpListenOverflow);
    return true;
  }
  Tcb& c = *pool_[ci];
  c.irs = s.seq - 1;
  c.rcv.nxt = s.seq;
  c.rcv_adv = c.rcv.nxt + syn_window(cfg_);  // what the SYN,ACK offered
  c.last_ack_sent = c.rcv.nxt;
  c.iss = s.ack - 1;
  c.snd.una = c.iss;
  c.snd.nxt = s.ack;
  c.snd_max = s.ack;
  c.recover = c.iss;
  // The options as the cookie remembers them (negotiate() for a SYN).
  c.snd_mss = d->mss;
  c.ts_ok = d->ts_ok;
  c.ts_recent = d->ts_ok ? ts->tsval : 0;
  c.wscale_ok = d->ws_ok;
  c.snd_wscale = d->ws_ok ? d->peer_wscale : 0;
  c.rcv_wscale = d->ws_ok ? rcv_wscale_offer(cfg_) : 0;
  c.sack_ok = d->sack_ok;
  uint32_t mss = std::min<uint32_t>(c.snd_mss, c.rcv_mss);
  if (c.ts_ok) mss -= 12;  // RFC 7323 §3.2
  c.eff_mss = static_cast<uint16_t>(std::max<uint32_t>(mss, 64));
  c.snd.wl1 = c.irs;
  c.snd.wl2 = c.iss;
  setup_buffers(c);
  if (!add_flow(c)) {
    free_tcb(c);
    return true;
  }
  c.parent = l.index;
  c.user_closed = true;
  counters_.inc(Counter::TcpPassiveOpens);
  c.state = TcpState::kSynReceived;
  // Karn: when the SYN,ACK left is unknown (nothing was kept), so the
  // handshake gives no RTT sample; timestamps give one with the first data.
  c.retries = 1;
  ++c.segs_in;
  segment_arrives(c, s, now);
  return true;
}

void TcpLayer::child_established(Tcb& c) {
  Tcb& l = *pool_[c.parent];
  std::erase(l.syn_queue, c.index);
  l.accept_queue.push_back(c.index);
  c.accept_queued = true;
  notify(l);
}

void TcpLayer::child_gone(Tcb& c) {
  Tcb& l = *pool_[c.parent];
  std::erase(l.syn_queue, c.index);
  std::erase(l.accept_queue, c.index);
  c.accept_queued = false;
  c.parent = kNoTcb;
}

int64_t TcpLayer::accept(uint32_t li) {
  Tcb& l = *pool_[li];
  if (l.state != TcpState::kListen) return -EINVAL;
  if (l.accept_queue.empty()) return -EAGAIN;
  const uint32_t ci = l.accept_queue.front();
  l.accept_queue.erase(l.accept_queue.begin());
  Tcb& c = *pool_[ci];
  c.parent = kNoTcb;
  c.accept_queued = false;
  c.user_closed = false;
  notify(c);  // it may already hold data or a FIN
  return ci;
}

}  // namespace stackd::tcp
