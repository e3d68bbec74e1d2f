// The socket operations of TcpLayer (OPEN, SEND, RECEIVE, CLOSE, ABORT of
// RFC 9293 §3.10.1-§3.10.5) and the TcpSocket handle over them.
#include "transport/tcp/tcp_socket.h"

#include <algorithm>
#include <cerrno>

namespace stackd::tcp {

uint32_t TcpLayer::open() { return alloc_tcb(); }

int TcpLayer::bind(uint32_t i, const IpAddr& addr, uint16_t port) {
  Tcb& t = *pool_[i];
  if (t.state != TcpState::kClosed || t.local_port != 0) return -EINVAL;
  if (addr.is_v6() && ip6_ == nullptr) return -EAFNOSUPPORT;
  if (!addr.is_unspecified() &&
      !(addr.is_v4() ? ip_.is_local(addr.v4()) : ip6_->is_local(addr.v6())))
    return -EADDRNOTAVAIL;
  if (port != 0 && port_conflicts(addr, port, t.v6only)) return -EADDRINUSE;
  t.local_addr = addr;
  t.local_port = port;
  return 0;
}

int TcpLayer::set_v6only(uint32_t i, bool on) {
  Tcb& t = *pool_[i];
  if (t.local_port != 0 || t.state != TcpState::kClosed) return -EINVAL;  // Linux: before bind
  t.v6only = on;
  return 0;
}

int TcpLayer::listen(uint32_t i, uint32_t backlog) {
  Tcb& t = *pool_[i];
  if (t.state == TcpState::kListen) {
    t.backlog = backlog != 0 ? backlog : cfg_.default_backlog;
    return 0;
  }
  if (t.state != TcpState::kClosed || t.local_port == 0) return -EINVAL;
  // Another socket may have started listening since bind.
  if (port_conflicts(t.local_addr, t.local_port, t.v6only)) return -EADDRINUSE;
  if (!listeners_.insert(t.local_addr, t.local_port, i)) return -EADDRINUSE;
  t.backlog = backlog != 0 ? backlog : cfg_.default_backlog;
  t.state = TcpState::kListen;
  return 0;
}

// RFC 9293 §3.10.1 OPEN (active): ISS, <SEQ=ISS><CTL=SYN>, SYN-SENT.
int TcpLayer::connect(uint32_t i, const IpAddr& addr, uint16_t port, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  if (t.state != TcpState::kClosed || t.remote_port != 0) return -EISCONN;
  if (port == 0 || addr.is_unspecified()) return -EINVAL;
  if (addr.is_v6() && ip6_ == nullptr) return -EAFNOSUPPORT;
  // A specific local address of the other family cannot reach `addr`;
  // a wildcard of either family takes the route's source.
  if (!t.local_addr.is_unspecified() && t.local_addr.family() != addr.family()) return -EINVAL;
  if (addr.is_v4() && t.local_addr.is_v6() && t.v6only) return -ENETUNREACH;
  auto route = route_to(addr, t.local_addr.family() == addr.family() ? t.local_addr : IpAddr(), now);
  if (!route) return -ENETUNREACH;
  if (t.local_addr.is_unspecified()) t.local_addr = route->src;
  t.remote_addr = addr;
  t.remote_port = port;
  if (t.local_port == 0) t.local_port = pick_port(t.local_addr, addr, port, now);
  if (t.local_port == 0) return -EADDRNOTAVAIL;
  t.ifindex = route->ifindex;
  t.rcv_mss = mss_for_mtu(route->mtu, addr.is_v6());
  t.eff_mss = static_cast<uint16_t>(std::min<uint32_t>(t.rcv_mss, 536));
  t.iss = SeqNum(new_iss(t, now));
  t.snd.una = t.iss;
  t.snd.nxt = t.iss;
  t.snd_max = t.iss;
  t.recover = t.iss;
  setup_buffers(t);
  if (!add_flow(t)) return -EADDRINUSE;
  counters_.inc(Counter::TcpActiveOpens);
  t.state = TcpState::kSynSent;
  send_syn(t, now);
  return -EINPROGRESS;
}

int TcpLayer::send_allowed(Tcb& t) {
  if (t.error != 0) return -std::exchange(t.error, 0);
  if (t.fin_queued) return -EPIPE;
  switch (t.state) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      return 0;
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
      return -EAGAIN;
    default:
      return t.state == TcpState::kClosed && t.remote_port != 0 ? -EPIPE : -ENOTCONN;
  }
}

