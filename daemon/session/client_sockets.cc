#include "session/client_sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "session/session_table.h"

namespace stackd::session {

namespace {
constexpr uint32_t kAcceptRecord = abi::record_size(0);
constexpr uint32_t kRecordHeader = sizeof(abi::RecordHeader);
}  // namespace

ClientSockets::ClientSockets(SessionTable& table, SegmentView seg, Wakeups& wakeups,
                             uint32_t client_id)
    : table_(table),
      seg_(seg),
      wakeups_(wakeups),
      id_(client_id),
      slots_(seg.geo.max_sockets),
      req_tail_(seg.geo.max_channels, 0),
      resp_head_(seg.geo.max_channels, 0),
      scratch_(transport::kRawMaxDatagram) {
  free_.reserve(slots_.size());
  for (uint32_t i = static_cast<uint32_t>(slots_.size()); i-- > 0;) free_.push_back(i);
}

ClientSockets::~ClientSockets() = default;

abi::SocketShm& ClientSockets::shm(uint32_t slot) const {
  return reinterpret_cast<abi::SocketShm*>(seg_.base + seg_.geo.sockets_off)[slot];
}
abi::Channel& ClientSockets::channel(uint32_t ch) const {
  return reinterpret_cast<abi::Channel*>(seg_.base + seg_.geo.channels_off)[ch];
}
abi::RingBytes ClientSockets::rx_bytes(uint32_t slot) const {
  const size_t off = seg_.geo.rings_off + size_t{slot} * 2 * seg_.geo.ring_bytes;
  return {seg_.base + off, seg_.geo.ring_bytes};
}
abi::RingBytes ClientSockets::tx_bytes(uint32_t slot) const {
  const size_t off = seg_.geo.rings_off + (size_t{slot} * 2 + 1) * seg_.geo.ring_bytes;
  return {seg_.base + off, seg_.geo.ring_bytes};
}

void ClientSockets::init_segment() {
  // The memfd starts zeroed; the objects are constructed in place once.
  auto* h = new (seg_.base) abi::SegmentHeader{};
  h->magic = abi::kMagic;
  h->version = abi::kAbiVersion;
  h->segment_bytes = seg_.geo.segment_bytes;
  h->max_channels = seg_.geo.max_channels;
  h->max_sockets = seg_.geo.max_sockets;
  h->ring_bytes = seg_.geo.ring_bytes;
  h->channels_off = seg_.geo.channels_off;
  h->sockets_off = seg_.geo.sockets_off;
  h->rings_off = seg_.geo.rings_off;
  h->client_id = id_;
  for (uint32_t c = 0; c < seg_.geo.max_channels; ++c)
    new (seg_.base + seg_.geo.channels_off + c * sizeof(abi::Channel)) abi::Channel{};
  for (uint32_t s = 0; s < seg_.geo.max_sockets; ++s)
    new (seg_.base + seg_.geo.sockets_off + s * sizeof(abi::SocketShm)) abi::SocketShm{};
}

// ------------------------------------------------------------- channels

size_t ClientSockets::serve_channels(Instant now) {
  size_t n = 0;
  constexpr uint32_t kReqMask = abi::kRequestSlots - 1;
  constexpr uint32_t kRespMask = abi::kResponseSlots - 1;
  for (uint32_t ch = 0; ch < seg_.geo.max_channels; ++ch) {
    abi::Channel& c = channel(ch);
    const uint32_t head = c.req.head.load(std::memory_order_acquire);
    uint32_t used = abi::ring_used(head, req_tail_[ch], abi::kRequestSlots);
    if (used == UINT32_MAX) {
      // A scribbled index: that channel's requests are lost, nothing else.
      req_tail_[ch] = head;
      c.req.tail.store(head, std::memory_order_release);
      continue;
    }
    bool responded = false;
    for (; used > 0; --used) {
      abi::Request raw;
      std::memcpy(&raw, &c.requests[req_tail_[ch] & kReqMask], sizeof(raw));  // the one read
      c.req.tail.store(++req_tail_[ch], std::memory_order_release);
      ++n;
      abi::Response out{};
      out.tag = raw.tag;
      auto d = decode_request(raw, seg_.geo.max_sockets);
      if (!d) {
        out.result = -d.error();
      } else if (d->op == abi::Op::kKick) {
        Slot& s = slots_[d->slot];
        if (s.kind != Slot::Kind::kFree && s.gen == d->gen) {
          shm(d->slot).kick.store(0, std::memory_order_seq_cst);
          sync(d->slot, now);
        }
        continue;
      } else {
        handle(ch, *d, out, now);
      }
      if (raw.tag == 0) continue;
      const uint32_t rtail = c.resp.tail.load(std::memory_order_acquire);
      const uint32_t rused = abi::ring_used(resp_head_[ch], rtail, abi::kResponseSlots);
      // A client that does not read its responses loses them: its problem.
      if (rused == UINT32_MAX || rused == abi::kResponseSlots) continue;
      std::memcpy(&c.responses[resp_head_[ch] & kRespMask], &out, sizeof(out));
      c.resp.head.store(++resp_head_[ch], std::memory_order_seq_cst);
      responded = true;
    }
    if (responded && c.waiters.load(std::memory_order_seq_cst) != 0) wakeups_.wake(&c.resp.head);
  }
  return n;
}

void ClientSockets::handle(uint32_t, const DecodedRequest& r, abi::Response& out, Instant now) {
  if (r.op == abi::Op::kSocket) {
    out.result = op_socket(r.a[0], r.a[1], r.a[2], out);
    return;
  }
  Slot& s = slots_[r.slot];
  if (s.kind == Slot::Kind::kFree || s.gen != r.gen) {
    out.result = -EBADF;
    return;
  }
  out.sock = r.slot;
  out.gen = s.gen;
  if (s.broken && r.op != abi::Op::kClose && r.op != abi::Op::kTakeError) {
    out.result = -ECONNRESET;
    return;
  }
  switch (r.op) {
    case abi::Op::kBind: out.result = op_bind(s, *r.addr); break;
    case abi::Op::kListen: out.result = op_listen(s, r.slot, r.a[0], now); break;
    case abi::Op::kConnect: out.result = op_connect(s, r.slot, *r.addr, now); break;
    case abi::Op::kShutdown: out.result = op_shutdown(s, r.slot, r.a[0], now); break;
    case abi::Op::kClose:
      close_slot(r.slot, now);
      out.result = 0;
      break;
    case abi::Op::kSetsockopt: out.result = op_setsockopt(s, r, now); break;
    case abi::Op::kGetsockopt: out.result = op_getsockopt(s, r, out); break;
    case abi::Op::kGetName: out.result = op_getname(s, r.a[0] != 0, out); break;
    case abi::Op::kTakeError: {
      int e = 0;
      if (s.broken) e = std::exchange(s.broken_error, 0);
      else if (s.kind == Slot::Kind::kTcp) e = s.tcp->take_error();
      else e = std::exchange(s.udp_error, 0);
      out.val[0] = e;
      out.result = 0;
      sync(r.slot, now);  // the error flag changed
      break;
    }
    default: out.result = -EINVAL; break;
  }
}

std::optional<uint32_t> ClientSockets::alloc_slot() {
  if (free_.empty()) return std::nullopt;
  const uint32_t i = free_.back();
  free_.pop_back();
  Slot& s = slots_[i];
  const uint32_t gen = s.gen + 1;
  const uint32_t seq = s.seq;
  s = Slot{};
  s.gen = gen;
  s.seq = seq;
  // A fresh slot: every index starts at 0, the client's included (it has
  // not been handed the slot yet).
  abi::SocketShm& sh = shm(i);
  sh.rx.head.store(0, std::memory_order_relaxed);
  sh.rx.tail.store(0, std::memory_order_relaxed);
  sh.tx.head.store(0, std::memory_order_relaxed);
  sh.tx.tail.store(0, std::memory_order_relaxed);
  sh.flags.store(0, std::memory_order_relaxed);
  sh.error.store(0, std::memory_order_relaxed);
  sh.kick.store(0, std::memory_order_relaxed);
  sh.watch.store(0, std::memory_order_relaxed);
  sh.fd_rx_signals.store(0, std::memory_order_relaxed);
  sh.fd_tx_clogged.store(0, std::memory_order_relaxed);
  sh.rx_lock.store(0, std::memory_order_relaxed);
  sh.tx_lock.store(0, std::memory_order_relaxed);
  sh.fd_lock.store(0, std::memory_order_relaxed);
  ++open_;
  return i;
}

// a1 = domain: AF_INET6, or AF_INET (0 from clients that predate IPv6);
// a2 = protocol (SOCK_RAW only; 0 from clients that predate raw sockets).
int ClientSockets::op_socket(int32_t type, int32_t domain, int32_t protocol, abi::Response& out) {
  if (type == SOCK_RAW) {
    uint32_t slot = 0;
    const int r = op_socket_raw(domain, protocol, &slot);
    if (r == 0) {
      out.sock = slot;
      out.gen = slots_[slot].gen;
    }
    return r;
  }
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return -ESOCKTNOSUPPORT;
  if (domain != 0 && domain != AF_INET && domain != AF_INET6) return -EAFNOSUPPORT;
  if (domain == AF_INET6 && !table_.tcp().has_ipv6()) return -EAFNOSUPPORT;
  auto i = alloc_slot();
  if (!i) return -EMFILE;
  Slot& s = slots_[*i];
  s.v6 = domain == AF_INET6;
  if (type == SOCK_STREAM) {
    tcp::TcpSocket t(table_.tcp());
    if (!t.valid()) {
      s.kind = Slot::Kind::kFree;
      free_.push_back(*i);
      --open_;
      return -ENOBUFS;
    }
    s.kind = Slot::Kind::kTcp;
    s.congestion = table_.tcp().config().congestion;
    table_.bind_tcb(t.index(), this, *i);
    s.tcp.emplace(std::move(t));
  } else {
    s.kind = Slot::Kind::kUdp;
    s.udp = std::make_unique<transport::UdpSocket>(table_.udp(), transport::UdpSocket::Options{.v6 = s.v6});
    udp_slots_.push_back(*i);
    publish(*i, s, abi::flag::kConnected, true);
  }
  out.sock = *i;
  out.gen = s.gen;
  return 0;
}

Expected<Endpoint, int> ClientSockets::to_transport(const Slot& s, const Endpoint& ep, V4Form v4) const {
  if (!s.v6) {
    if (!ep.addr.is_v4()) return EAFNOSUPPORT;
    return ep;
  }
  if (!ep.addr.is_v6()) {
    // Linux: an AF_INET6 socket takes sockaddr_in6, but UDP's connect
    // (__ip6_datagram_connect) and sendto (udpv6_sendmsg) pass a
    // sockaddr_in to IPv4, unless IPV6_V6ONLY (connect: EAFNOSUPPORT,
    // as Linux 6.x answers; sendto: ENETUNREACH).
    if (v4 == V4Form::kRefuse || s.kind != Slot::Kind::kUdp) return EAFNOSUPPORT;
    if (s.v6only) return v4 == V4Form::kUdpConnect ? EAFNOSUPPORT : ENETUNREACH;
    return ep;
  }
  const Endpoint t{from_v6_view(ep.addr), ep.port};
  if (t.addr.is_v4() && s.v6only) return ENETUNREACH;  // IPV6_V6ONLY: no IPv4 at all (Linux)
  return t;
}

abi::WireAddr ClientSockets::to_wire(const Slot& s, const IpAddr& a, uint16_t port) {
  return wire_from_endpoint(s.v6 ? v6_view(a) : a, port);
}

int ClientSockets::op_bind(Slot& s, const Endpoint& given) {
  auto ep = to_transport(s, given);
  if (!ep) return ep.error() == ENETUNREACH ? -EINVAL : -ep.error();  // Linux inet6_bind
  if (s.kind == Slot::Kind::kTcp) return ep->port == 0 ? bind_tcp_ephemeral(s, *ep) : s.tcp->bind(ep->addr, ep->port);
  if (s.raw) return s.raw->bind(ep->addr.v4());  // a raw socket is AF_INET: to_transport checked
  return s.udp->bind(ep->addr, ep->port);
}

int ClientSockets::bind_tcp_ephemeral(Slot& s, const Endpoint& ep) {
  const tcp::Tcb& t = table_.tcp().tcb(s.tcp->index());
  if (t.state != tcp::TcpState::kClosed || t.local_port != 0) return -EINVAL;  // bound already
  const tcp::PortRange range;
  for (uint32_t i = 0; i < range.size(); ++i) {
    const auto port = static_cast<uint16_t>(range.lo + next_port_++ % range.size());
    const int r = s.tcp->bind(ep.addr, port);
    if (r != -EADDRINUSE) return r;
  }
  return -EADDRINUSE;
}

int ClientSockets::op_listen(Slot& s, uint32_t slot, int32_t backlog, Instant now) {
  if (s.kind != Slot::Kind::kTcp) return -EOPNOTSUPP;
  // listen() on a socket never bound: Linux binds it to an ephemeral port.
  const tcp::Tcb& t = table_.tcp().tcb(s.tcp->index());
  if (t.state == tcp::TcpState::kClosed && t.local_port == 0) {
    if (const int b = bind_tcp_ephemeral(s, Endpoint{}); b != 0) return b;
  }
  const int r = s.tcp->listen(static_cast<uint32_t>(std::clamp(backlog, 1, 4096)));
  if (r == 0) {
    s.listening = true;
    sync(slot, now);
  }
  return r;
}

int ClientSockets::op_connect(Slot& s, uint32_t slot, const Endpoint& given, Instant now) {
  auto tep = to_transport(s, given, V4Form::kUdpConnect);
  if (!tep) return -tep.error();
  const Endpoint& ep = *tep;
  if (s.raw) {
    const int r = s.raw->connect(ep.addr.v4());
    if (r == 0) s.udp_peer = Endpoint{ep.addr, 0};
    return r;
  }
  if (s.kind == Slot::Kind::kUdp) {
    const int r = s.udp->connect(ep.addr, ep.port);
    if (r == 0) s.udp_peer = ep;
    return r;
  }
  // The rx ring first: the SYN offers the window the client's ring has.
  if (!s.rx_zc)
    s.rx_zc = s.tcp->attach_recv_storage(rx_bytes(slot).span_at(0, seg_.geo.ring_bytes),
                                          buf::ByteRingIndex{s.rx_tail, s.rx_head});
  const int r = s.tcp->connect(ep.addr, ep.port, now);
  attach_rings(slot, s);
  sync(slot, now);
  return r;
}

int ClientSockets::op_shutdown(Slot& s, uint32_t slot, int32_t how, Instant now) {
  if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
  if (s.kind != Slot::Kind::kTcp) {
    if (!s.udp_peer) return -ENOTCONN;
  } else {
    const auto st = s.tcp->state();
    if (!tcp::is_synchronized(st) && st != tcp::TcpState::kSynSent &&
        st != tcp::TcpState::kSynReceived)
      return -ENOTCONN;
  }
  if (how != SHUT_WR) s.rd_shut = true;
  if (how != SHUT_RD && s.kind == Slot::Kind::kTcp) {
    s.wr_shut = true;
    s.shut_wr_pending = true;  // after the tx ring's bytes
  }
  sync(slot, now);
  return 0;
}

void ClientSockets::close_slot(uint32_t slot, Instant now) {
  Slot& s = slots_[slot];
  abi::SocketShm& sh = shm(slot);
  if (s.kind == Slot::Kind::kTcp && s.tcp && s.tcp->valid()) {
    tcp::TcpSocket t = std::move(*s.tcp);
    s.tcp.reset();
    table_.unbind_tcb(t.index());
    // Unread data (in the client's ring or still in TCP's own) means RST,
    // as Linux closes a socket with unread data (RFC 2525 §2.17); so does
    // SO_LINGER 0.
    const uint32_t rtail = sh.rx.tail.load(std::memory_order_acquire);
    const uint32_t unread = abi::ring_used(s.rx_head, rtail, seg_.geo.ring_bytes);
    const uint32_t held = s.rx_zc ? 0 : t.rx_available();
    if (s.listening) {
      t.close(now);
    } else if (unread != 0 || held > 0 || (s.linger_on && s.linger_secs == 0)) {
      t.abort(now);
    } else {
      // All read: TCP's ring is empty too. The bytes the client queued go
      // to TCP, then FIN after them; TcpLayer::close copies what it still
      // has to send out of the segment, which goes away with the client.
      if (s.rx_zc) t.consume_recv(rtail - s.rx_tail, now);
      if (s.tx_zc && !t.has_error()) {
        const uint32_t acked = t.send_ring().head() + s.tx_delta;
        const uint32_t head = sh.tx.head.load(std::memory_order_acquire);
        const uint32_t used = abi::ring_used(head, acked, seg_.geo.ring_bytes);
        const uint32_t queued = s.tx_committed - acked;
        if (used != UINT32_MAX && used > queued) t.commit_send(used - queued, now);
      }
      t.close(now);
    }
  } else if (s.kind == Slot::Kind::kUdp || s.kind == Slot::Kind::kRaw) {
    s.udp.reset();
    s.raw.reset();
    std::erase(udp_slots_, slot);
  }
  const uint32_t gen = s.gen;
  const uint32_t seq = s.seq;
  const bool had_fd = s.has_fd;
  s = Slot{};
  s.gen = gen;
  s.seq = seq;
  free_.push_back(slot);
  --open_;
  if (had_fd) wakeups_.fd_closed(slot);
  // Threads still waiting on this socket wake up and see it gone.
  sh.flags.store(abi::flag::kHup, std::memory_order_relaxed);
  sh.seq.store(++s.seq, std::memory_order_seq_cst);
  if (sh.waiters.load(std::memory_order_seq_cst) != 0) wakeups_.wake(&sh.seq);
}

void ClientSockets::reclaim(Instant now) {
  for (uint32_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].kind != Slot::Kind::kFree) close_slot(i, now);
}

