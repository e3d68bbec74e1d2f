// TcpLayer: demux of received segments, the TCB pool, ephemeral ports,
// ICMP errors and the owner event list. Segment processing itself lives in
// input.cc / listen.cc, sending in output.cc, timers in timers.cc.
#include "transport/tcp/tcp_layer.h"

#include <cerrno>  // errno values only: the socket API's vocabulary

#include "base/byteorder.h"
#include "transport/tcp/siphash.h"
#include "transport/udp.h"
#include "wire/icmpv4.h"
#include "wire/ip_proto.h"

namespace stackd::tcp {

const char* state_name(TcpState s) {
  static constexpr const char* kNames[] = {"CLOSED",      "LISTEN",     "SYN-SENT", "SYN-RECEIVED",
                                           "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
                                           "CLOSE-WAIT",  "CLOSING",    "LAST-ACK", "TIME-WAIT"};
  return kNames[static_cast<int>(s)];
}

TcpLayer::TcpLayer(ip::Ipv4Layer& ip, Counters& counters, DropStats& drops, TcpConfig cfg)
    : ip_(ip),
      counters_(counters),
      drops_(drops),
      cfg_(std::move(cfg)),
      isn_(SipKey{cfg_.isn_key0, cfg_.isn_key1}),
      buffers_(cfg_.buffer_pool_bytes, cfg_.buffer_cache_bytes),
      wheel_(TimerWheel::Config{Instant::from_nanos(0), Duration::millis(1),
                                cfg_.max_connections * 2 + 64}) {
  ip_.register_protocol(wire::ip_proto::kTcp, *this);
  ip_.set_tcp_reject_handler(this);  // firewall `reject` of TCP: a reset (output.cc)
}

TcpLayer::~TcpLayer() {
  for (auto& t : pool_)
    if (t) release_buffers(*t);
}

void TcpLayer::fill_gauges(Gauges& g) const {
  g.set(Gauge::TcpTcbsInUse, in_use_);
  g.set(Gauge::TcpFlows, flows_.size());
  g.set(Gauge::TcpListeners, listeners_.size());
  g.set(Gauge::TcpRingsInUse, buffers_.stats().buffers_in_use);
  g.set(Gauge::TcpRingBytesInUse, buffers_.stats().bytes_in_use);
  g.set(Gauge::TcpTimersArmed, wheel_.size());
}

transport::FlowKey TcpLayer::flow_key(const IpAddr& local, uint16_t lport, const IpAddr& remote,
                                      uint16_t rport) const {
  return {{transport::AddrKey::of(local), lport}, {transport::AddrKey::of(remote), rport}};
}

// ------------------------------------------------------------------ input

void TcpLayer::input(const ip::Ipv4RxMeta& meta, buf::PacketBuf&& pkt, Instant now) {
  // RFC 1122 §4.2.3.10: a segment for a broadcast/multicast address is
  // dropped silently.
  if (meta.is_broadcast_or_multicast()) {
    drops_.drop(DropReason::kTcpNoSocket);
    return;
  }
  demux(IpAddr(meta.src), IpAddr(meta.dst), meta.ifindex, pkt, now);
}

std::optional<Segment> TcpLayer::parse_segment(const IpAddr& src, const IpAddr& dst, uint16_t ifindex,
                                               std::span<const uint8_t> bytes, bool count) {
  auto r = wire::TcpRepr::parse(bytes, src, dst);
  if (!r) {
    if (count) {
      if (r.error() == DropReason::kTcpBadChecksum) counters_.inc(Counter::TcpInCsumErrors);
      counters_.inc(Counter::TcpInErrs);
      drops_.drop(r.error());
    }
    return std::nullopt;
  }
  if (count) counters_.inc(Counter::TcpInSegs);
  Segment s;
  s.h = *r;
  s.seq = SeqNum(s.h.seq);
  s.ack = SeqNum(s.h.ack);
  s.payload = bytes.subspan(s.h.header_len(), s.h.payload_len);
  s.len = s.h.payload_len + (s.syn() ? 1 : 0) + (s.fin() ? 1 : 0);
  s.src = src;
  s.dst = dst;
  s.ifindex = ifindex;
  return s;
}

void TcpLayer::demux(const IpAddr& src, const IpAddr& dst, uint16_t ifindex, buf::PacketBuf& pkt,
                     Instant now) {
  last_now_ = now;
  auto parsed = parse_segment(src, dst, ifindex, pkt.bytes());
  if (!parsed) return;
  const Segment& s = *parsed;

  if (uint32_t* i = flows_.find(flow_key(dst, s.h.dst_port, src, s.h.src_port))) {
    Tcb& t = *pool_[*i];
    ++t.segs_in;
    segment_arrives(t, s, now);
    return;
  }
  if (Tcb* l = listener_for(s)) {
    listen_input(*l, s, now);
    return;
  }
  // RFC 9293 §3.10.7.1: CLOSED (no TCB): discard, answer with a reset
  // unless the segment is one.
  drops_.drop(DropReason::kTcpNoSocket);
  if (!s.rst()) send_rst_for(s, now);
}

// ICMP errors (RFC 9293 §3.9.1.1 / RFC 5927, Linux tcp_v4_err): the quoted
// segment's sequence number must lie in snd.una..snd.nxt, so a blind
// attacker cannot forge one (RFC 5927 §4.1).
void TcpLayer::error(const ip::IcmpErrorIn& e, Instant now) {
  Tcb* tp = icmp_target(IpAddr(e.src), IpAddr(e.dst), e.l4);
  if (tp == nullptr) return;
  Tcb& t = *tp;
  if (e.type == wire::icmpv4_type::kDestUnreachable && e.code == wire::icmpv4_unreach::kFragNeeded) {
    // RFC 1191 §6.2: 68 is the IPv4 minimum MTU (RFC 791).
    mtu_reduced(t, e.info < 68 ? 68 : e.info, now);
    return;
  }
  if (e.type != wire::icmpv4_type::kDestUnreachable) return;
  // RFC 1122 §4.2.3.9: port/protocol unreachable are hard errors; the
  // others are soft (reported only if the connection then times out).
  int err = 0;
  switch (e.code) {
    case wire::icmpv4_unreach::kPort: err = ECONNREFUSED; break;
    case wire::icmpv4_unreach::kProtocol: err = ENOPROTOOPT; break;
    default: err = EHOSTUNREACH; break;
  }
  icmp_unreachable(t, err,
                   e.code == wire::icmpv4_unreach::kPort || e.code == wire::icmpv4_unreach::kProtocol);
}

Tcb* TcpLayer::icmp_target(const IpAddr& src, const IpAddr& dst, std::span<const uint8_t> l4) {
  if (l4.size() < 8) return nullptr;
  const uint16_t sport = load_be16(l4.data()), dport = load_be16(l4.data() + 2);
  const SeqNum seq(load_be32(l4.data() + 4));
  uint32_t* ip = flows_.find(flow_key(src, sport, dst, dport));
  if (ip == nullptr) return nullptr;
  Tcb& t = *pool_[*ip];
  if (!seq.in_range(t.snd.una, t.snd_max)) {
    drops_.drop(DropReason::kTcpIcmpOutOfWindow);
    return nullptr;
  }
  return &t;
}

void TcpLayer::mtu_reduced(Tcb& t, uint32_t mtu, Instant now) {
  const uint32_t hdrs = t.remote_addr.is_v6() ? 60 : 40;
  const uint32_t opt = t.ts_ok ? 12 : 0;
  if (mtu < hdrs + opt + 8u) return;
  const uint16_t mss = static_cast<uint16_t>(mtu - hdrs - opt);
  if (mss < t.eff_mss) {
    t.eff_mss = mss;
    t.cc.mss = mss;
    t.snd.nxt = t.snd.una;  // resend everything outstanding in smaller segments
    retransmit_first(t, now);
    output(t, now);
  }
}

// Linux aborts a connection in SYN-SENT on any hard error.
void TcpLayer::icmp_unreachable(Tcb& t, int err, bool hard) {
  if (t.state == TcpState::kSynSent && hard) {
    counters_.inc(Counter::TcpAttemptFails);
    connection_reset(t, err);
  } else {
    t.soft_error = err;  // soft: reported if the connection then times out (timers.cc)
  }
}

// ----------------------------------------------------------------- timers

Instant TcpLayer::poll_at() const { return wheel_.next_deadline(); }

void TcpLayer::on_timer(Instant now) {
  last_now_ = now;
  wheel_.expire(now, [&](const TimerWheel::Fired& f) {
    if (f.object >= pool_.size() || !pool_[f.object]) return;
    Tcb& t = *pool_[f.object];
    t.timers[f.kind] = TimerHandle{};  // fired: the handle is spent
    fire(f.object, static_cast<TimerKind>(f.kind), now);
  });
}

// ------------------------------------------------------------- TCB pool

uint32_t TcpLayer::alloc_tcb() {
  if (in_use_ >= cfg_.max_connections) return kNoTcb;
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<uint32_t>(pool_.size());
    pool_.emplace_back();
  }
  pool_[i] = std::make_unique<Tcb>();
  pool_[i]->index = i;
  pool_[i]->gen = next_gen_++;
  pool_[i]->rtt = RttEstimator(cfg_.rtt);
  ++in_use_;
  return i;
}