int64_t TcpLayer::send(uint32_t i, std::span<const uint8_t> data, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  if (const int e = send_allowed(t)) return e;
  if (data.empty()) return 0;
  // The send ring is borrowed at the first byte (buffers.cc).
  if (!attach_snd_ring(t)) return -ENOBUFS;
  const uint32_t n = t.snd_ring.write(data);
  if (n == 0) return -EAGAIN;
  output(t, now);
  return n;
}

// The owner wrote the bytes into the ring's storage itself: only the
// offset moves (clamped to the free space, whatever the owner claims).
int64_t TcpLayer::commit_send(uint32_t i, uint32_t n, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  if (const int e = send_allowed(t)) return e;
  if (n == 0) return 0;
  if (!t.snd_external) return -EINVAL;
  const uint32_t c = t.snd_ring.commit(n);
  if (c == 0) return -EAGAIN;
  output(t, now);
  return c;
}

int64_t TcpLayer::recv(uint32_t i, std::span<uint8_t> out, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  const uint32_t n = t.rcv_ring.read(out);
  release_idle_buffers(t);  // all read and no islands: the ring goes back
  if (n == 0) {
    if (t.fin_received) return 0;
    if (t.error != 0) return -std::exchange(t.error, 0);
    if (t.state == TcpState::kClosed) return 0;
    return -EAGAIN;
  }
  after_read(t, now);
  return n;
}

uint32_t TcpLayer::consume_recv(uint32_t i, uint32_t n, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  n = t.rcv_ring.consume(n);
  release_idle_buffers(t);
  if (n != 0) after_read(t, now);
  return n;
}

// A window update when reading opened the window by 2 segments or half
// the buffer (Linux __tcp_cleanup_rbuf), so a sender stalled on a small
// or zero window learns of it without waiting for its persist timer.
void TcpLayer::after_read(Tcb& t, Instant now) {
  if (!is_synchronized(t.state) || t.fin_received) return;
  const SeqNum edge = t.rcv.nxt + rcv_space(t);
  const uint32_t grow = edge.after(t.rcv_adv) ? (edge - t.rcv_adv).v : 0;
  if (grow >= std::min<uint32_t>(2u * t.eff_mss, rcv_capacity(t) / 2)) send_ack(t, now);
}

// RFC 9293 §3.10.4 CLOSE of the sending side: FIN after the queued data.
int TcpLayer::shutdown_wr(uint32_t i, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  switch (t.state) {
    case TcpState::kEstablished:
      t.fin_queued = true;
      set_state(t, TcpState::kFinWait1);
      break;
    case TcpState::kCloseWait:
      t.fin_queued = true;
      set_state(t, TcpState::kLastAck);
      break;
    case TcpState::kSynSent:
      to_closed(t);
      return 0;
    default:
      return t.fin_queued ? 0 : -ENOTCONN;
  }
  output(t, now);
  return 0;
}

int TcpLayer::close(uint32_t i, Instant now) {
  last_now_ = now;
  Tcb& t = *pool_[i];
  t.rd_shut = true;
  switch (t.state) {
    case TcpState::kListen: {
      listeners_.erase(t.local_addr, t.local_port);
      // Children not accepted yet are reset (Linux inet_csk_listen_stop).
      std::vector<uint32_t> kids = t.syn_queue;
      kids.insert(kids.end(), t.accept_queue.begin(), t.accept_queue.end());
      for (uint32_t k : kids) abort(k, now);
      free_tcb(t);
      return 0;
    }
    case TcpState::kClosed:
    case TcpState::kSynSent:
      t.user_closed = true;
      to_closed(t);
      return 0;
    default:
      break;
  }
  t.user_closed = true;
  // RFC 9293 §3.10.4 / RFC 2525 §2.17, Linux tcp_close: closing with
  // unread data aborts the connection with a reset.
  if (!t.rcv_ring.empty()) {
    abort(i, now);
    return 0;
  }
  // The owner's ring storage goes away with it: what TCP still has to send
  // (or holds out of order) moves into pool storage. Out of memory: a reset,
  // as Linux aborts an orphan it cannot keep (TCPAbortOnMemory).
  if (!internalize_rings(t)) {
    abort(i, now);
    return 0;
  }
  if (t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait ||
      t.state == TcpState::kSynReceived) {
    if (t.state == TcpState::kSynReceived) {
      abort(i, now);
      return 0;
    }
    shutdown_wr(i, now);
  } else if (t.state == TcpState::kFinWait2) {
    arm(t, kTimerTimeWait, now + cfg_.time_wait);  // Linux tcp_fin_timeout
  }
  return 0;
}

// RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> in the synchronized states.
void TcpLayer::abort(uint32_t i, Instant now) {
  Tcb& t = *pool_[i];
  t.user_closed = true;
  if (t.state == TcpState::kSynReceived || (is_synchronized(t.state) && t.state != TcpState::kTimeWait))
    send_rst(t, now);
  if (t.state == TcpState::kListen) {
    close(i, now);
    return;
  }
  if (t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait)
    counters_.inc(Counter::TcpEstabResets);
  to_closed(t);
}

