#include "transport/udp.h"

#include <cerrno>  // errno values only: the socket API's vocabulary
#include <cstring>
#include <new>
#include <type_traits>

#include "wire/icmpv4.h"
#include "wire/ip_proto.h"
#include "wire/udp.h"

namespace stackd::transport {

// ---------------------------------------------------------------- socket

namespace {
size_t ring_capacity(uint32_t n) {  // a power of two: indices by mask, not division
  size_t c = 1;
  while (c < n) c <<= 1;
  return c;
}
}  // namespace

UdpSocket::UdpSocket(UdpLayer& udp, Options opt)
    : udp_(udp), opt_(opt), ring_(ring_capacity(opt.rcv_datagrams)), mask_(ring_.size() - 1) {}

UdpSocket::~UdpSocket() { udp_.unbind(*this); }

int UdpSocket::bind(const IpAddr& addr, uint16_t port) { return udp_.bind(*this, addr, port); }

int UdpSocket::connect(const IpAddr& addr, uint16_t port) {
  if (addr.is_v6() && !udp_.has_ipv6()) return -EAFNOSUPPORT;
  if (port == 0 || addr.is_unspecified()) return -EINVAL;
  if (!bound_)
    if (int r = udp_.autobind(*this, addr.family()); r != 0) return r;
  if (by_flow_) {  // moved aside by a SO_REUSEADDR bind: its flow key changes
    FlowKey old = UdpLayer::flow_key(*this);
    FlowKey key = old;
    key.remote = {AddrKey::of(addr), port};
    if (!udp_.flows_.insert(key, this)) return -EADDRINUSE;
    udp_.flows_.erase(old);
  }
  connected_ = true;
  remote_addr_ = addr;
  remote_port_ = port;
  return 0;
}

int UdpSocket::set_v6only(bool on) {
  if (bound_) return -EINVAL;  // Linux: IPV6_V6ONLY only before bind
  v6only_ = on;
  return 0;
}

int UdpSocket::send_to(const IpAddr& dst, uint16_t port, std::span<const uint8_t> data,
                       Instant now) {
  return udp_.send(*this, Ipv4Addr::any(), dst, port, buf::PacketBuf{}, data, now);
}

int UdpSocket::send_to(const IpAddr& dst, uint16_t port, buf::PacketBuf&& data, Instant now) {
  return udp_.send(*this, Ipv4Addr::any(), dst, port, std::move(data), {}, now);
}

int UdpSocket::send_from(const IpAddr& src, const IpAddr& dst, uint16_t port,
                         buf::PacketBuf&& data, Instant now) {
  return udp_.send(*this, src, dst, port, std::move(data), {}, now);
}

int UdpSocket::send(std::span<const uint8_t> data, Instant now) {
  if (!connected_) return -EDESTADDRREQ;
  return send_to(remote_addr_, remote_port_, data, now);
}

bool UdpSocket::enqueue(buf::PacketBuf& payload, const IpAddr& src, uint16_t src_port,
                        const IpAddr& dst, uint16_t ifindex) {
  if (count_ >= opt_.rcv_datagrams || count_ == ring_.size() ||
      bytes_ + payload.size() > opt_.rcv_bytes)
    return false;
  bytes_ += payload.size();
  // Filled in place: no temporary datagram on the receive path.
  UdpDatagram& slot = ring_[(head_ + count_) & mask_];
  slot.payload = std::move(payload);
  // Constructed in place (IpAddr is trivially destructible): assigning an
  // IpAddr temporary built it on the stack with narrow stores and copied it
  // with a 16-byte load that failed store forwarding (~60% of enqueue).
  static_assert(std::is_trivially_destructible_v<IpAddr>);
  new (&slot.src) IpAddr(src);
  slot.src_port = src_port;
  new (&slot.dst) IpAddr(dst);
  slot.ifindex = ifindex;
  ++count_;
  return true;
}

std::optional<UdpDatagram> UdpSocket::recv() {
  if (count_ == 0) return std::nullopt;
  UdpDatagram d = std::move(ring_[head_]);
  head_ = (head_ + 1) & mask_;
  --count_;
  bytes_ -= d.payload.size();
  return d;
}

// ----------------------------------------------------------------- layer

UdpLayer::UdpLayer(ip::Ipv4Layer& ip, Counters& counters, DropStats& drops)
    : ip_(ip), counters_(counters), drops_(drops) {
  ip_.register_protocol(wire::ip_proto::kUdp, *this);
}

UdpLayer::~UdpLayer() = default;

int UdpLayer::autobind(UdpSocket& s, IpFamily family) {
  // An AF_INET6 socket binds :: even for an IPv4 (v4-mapped) peer, as Linux.
  return bind(s, family == IpFamily::kV6 || s.opt_.v6 ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr::any()), 0);
}