void TcpLayer::free_tcb(Tcb& t) {
  for (int k = 0; k < kTimerCount; ++k) wheel_.stop(t.timers[k]);
  if (t.in_flow_table)
    flows_.erase(flow_key(t.local_addr, t.local_port, t.remote_addr, t.remote_port));
  release_buffers(t);
  const uint32_t i = t.index;
  pool_[i].reset();
  free_.push_back(i);
  --in_use_;
}

bool TcpLayer::add_flow(Tcb& t) {
  if (!flows_.insert(flow_key(t.local_addr, t.local_port, t.remote_addr, t.remote_port), t.index))
    return false;
  t.in_flow_table = true;
  return true;
}

// No storage yet (buffers.cc lends it on first use); the offsets start at
// the first data octets: ISS+1 to send, IRS+1 (or 0 before it is known).
// An owner's empty receive storage stays (its offsets are the owner's, only
// relative positions matter there), so the SYN offers the window it has.
void TcpLayer::setup_buffers(Tcb& t) {
  const bool keep_rcv = t.rcv_external && t.rcv_ring.empty() && t.rx_ranges.empty();
  const buf::ByteRing rcv = t.rcv_ring;
  release_buffers(t);
  t.snd_ring = buf::ByteRing(std::span<uint8_t>{}, t.iss.raw() + 1);
  t.rcv_ring = keep_rcv ? rcv : buf::ByteRing(std::span<uint8_t>{}, t.rcv.nxt.raw());
  t.rcv_external = keep_rcv;
}