int TcpLayer::set_congestion(uint32_t i, std::string_view name, Instant now) {
  auto ca = make_congestion_control(name);
  if (!ca) return -ENOENT;  // Linux: unknown TCP_CONGESTION name
  Tcb& t = *pool_[i];
  t.ca = std::move(ca);
  if (is_synchronized(t.state)) t.ca->init(t.cc, now);
  return 0;
}

// ----------------------------------------------------------- TcpSocket

TcpSocket::TcpSocket(TcpLayer& tcp) : tcp_(&tcp), i_(tcp.open()) {}

TcpSocket::~TcpSocket() {
  if (valid()) tcp_->close(i_, tcp_->last_now());
}

TcpSocket& TcpSocket::operator=(TcpSocket&& o) noexcept {
  if (this != &o) {
    if (valid()) tcp_->close(i_, tcp_->last_now());
    tcp_ = o.tcp_;
    i_ = std::exchange(o.i_, kNoTcb);
  }
  return *this;
}

std::optional<TcpSocket> TcpSocket::accept() {
  const int64_t c = tcp_->accept(i_);
  if (c < 0) return std::nullopt;
  return TcpSocket(*tcp_, static_cast<uint32_t>(c));
}

void TcpSocket::close(Instant now) {
  if (valid()) tcp_->close(std::exchange(i_, kNoTcb), now);
}

void TcpSocket::abort(Instant now) {
  if (valid()) tcp_->abort(std::exchange(i_, kNoTcb), now);
}

void TcpSocket::set_cork(bool on, Instant now) {
  t().cork = on;
  if (!on) tcp_->output(t(), now);  // uncorking pushes what was held
}

int TcpSocket::set_user_timeout(int64_t ms) {
  if (ms < 0 || ms > INT32_MAX) return -EINVAL;  // Linux: an int, not negative
  t().user_timeout = Duration::millis(ms);
  return 0;
}

void TcpSocket::set_keepalive(bool on, Duration idle, Duration intvl, uint32_t cnt, Instant now) {
  Tcb& c = t();
  c.keepalive = on;
  c.keep_idle = idle;
  c.keep_intvl = intvl;
  c.keep_cnt = cnt;
  if (!on)
    tcp_->disarm(c, kTimerKeepalive);
  else if (is_synchronized(c.state))
    tcp_->arm(c, kTimerKeepalive, now + idle);
}

bool TcpSocket::readable() const {
  const Tcb& c = t();
  if (c.state == TcpState::kListen) return !c.accept_queue.empty();
  return !c.rcv_ring.empty() || c.fin_received || c.error != 0 ||
         (c.state == TcpState::kClosed && c.remote_port != 0);
}

bool TcpSocket::writable() const {
  const Tcb& c = t();
  return (c.state == TcpState::kEstablished || c.state == TcpState::kCloseWait) && !c.fin_queued &&
         tcp_->snd_space(c) != 0;
}

bool TcpSocket::hup() const {
  const Tcb& c = t();
  return (c.state == TcpState::kClosed && c.remote_port != 0) || (c.fin_received && c.fin_queued);
}

int TcpSocket::take_error() { return std::exchange(t().error, 0); }

TcpInfo TcpSocket::info() const {
  const Tcb& c = t();
  TcpInfo i;
  i.state = c.state;
  i.rto_us = static_cast<uint32_t>(c.rtt.rto().as_micros());
  i.rtt_us = static_cast<uint32_t>(c.rtt.srtt().as_micros());
  i.rttvar_us = static_cast<uint32_t>(c.rtt.rttvar().as_micros());
  i.snd_mss = c.eff_mss;
  i.rcv_mss = c.rcv_mss;
  i.snd_cwnd = c.cc.cwnd;
  i.snd_ssthresh = c.cc.ssthresh;
  i.retransmits = c.retries;
  i.total_retrans = c.total_retrans;
  i.reordering = c.reordering;
  i.snd_wscale = c.snd_wscale;
  i.rcv_wscale = c.rcv_wscale;
  i.timestamps = c.ts_ok;
  i.sack = c.sack_ok;
  i.wscale = c.wscale_ok;
  i.bytes_acked = c.bytes_acked;
  i.bytes_received = c.bytes_received;
  i.segs_in = c.segs_in;
  i.segs_out = c.segs_out;
  i.snd_wnd = c.snd.wnd;
  i.rcv_wnd = c.rcv.wnd;
  return i;
}

}  // namespace stackd::tcp