// ------------------------------------------------------------- data path

void ClientSockets::sync(uint32_t slot, Instant now) {
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (s.broken) return;
  abi::SocketShm& sh = shm(slot);
  // kRxBlocked asks the client to kick us after it reads. It may have read
  // between our look at its tail and our publishing the flag (and then saw
  // no flag): look again after publishing, so no wake-up is lost.
  for (int round = 0; round < 4; ++round) {
    const uint32_t tail = sh.rx.tail.load(std::memory_order_seq_cst);
    if (s.kind == Slot::Kind::kTcp && s.tcp && s.tcp->valid()) sync_tcp(slot, s, now);
    else if (s.kind == Slot::Kind::kUdp || s.kind == Slot::Kind::kRaw) sync_udp(slot, s, now);
    else return;
    if (s.broken || !(s.flags & abi::flag::kRxBlocked)) return;
    if (sh.rx.tail.load(std::memory_order_seq_cst) == tail) return;
  }
}

void ClientSockets::mark_broken(uint32_t slot, Slot& s, Instant now) {
  s.broken = true;
  s.broken_error = ECONNRESET;
  if (s.kind == Slot::Kind::kTcp && s.tcp && s.tcp->valid()) {
    table_.unbind_tcb(s.tcp->index());
    s.tcp->abort(now);
  }
  publish(slot, s, abi::flag::kBroken | abi::flag::kError | abi::flag::kHup | abi::flag::kReadEof,
          true);
}