void TcpLayer::init_cc(Tcb& t, Instant now) {
  if (!t.ca) t.ca = make_congestion_control(cfg_.congestion);
  if (!t.ca) t.ca = make_congestion_control("reno");
  t.cc.mss = t.eff_mss;
  t.cc.ssthresh = 0x7fffffff;  // RFC 5681 §3.1: "arbitrarily high"
  if (t.ca) t.ca->init(t.cc, now);
  if (t.cc.cwnd == 0) t.cc.cwnd = 10u * t.eff_mss;  // RFC 6928 IW10
}

// RFC 6528 (isn.h): a keyed hash of the 4-tuple plus a 4 µs clock.
uint32_t TcpLayer::new_iss(const Tcb& t, Instant now) const {
  if (cfg_.use_fixed_iss) return cfg_.fixed_iss;
  return isn_.isn(ConnTuple{t.local_addr, t.local_port, t.remote_addr, t.remote_port}, now).raw();
}

// RFC 7323 §5.4: a 1 ms timestamp clock, offset per connection.
uint32_t TcpLayer::tsval(const Tcb& t, Instant now) const {
  return static_cast<uint32_t>(now.ns / 1'000'000) + t.ts_offset;
}

// --------------------------------------------------------------- state

void TcpLayer::set_state(Tcb& t, TcpState s) {
  const bool was_est = t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait;
  const bool is_est = s == TcpState::kEstablished || s == TcpState::kCloseWait;
  // RFC 1213 tcpCurrEstab: ESTABLISHED or CLOSE-WAIT.
  if (!was_est && is_est) counters_.inc(Counter::TcpCurrEstab);
  if (was_est && !is_est) counters_.dec(Counter::TcpCurrEstab);
  t.state = s;
  notify(t);
}

void TcpLayer::notify(Tcb& t) {
  if (t.event_queued || t.user_closed) return;
  t.event_queued = true;
  events_.push_back(t.index);
}

void TcpLayer::connection_reset(Tcb& t, int err) {
  if (t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait)
    counters_.inc(Counter::TcpEstabResets);  // RFC 1213 tcpEstabResets
  t.error = err;
  to_closed(t);
}

void TcpLayer::to_closed(Tcb& t) {
  if (t.parent != kNoTcb) child_gone(t);
  for (int k = 0; k < kTimerCount; ++k) wheel_.stop(t.timers[k]);
  if (t.in_flow_table) {
    flows_.erase(flow_key(t.local_addr, t.local_port, t.remote_addr, t.remote_port));
    t.in_flow_table = false;
  }
  set_state(t, TcpState::kClosed);
  // Nobody holds an orphan (closed by its user, or a child never accepted):
  // its TCB goes back to the pool now.
  if (t.user_closed) free_tcb(t);
}

// ------------------------------------------------------------------ ports

// RFC 6056 §3.3.3 (Algorithm 3, isn.h): a keyed hash of the destination
// picks where to start in the ephemeral range, plus a counter; a port is
// free for this destination when its 4-tuple is not in the flow table (a
// hash probe), so the search does not scan connections.
uint16_t TcpLayer::pick_port(const IpAddr& local, const IpAddr& remote, uint16_t rport, Instant) {
  auto p = isn_.pick_ephemeral_port(
      local, remote, rport,
      PortRange{transport::kEphemeralLow, transport::kEphemeralHigh}, port_counter_,
      [&](uint16_t port) {
        return flows_.find(flow_key(local, port, remote, rport)) == nullptr &&
               !port_conflicts(local, port, true);
      });
  return p ? *p : 0;
}

// Linux's rules (inet_csk_bind_conflict, inet6 ipv6_rcv_saddr_equal)
// without SO_REUSEADDR: the same family as EndpointTable::conflicts; an
// IPv4 address also clashes with a dual-stack :: listener, and a
// dual-stack :: with any IPv4 listener on the port. A v6only :: and IPv4
// listeners coexist.
bool TcpLayer::port_conflicts(const IpAddr& addr, uint16_t port, bool v6only) {
  if (listeners_.conflicts(addr, port)) return true;
  if (addr.is_v4()) {
    const uint32_t* l = listeners_.find_exact(IpAddr(Ipv6Addr::any()), port);
    return l != nullptr && !pool_[*l]->v6only;
  }
  return addr.is_unspecified() && !v6only && listeners_.conflicts(IpAddr(Ipv4Addr::any()), port);
}

}  // namespace stackd::tcp