int UdpLayer::bind(UdpSocket& s, const IpAddr& addr, uint16_t port) {
  if (s.bound_) return -EINVAL;
  if (addr.is_v6()) {
    if (ip6_ == nullptr) return -EAFNOSUPPORT;
    const Ipv6Addr& a = addr.v6();
    if (!a.is_unspecified() && !a.is_multicast() && !ip6_->is_local(a)) return -EADDRNOTAVAIL;
  } else {
    const Ipv4Addr a = addr.v4();
    if (!a.is_unspecified() && !a.is_broadcast() && !a.is_multicast() && !ip_.is_local(a))
      return -EADDRNOTAVAIL;
  }
  if (port == 0) {
    // Ephemeral port: the next free one in Linux's default range.
    const uint32_t range = kEphemeralHigh - kEphemeralLow + 1;
    for (uint32_t i = 0; i < range && port == 0; ++i) {
      uint16_t p = next_ephemeral_;
      next_ephemeral_ = p == kEphemeralHigh ? kEphemeralLow : static_cast<uint16_t>(p + 1);
      if (!port_conflicts(addr, p, s.v6only_)) port = p;
    }
    if (port == 0) return -EADDRINUSE;
  } else if (port_conflicts(addr, port, s.v6only_) && !share_port(s, addr, port)) {
    return -EADDRINUSE;
  }
  table_.insert(addr, port, &s);
  s.bound_ = true;
  s.local_addr_ = addr;
  s.local_port_ = port;
  return 0;
}

// Linux without SO_REUSEADDR (inet_csk_bind_conflict with
// ipv6_rcv_saddr_equal): within a family as EndpointTable::conflicts; an
// IPv4 address also clashes with a dual-stack ::, and a dual-stack :: with
// any IPv4 binding of the port. A v6only :: and IPv4 bindings coexist.
bool UdpLayer::port_conflicts(const IpAddr& addr, uint16_t port, bool v6only) const {
  if (table_.conflicts(addr, port)) return true;
  if (addr.is_v4()) return dual_stack(port) != nullptr;
  return addr.is_unspecified() && !v6only && table_.conflicts(IpAddr(Ipv4Addr::any()), port);
}

UdpSocket* UdpLayer::dual_stack(uint16_t port) const {
  UdpSocket** sp = table_.find_exact(IpAddr(Ipv6Addr::any()), port);
  return sp != nullptr && !(*sp)->v6only_ ? *sp : nullptr;
}

bool UdpLayer::share_port(UdpSocket& s, const IpAddr& addr, uint16_t port) {
  UdpSocket** hp = table_.find_exact(addr, port);
  if (hp == nullptr || !s.reuseaddr_) return false;
  UdpSocket& h = **hp;
  if (!h.reuseaddr_ || !h.connected_ || !flows_.insert(flow_key(h), &h)) return false;
  table_.erase(addr, port);
  h.by_flow_ = true;
  if (!port_conflicts(addr, port, s.v6only_)) return true;
  flows_.erase(flow_key(h));  // another holder (the other family's wildcard): undo
  table_.insert(addr, port, &h);
  h.by_flow_ = false;
  return false;
}

FlowKey UdpLayer::flow_key(const UdpSocket& s) {
  return {{AddrKey::of(s.local_addr_), s.local_port_}, {AddrKey::of(s.remote_addr_), s.remote_port_}};
}