// TCP's rings become the client's: the tx ring once the connection has
// its ISS (connect, accept), the rx ring once TCP's own receive ring is
// empty (bytes that came before accept() are copied over first). From then
// on nothing is copied: TCP cuts segments out of the tx ring and writes
// payload into the rx ring, with offsets only this side moves.
void ClientSockets::attach_rings(uint32_t slot, Slot& s) {
  tcp::TcpSocket& t = *s.tcp;
  const auto st = t.state();
  if (st == tcp::TcpState::kClosed || st == tcp::TcpState::kListen) return;
  const uint32_t cap = seg_.geo.ring_bytes;
  if (!s.tx_zc) {
    const uint32_t ring_tail = t.send_ring().tail();
    s.tx_zc = t.attach_send_storage(tx_bytes(slot).span_at(0, cap), s.tx_committed);
    if (s.tx_zc) s.tx_delta = s.tx_committed - ring_tail;
  }
  if (!s.rx_zc)
    s.rx_zc = t.attach_recv_storage(rx_bytes(slot).span_at(0, cap), buf::ByteRingIndex{s.rx_tail, s.rx_head});
}

// Client -> TCP. The acknowledged end becomes the client's tail (its space
// back); bytes it committed past what TCP holds are handed over by length.
// The head is read once and must lie within the ring ahead of what TCP
// already holds: anything else is a scribbled index.
bool ClientSockets::tcp_tx(uint32_t slot, Slot& s, Instant now, bool* moved) {
  if (!s.tx_zc) return true;  // no ISS yet: nothing can be sent
  abi::SocketShm& sh = shm(slot);
  tcp::TcpSocket& t = *s.tcp;
  const uint32_t acked = t.send_ring().head() + s.tx_delta;
  const bool freed = acked != s.tx_tail;
  if (freed) {
    s.tx_tail = acked;
    sh.tx.tail.store(acked, std::memory_order_release);
  }
  const uint32_t head = sh.tx.head.load(std::memory_order_seq_cst);  // after kick = 0
  const uint32_t used = abi::ring_used(head, s.tx_tail, seg_.geo.ring_bytes);
  const uint32_t queued = s.tx_committed - s.tx_tail;
  if (used == UINT32_MAX || used < queued) return false;
  // Space comes back an ACK (two segments) at a time. A writer waiting for
  // space is woken only once the free space is at least half of what is
  // queued, as Linux sk_stream_write_space does (sk_stream_min_wspace), so
  // it comes back to a sizeable gap rather than after every ACK (each wake
  // costs it a futex wake and us a kick). The tail itself is published at
  // once: a client that looks sees the space.
  if (freed && seg_.geo.ring_bytes - used >= used / 2) *moved = true;
  uint32_t fresh = used - queued;
  if (fresh > 0 && !t.has_error()) {
    const int64_t r = t.commit_send(fresh, now);
    if (r > 0) {
      s.tx_committed += static_cast<uint32_t>(r);
      fresh -= static_cast<uint32_t>(r);
    }
  }
  if (fresh == 0 && s.shut_wr_pending && !t.has_error()) {
    t.shutdown_wr(now);
    s.shut_wr_pending = false;
  }
  return true;
}

