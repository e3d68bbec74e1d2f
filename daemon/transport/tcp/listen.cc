// LISTEN (RFC 9293 §3.10.7.2): a SYN creates a child TCB in SYN-RECEIVED
// (the SYN queue); once the handshake completes the child moves to the
// listener's accept queue until accept() takes it. The two are bounded
// together by the backlog (Linux: a full accept queue drops the SYN).
#include <algorithm>
#include <cerrno>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

void TcpLayer::listen_input(Tcb& l, const Segment& s, Instant now) {
  // first, check for a RST: "An incoming RST should be ignored."
  if (s.rst()) return;
  // second, check for an ACK: <SEQ=SEG.ACK><CTL=RST>
  if (s.has_ack()) {
    drops_.drop(DropReason::kTcpNoSocket);
    send_rst_for(s, now);
    return;
  }
  // third, check for a SYN (anything else is dropped)
  if (!s.syn()) {
    drops_.drop(DropReason::kTcpNoAck);
    return;
  }
  if (l.syn_queue.size() + l.accept_queue.size() >= l.backlog) {
    drops_.drop(DropReason::kTcpListenOverflow);  // Linux ListenOverflows: the peer retries
    return;
  }
  auto route = ip_.route(s.src, s.dst);
  if (!route) {
    drops_.drop(route.error());
    return;
  }
  const uint32_t ci = alloc_tcb();
  if (ci == kNoTcb) {
    drops_.drop(DropReason::kTcpListenOverflow);
    return;
  }
  Tcb& c = *pool_[ci];
  c.local_addr = s.dst;
  c.local_port = s.h.dst_port;
  c.remote_addr = s.src;
  c.remote_port = s.h.src_port;
  c.ifindex = route->ifindex;
  c.rcv_mss = static_cast<uint16_t>(std::min<uint32_t>(route->mtu, 65535) - 40);
  c.nodelay = l.nodelay;
  c.keepalive = l.keepalive;
  c.keep_idle = l.keep_idle;
  c.keep_intvl = l.keep_intvl;
  c.keep_cnt = l.keep_cnt;
  // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected"
  c.irs = s.seq;
  c.rcv.nxt = s.seq + 1;
  c.rcv_adv = c.rcv.nxt;
  c.last_ack_sent = c.rcv.nxt;
  c.iss = SeqNum(new_iss(c, now));
  c.snd.una = c.iss;
  c.snd.nxt = c.iss;
  c.snd_max = c.iss;
  c.recover = c.iss;
  c.ts_offset = l.ts_offset;
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