UdpSocket* UdpLayer::receiver(const IpAddr& dst, uint16_t dport, const IpAddr& src,
                              uint16_t sport) {
  if (flows_.size() != 0) {  // only after a SO_REUSEADDR bind over a connected socket
    const EndpointKey remote{AddrKey::of(src), sport};
    if (UdpSocket** sp = flows_.find({{AddrKey::of(dst), dport}, remote})) return *sp;
    if (UdpSocket** sp = flows_.find({{AddrKey::any(dst.family()), dport}, remote})) return *sp;
  }
  UdpSocket* s = nullptr;
  if (UdpSocket** sp = table_.lookup(AddrKey::of(dst), dport)) s = *sp;
  if (s == nullptr && dst.is_v4()) s = dual_stack(dport);  // :: without IPV6_V6ONLY hears IPv4 too
  if (s != nullptr && s->connected_ && (s->remote_port_ != sport || !(s->remote_addr_ == src)))
    s = nullptr;  // a connected socket hears only its peer
  return s;
}

void UdpLayer::unbind(UdpSocket& s) {
  if (!s.bound_) return;
  if (s.by_flow_)
    flows_.erase(flow_key(s));
  else
    table_.erase(s.local_addr_, s.local_port_);
  s.bound_ = false;
  s.by_flow_ = false;
}

buf::PacketBuf UdpLayer::datagram_buffer(buf::PacketBuf&& pb, std::span<const uint8_t> bytes,
                                         uint32_t len, buf::FramePool& pool) {
  if (pb && pb.push_front(wire::kUdpHeaderLen)) return std::move(pb);  // zero copy
  const uint32_t dlen = static_cast<uint32_t>(wire::kUdpHeaderLen) + len;
  buf::PacketBuf pkt = pool.alloc(dlen);
  if (!pkt) return pkt;
  (void)pkt.append(dlen);
  if (len != 0) std::memcpy(pkt.data() + wire::kUdpHeaderLen, pb ? pb.data() : bytes.data(), len);
  return pkt;
}

int UdpLayer::send(UdpSocket& s, const IpAddr& src, const IpAddr& dst, uint16_t port,
                   buf::PacketBuf&& pb, std::span<const uint8_t> bytes, Instant now) {
  const uint32_t len = pb ? pb.size() : static_cast<uint32_t>(bytes.size());
  if (port == 0) return -EINVAL;
  if (len > (dst.is_v6() ? kUdp6MaxPayload : kUdpMaxPayload)) return -EMSGSIZE;
  if (!s.bound_)
    if (int r = autobind(s, dst.family()); r != 0) return r;
  // A socket bound to one family sends to that family, but a dual-stack
  // one on :: also to IPv4 (a v4-mapped destination, as Linux).
  const bool dual = dst.is_v4() && s.local_addr_.is_v6() && s.local_addr_.is_unspecified() &&
                    !s.v6only_;
  if (s.local_addr_.family() != dst.family() && !dual) return -EAFNOSUPPORT;
  if (dst.is_v6()) return send6(s, src, dst.v6(), port, std::move(pb), bytes, now);
  Ipv4Addr src_hint = dual ? Ipv4Addr{} : s.local_addr_.v4();
  if (src.is_v4() && ip_.is_local(src.v4())) src_hint = src.v4();
  if (src_hint.is_broadcast() || src_hint.is_multicast()) src_hint = {};
  auto route = ip_.route(dst.v4(), src_hint);
  if (!route) {
    counters_.inc(Counter::IpOutNoRoutes);
    drops_.drop(route.error());
    return -ENETUNREACH;
  }
  // One frame when it fits the MTU, else a heap buffer IP fragments from.
  const uint32_t dlen = static_cast<uint32_t>(wire::kUdpHeaderLen) + len;
  const bool fits = wire::kIpv4MinHeaderLen + dlen <= route->mtu && !route->local;
  buf::PacketBuf pkt = datagram_buffer(std::move(pb), bytes, len,
                                       fits ? ip_.pool_for(route->ifindex) : ip_.heap_pool());
  if (!pkt) {
    counters_.inc(Counter::UdpSndbufErrors);
    drops_.drop(DropReason::kNoBuffer);
    return -ENOBUFS;
  }
  // RFC 768: the checksum covers the pseudo-header, header and data.
  wire::UdpRepr{s.local_port_, port, static_cast<uint16_t>(len)}.emit(pkt.bytes(), route->src,
                                                                       dst);
  ip::Ipv4TxParams p;
  p.src = route->src;
  p.dst = dst.v4();
  p.protocol = wire::ip_proto::kUdp;
  auto r = ip_.output(std::move(pkt), p, *route, now);
  if (!r.ok()) {
    if (r.reason == DropReason::kNoBuffer) counters_.inc(Counter::UdpSndbufErrors);
    return r.reason == DropReason::kNoBuffer ? -ENOBUFS : -ENETUNREACH;
  }
  counters_.inc(Counter::UdpOutDatagrams);
  return static_cast<int>(len);
}