// TCP -> client. The client's tail must lie between where it was and our
// head; what it read is released to TCP (which may open the window). The
// head we publish is TCP's receive ring's tail (rcv.nxt in the client's
// numbering), kept here and never read back.
bool ClientSockets::tcp_rx(uint32_t slot, Slot& s, Instant now, bool* moved) {
  abi::SocketShm& sh = shm(slot);
  tcp::TcpSocket& t = *s.tcp;
  const uint32_t tail = sh.rx.tail.load(std::memory_order_acquire);
  const uint32_t read = tail - s.rx_tail;
  if (read > s.rx_head - s.rx_tail) return false;
  s.rx_tail = tail;
  uint32_t head = s.rx_head;
  if (s.rx_zc) {
    if (read > 0) t.consume_recv(read, now);
    head = t.recv_ring().tail();
  } else {
    // Bytes TCP received into its own ring (before accept): one copy.
    uint32_t space = seg_.geo.ring_bytes - (head - s.rx_tail);
    auto rxb = rx_bytes(slot);
    while (space > 0 && t.rx_available() > 0) {
      const int64_t r = t.recv(rxb.span_at(head, space), now);
      if (r <= 0) break;
      head += static_cast<uint32_t>(r);
      space -= static_cast<uint32_t>(r);
    }
  }
  if (head != s.rx_head) {
    s.rx_head = head;
    sh.rx.head.store(head, std::memory_order_release);
    *moved = true;
  }
  if (!s.rx_zc) attach_rings(slot, s);
  return true;
}

uint32_t ClientSockets::tcp_flags(const Slot& s) const {
  const tcp::TcpSocket& t = *s.tcp;
  const tcp::Tcb& tcb = table_.tcp().tcb(t.index());
  const auto st = t.state();
  // Bytes TCP holds that are not in the client's ring yet (copy mode only).
  const uint32_t held = s.rx_zc ? 0 : t.rx_available();
  uint32_t f = 0;
  if (tcp::is_synchronized(st)) f |= abi::flag::kConnected;
  if (st == tcp::TcpState::kSynSent || st == tcp::TcpState::kSynReceived) f |= abi::flag::kConnecting;
  if (t.has_error()) f |= abi::flag::kError;
  if (held == 0 && (tcb.fin_received || (st == tcp::TcpState::kClosed && tcb.remote_port != 0)))
    f |= abi::flag::kReadEof;
  if (s.rd_shut) f |= abi::flag::kReadEof;
  if (t.hup()) f |= abi::flag::kHup;
  if (held > 0) f |= abi::flag::kRxBlocked;
  // Zero copy: the peer learns of the space the client frees only from our
  // ACKs. While the window it was offered is under half of what we could
  // offer (the ring, or less with the window scale agreed) and the client
  // has bytes to read, ask for a kick after reading, so a sender that
  // stopped on the window hears of the space (TcpLayer::after_read).
  if (s.rx_zc && tcp::is_synchronized(st) && !tcb.fin_received && !t.recv_ring().empty()) {
    const uint32_t offered = tcb.rcv_adv.after(tcb.rcv.nxt) ? (tcb.rcv_adv - tcb.rcv.nxt).v : 0;
    const uint64_t most = std::min<uint64_t>(t.recv_ring().capacity(), uint64_t{0xffff} << tcb.rcv_wscale);
    if (offered < most / 2) f |= abi::flag::kRxBlocked;
  }
  if (s.wr_shut) f |= abi::flag::kWriteShut;
  return f;
}