void UdpLayer::input(const ip::Ipv4RxMeta& meta, buf::PacketBuf&& pkt, Instant now) {
  const IpAddr src(meta.src), dst(meta.dst);
  // RFC 768 / RFC 1122 §4.1.3.4: length and checksum (zero = none on IPv4).
  auto u = wire::UdpRepr::parse(pkt.bytes(), src, dst);
  if (!u) {
    if (u.error() == DropReason::kUdpBadChecksum) counters_.inc(Counter::UdpInCsumErrors);
    counters_.inc(Counter::UdpInErrors);
    drops_.drop(u.error());
    return;
  }
  UdpSocket* s = receiver(dst, u->dst_port, src, u->src_port);
  if (s == nullptr) {
    counters_.inc(Counter::UdpNoPorts);
    drops_.drop(DropReason::kUdpNoPort);
    // RFC 1122 §4.1.3.1: port unreachable (Icmpv4 refuses it for
    // broadcast/multicast, §3.2.2). `pkt` still holds the quoted bytes.
    ip_.icmp().send_dest_unreachable(wire::icmpv4_unreach::kPort, meta, now);
    return;
  }
  pkt.trim(static_cast<uint32_t>(u->buffer_len()));  // IP payload may be longer than UDP length
  pkt.pull_front(wire::kUdpHeaderLen);
  if (!s->enqueue(pkt, src, u->src_port, dst, meta.ifindex)) {
    counters_.inc(Counter::UdpRcvbufErrors);
    counters_.inc(Counter::UdpInErrors);
    drops_.drop(DropReason::kUdpRcvbufFull);
    return;
  }
  counters_.inc(Counter::UdpInDatagrams);
}

void UdpLayer::error(const ip::IcmpErrorIn& e, Instant) {
  if (e.l4.size() < wire::kUdpHeaderLen) return;
  const uint16_t sport = load_be16(e.l4.data()), dport = load_be16(e.l4.data() + 2);
  UdpSocket* so = receiver(IpAddr(e.src), sport, IpAddr(e.dst), dport);
  if (so == nullptr) return;
  UdpSocket& s = *so;
  // Linux __udp4_lib_err without IP_RECVERR: only hard errors, and only
  // on a socket connected to the quoted destination.
  if (!s.connected_ || s.remote_port_ != dport || !(s.remote_addr_ == IpAddr(e.dst))) return;
  if (e.type != wire::icmpv4_type::kDestUnreachable) return;
  // Linux icmp_err_convert[]: the "fatal" (hard) codes and their errno.
  switch (e.code) {
    case wire::icmpv4_unreach::kProtocol: s.error_ = ENOPROTOOPT; break;
    case wire::icmpv4_unreach::kPort: s.error_ = ECONNREFUSED; break;
    case wire::icmpv4_unreach::kNetUnknown: s.error_ = ENETUNREACH; break;
    case wire::icmpv4_unreach::kHostUnknown: s.error_ = EHOSTDOWN; break;
    case 8: s.error_ = ENONET; break;  // host isolated
    case wire::icmpv4_unreach::kNetProhibited: s.error_ = ENETUNREACH; break;
    case wire::icmpv4_unreach::kHostProhibited: s.error_ = EHOSTUNREACH; break;
    case wire::icmpv4_unreach::kAdminProhibited: s.error_ = EHOSTUNREACH; break;
    default: break;  // net/host unreachable, frag needed...: soft errors
  }
}

}  // namespace stackd::transport