void ClientSockets::sync_tcp(uint32_t slot, Slot& s, Instant now) {
  if (s.listening) {
    accept_into(slot, s, now);
    return;
  }
  bool moved = false;
  if (!tcp_tx(slot, s, now, &moved) || !tcp_rx(slot, s, now, &moved)) return mark_broken(slot, s, now);
  publish(slot, s, tcp_flags(s), moved);
}

void ClientSockets::accept_into(uint32_t slot, Slot& s, Instant now) {
  abi::SocketShm& sh = shm(slot);
  const uint32_t cap = seg_.geo.ring_bytes;
  const uint32_t tail = sh.rx.tail.load(std::memory_order_acquire);
  const uint32_t used = abi::ring_used(s.rx_head, tail, cap);
  if (used == UINT32_MAX) return mark_broken(slot, s, now);
  uint32_t space = cap - used;
  bool moved = false;
  auto rxb = rx_bytes(slot);
  while (space >= kAcceptRecord && !free_.empty()) {
    auto c = s.tcp->accept();
    if (!c) break;
    const uint32_t ni = *alloc_slot();
    Slot& n = slots_[ni];  // `s` stays valid: slots_ never reallocates
    n.kind = Slot::Kind::kTcp;
    n.congestion = s.congestion;
    n.nodelay = s.nodelay;
    n.keepalive = s.keepalive;
    n.keep_idle = s.keep_idle;
    n.keep_intvl = s.keep_intvl;
    n.keep_cnt = s.keep_cnt;
    n.user_timeout = s.user_timeout;
    n.linger_on = s.linger_on;
    n.linger_secs = s.linger_secs;
    n.v6 = s.v6;  // an AF_INET6 listener's IPv4 children show v4-mapped
    n.v6only = s.v6only;
    n.hops = s.hops;
    n.tclass = s.tclass;
    if (s.nodelay) c->set_nodelay(true);
    if (s.keepalive)
      c->set_keepalive(true, Duration::seconds(s.keep_idle), Duration::seconds(s.keep_intvl),
                       static_cast<uint32_t>(s.keep_cnt), now);
    table_.bind_tcb(c->index(), this, ni);
    const tcp::Tcb& tcb = table_.tcp().tcb(c->index());
    n.tcp.emplace(std::move(*c));
    attach_rings(ni, n);
    abi::RecordHeader rec{};
    rec.sock = ni;
    rec.gen = n.gen;
    rec.addr = to_wire(n, tcb.remote_addr, tcb.remote_port);
    rxb.copy_in(s.rx_head, &rec, sizeof(rec));
    s.rx_head += kAcceptRecord;
    space -= kAcceptRecord;
    moved = true;
    sync_tcp(ni, n, now);
  }
  if (moved) sh.rx.head.store(s.rx_head, std::memory_order_release);
  uint32_t f = abi::flag::kListening;
  if (s.tcp->readable()) f |= abi::flag::kRxBlocked;  // more waiting than we could hand out
  publish(slot, s, f, moved);
}

void ClientSockets::sync_udp(uint32_t slot, Slot& s, Instant now) {
  abi::SocketShm& sh = shm(slot);
  const uint32_t cap = seg_.geo.ring_bytes;
  bool moved = false;
  // Client -> network: each record copied out once, checked, sent.
  const uint32_t head = sh.tx.head.load(std::memory_order_acquire);
  uint32_t used = abi::ring_used(head, s.tx_tail, cap);
  if (used == UINT32_MAX) return mark_broken(slot, s, now);
  auto txb = tx_bytes(slot);
  while (used >= kRecordHeader) {
    abi::RecordHeader h;
    txb.copy_out(s.tx_tail, &h, sizeof(h));
    if (h.len > (s.raw ? transport::kRawMaxDatagram : transport::kUdpMaxPayload) || abi::record_size(h.len) > used)
      return mark_broken(slot, s, now);
    std::span<const uint8_t> payload = txb.span_at(s.tx_tail + kRecordHeader, h.len);
    if (payload.size() < h.len) {
      txb.copy_out(s.tx_tail + kRecordHeader, scratch_.data(), h.len);
      payload = std::span(scratch_).first(h.len);
    }
    int r;
    if (s.raw) {
      r = raw_send(s, h.addr, payload, now);
    } else if (h.addr.family == 0) {
      r = s.udp->send(payload, now);
    } else if (auto w = endpoint_from_wire(h.addr)) {
      auto ep = to_transport(s, *w, V4Form::kUdpSendto);
      if (!ep) r = -ep.error();
      else if (ep->addr.is_v4() && ep->addr.v4().is_broadcast() && !s.broadcast) r = -EACCES;
      else r = s.udp->send_to(ep->addr, ep->port, payload, now);
    } else {
      r = -EAFNOSUPPORT;
    }
    // Linux returns these from sendto(); through the ring they come back
    // as the socket's pending error (SO_ERROR), the next call reports it.
    if (r < 0) s.udp_error = -r;
    s.tx_tail += abi::record_size(h.len);
    used -= abi::record_size(h.len);
    moved = true;
  }
  if (moved) sh.tx.tail.store(s.tx_tail, std::memory_order_release);
  if (int e = s.udp ? s.udp->take_error() : 0) s.udp_error = e;
  // Network -> client: datagrams with their source address.
  const uint32_t tail = sh.rx.tail.load(std::memory_order_acquire);
  const uint32_t rused = abi::ring_used(s.rx_head, tail, cap);
  if (rused == UINT32_MAX) return mark_broken(slot, s, now);
  uint32_t space = cap - rused;
  auto rxb = rx_bytes(slot);
  bool got = false;
  for (;;) {
    if (!s.udp_held) {
      auto d = s.raw ? raw_recv(s) : s.udp->recv();
      if (!d) break;
      s.udp_held = std::move(d);
    }
    const uint32_t len = s.udp_held->payload.size();
    if (abi::record_size(len) > space) break;
    abi::RecordHeader h{};
    h.len = len;
    h.addr = to_wire(s, s.udp_held->src, s.udp_held->src_port);
    rxb.copy_in(s.rx_head, &h, sizeof(h));
    rxb.copy_in(s.rx_head + kRecordHeader, s.udp_held->payload.data(), len);
    s.rx_head += abi::record_size(len);
    space -= abi::record_size(len);
    s.udp_held.reset();
    got = true;
  }
  if (got) {
    sh.rx.head.store(s.rx_head, std::memory_order_release);
    moved = true;
  }
  uint32_t f = abi::flag::kConnected;
  if (s.udp_error != 0) f |= abi::flag::kError;
  if (s.udp_held) f |= abi::flag::kRxBlocked;
  if (s.rd_shut) f |= abi::flag::kReadEof;
  publish(slot, s, f, moved);
}

size_t ClientSockets::poll_udp(Instant now) {
  size_t n = 0;
  for (uint32_t i : udp_slots_) {
    Slot& s = slots_[i];
    if (s.broken || (!s.udp && !s.raw)) continue;
    // An ICMP error (port unreachable...) becomes the socket's SO_ERROR.
    const int e = s.udp ? s.udp->take_error() : 0;
    if (e != 0) s.udp_error = e;
    if (e != 0 || (s.udp ? s.udp->readable() : s.raw->readable()) || s.udp_held) {
      sync_udp(i, s, now);
      ++n;
    }
  }
  return n;
}

void ClientSockets::publish(uint32_t slot, Slot& s, uint32_t f, bool moved) {
  const bool changed = f != s.flags || moved;
  s.flags = f;
  // The fd is signalled after the shared words: a program woken by it must
  // find in them what woke it (an end of stream, bytes, room).
  struct FdAfter {
    ClientSockets* self;
    uint32_t slot;
    Slot& s;
    bool changed;
    ~FdAfter() {
      if (s.has_fd) self->signal_fd(slot, s, changed);
    }
  } fd_after{this, slot, s, changed};
  if (!changed) return;
  abi::SocketShm& sh = shm(slot);
  sh.flags.store(f, std::memory_order_seq_cst);
  sh.seq.store(++s.seq, std::memory_order_seq_cst);
  if (sh.waiters.load(std::memory_order_seq_cst) != 0) wakeups_.wake(&sh.seq);
  const uint32_t w = sh.watch.load(std::memory_order_relaxed);
  if (w != 0 && w - 1 < seg_.geo.max_channels) {
    abi::Channel& c = channel(w - 1);
    if (c.ev_armed.exchange(0, std::memory_order_seq_cst) != 0) wakeups_.signal_channel(w - 1);
  }
}

// ------------------------------------------------------------- socket fds

bool ClientSockets::attach_fd(uint32_t slot, uint32_t gen, Instant) {
  if (slot >= slots_.size()) return false;
  Slot& s = slots_[slot];
  if (s.kind == Slot::Kind::kFree || s.gen != gen || s.has_fd) return false;
  s.has_fd = true;
  // The client may have consumed or filled before B arrived: signal the
  // state as it is now.
  abi::SocketShm& sh = shm(slot);
  sh.fd_tx_clogged.store(1, std::memory_order_seq_cst);
  signal_fd(slot, s, false);
  return true;
}

// abi/attach.h "Socket fds". The client's words are hints: a wrong value
// costs that client a spurious or late wake-up of its own socket, nothing
// else.
void ClientSockets::signal_fd(uint32_t slot, Slot& s, bool moved) {
  abi::SocketShm& sh = shm(slot);
  // Our ring-index stores (release) must be visible before we read the
  // client's words, as its stores are before it reads ours (Dekker: both
  // sides store, then load; x86 may otherwise reorder our load first).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint32_t f = s.flags;
  uint32_t w = sh.fd_rx_signals.load(std::memory_order_seq_cst);
  // Counted first, the ring looked at after: a client that empties the ring
  // after our look has to park first, and then our compare-and-swap fails.
  if (abi::fd_readable(f, s.rx_head - sh.rx.tail.load(std::memory_order_seq_cst)) && w != abi::kFdParking &&
      (w == 0 || (moved && w < abi::kFdMaxEdges)) &&
      sh.fd_rx_signals.compare_exchange_strong(w, w + 1, std::memory_order_seq_cst)) {
    const uint32_t rx_used = s.rx_head - sh.rx.tail.load(std::memory_order_seq_cst);
    uint32_t back = w + 1;
    // Emptied meanwhile: take the count back, unless the client parked
    // already and waits for the byte we counted.
    if (abi::fd_readable(f, rx_used) ||
        !sh.fd_rx_signals.compare_exchange_strong(back, w, std::memory_order_seq_cst)) {
      if (!wakeups_.fd_readable(slot)) {
        back = w + 1;  // B full (a client that never reads A): uncount
        sh.fd_rx_signals.compare_exchange_strong(back, w, std::memory_order_seq_cst);
      }
    }
  }
  const uint32_t tx_used = sh.tx.head.load(std::memory_order_seq_cst) - s.tx_tail;
  const uint32_t tx_free = tx_used > seg_.geo.ring_bytes ? 0 : seg_.geo.ring_bytes - tx_used;
  if (abi::fd_writable(f, tx_free, seg_.geo.ring_bytes) && sh.fd_tx_clogged.exchange(0, std::memory_order_seq_cst) != 0)
    wakeups_.fd_writable(slot);
  // End of stream or a finished connection: A reads EOF (POLLIN|POLLRDHUP)
  // for good. Only B's write side is shut: shutting its read side would
  // look, on B, like A's last close (see fd_released). Not while we hold
  // bytes the rx ring could not take (kRxBlocked): once B is shut no byte
  // can be written to it, so those bytes would reach the ring without an
  // edge and an edge-triggered program would wait forever.
  const bool finished = (f & abi::flag::kReadEof) || ((f & abi::flag::kHup) && !(f & abi::flag::kRxBlocked));
  if (finished && !s.fd_eof_sent) {
    s.fd_eof_sent = true;
    wakeups_.fd_shutdown(slot);
  }
}

void ClientSockets::fd_released(uint32_t slot, Instant now) {
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (s.kind == Slot::Kind::kFree || !s.has_fd) return;
  if (s.listening) {
    // Accepted connections nobody took (their records are between the
    // client's tail and our head) go with the listener, as on Linux.
    abi::SocketShm& sh = shm(slot);
    uint32_t pos = sh.rx.tail.load(std::memory_order_acquire);
    const uint32_t used = abi::ring_used(s.rx_head, pos, seg_.geo.ring_bytes);
    const uint32_t rec = abi::record_size(0);
    for (uint32_t n = used == UINT32_MAX ? 0 : used / rec; n > 0; --n, pos += rec) {
      abi::RecordHeader h;
      rx_bytes(slot).copy_out(pos, &h, sizeof(h));
      if (h.sock < slots_.size() && h.sock != slot && slots_[h.sock].kind != Slot::Kind::kFree &&
          slots_[h.sock].gen == h.gen && !slots_[h.sock].has_fd)
        close_slot(h.sock, now);
    }
  }
  close_slot(slot, now);
}



std::optional<abi::ClaimReply> ClientSockets::describe(uint32_t slot) const {
  if (slot >= slots_.size()) return std::nullopt;
  const Slot& s = slots_[slot];
  if (s.kind == Slot::Kind::kFree || !s.has_fd) return std::nullopt;
  abi::ClaimReply r{};
  r.sock = slot;
  r.gen = s.gen;
  r.type = s.kind == Slot::Kind::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  r.domain = s.v6 ? AF_INET6 : AF_INET;
  constexpr uint32_t kOnceConnected =
      abi::flag::kConnected | abi::flag::kConnecting | abi::flag::kReadEof | abi::flag::kHup;
  if (s.kind == Slot::Kind::kTcp && !s.listening && (s.flags & kOnceConnected))
    r.state |= abi::claim_state::kWasConnected;
  if (s.kind == Slot::Kind::kUdp && s.udp_peer) r.state |= abi::claim_state::kUdpConnected;
  if (s.broadcast) r.state |= abi::claim_state::kBroadcast;
  return r;
}

}  // namespace stackd::session
