#include "transport/raw.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "wire/ip_proto.h"
#include "wire/ipv4.h"

namespace stackd::transport {

namespace {
int tx_errno(const ip::TxResult& r) { return r.reason == DropReason::kNoBuffer ? -ENOBUFS : -ENETUNREACH; }
}  // namespace

// ------------------------------------------------------------- layer

RawLayer::RawLayer(ip::Ipv4Layer& ip) : ip_(ip) {}

// The tap is set only while a socket exists: IPv4 input without raw
// sockets pays one null check.
RawLayer::~RawLayer() {
  if (!socks_.empty()) ip_.set_raw_tap(nullptr);
}

// Linux raw_v4_input: every matching socket gets its own copy.
bool RawLayer::deliver(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> header,
                       std::span<const uint8_t> payload, Instant) {
  bool matched = false;
  for (RawSocket* s : socks_) {
    if (!s->matches(meta, payload)) continue;
    matched = true;
    s->enqueue(meta, header, payload);
  }
  return matched;
}

// ------------------------------------------------------------- socket

RawSocket::RawSocket(RawLayer& raw, uint8_t protocol, Options opt)
    : raw_(raw), protocol_(protocol), opt_(opt), hdrincl_(protocol == kIpprotoRaw) {
  ring_.resize(std::bit_ceil(std::max<uint32_t>(opt_.rcv_datagrams, 1)));
  mask_ = ring_.size() - 1;
  if (raw_.socks_.empty()) raw_.ip_.set_raw_tap(&raw_);
  raw_.socks_.push_back(this);
}

RawSocket::~RawSocket() {
  std::erase(raw_.socks_, this);
  if (raw_.socks_.empty()) raw_.ip_.set_raw_tap(nullptr);
}

int RawSocket::bind(Ipv4Addr a) {
  // Linux raw_bind: one of our addresses, a broadcast or multicast one, or any.
  if (!a.is_unspecified() && !a.is_broadcast() && !a.is_multicast() && !raw_.ip_.is_local(a) &&
      !raw_.ip_.is_subnet_broadcast(a))
    return -EADDRNOTAVAIL;
  local_ = a;
  return 0;
}

int RawSocket::connect(Ipv4Addr a) {
  if (!a.is_unspecified() && !raw_.ip_.route(a, local_)) return -ENETUNREACH;
  remote_ = a;
  return 0;
}

// Linux raw_v4_match (protocol, connected peer, bound address) and, for
// IPPROTO_ICMP sockets, icmp_filter.
bool RawSocket::matches(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> payload) const {
  if (meta.protocol != protocol_) return false;
  if (!remote_.is_unspecified() && remote_ != meta.src) return false;
  if (!local_.is_unspecified() && local_ != meta.dst) return false;
  if (protocol_ == wire::ip_proto::kIcmp && icmp_filter_ != 0) {
    if (payload.empty()) return false;  // no type to look at: filtered, as Linux
    if (payload[0] < 32 && ((icmp_filter_ >> payload[0]) & 1u)) return false;
  }
  return true;
}

void RawSocket::enqueue(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> header,
                        std::span<const uint8_t> payload) {
  const size_t len = header.size() + payload.size();
  ip::Ipv4Layer& ip = raw_.ip_;
  // The byte bound as Linux's rcvbuf: an empty queue always takes one.
  if (count_ == ring_.size() || (count_ != 0 && bytes_ + len > opt_.rcv_bytes) || len > kRawMaxDatagram ||
      header.size() < wire::kIpv4MinHeaderLen) {
    ++drops_;
    ip.drops().drop(DropReason::kRawRcvbufFull);
    return;
  }
  buf::PacketBuf b = ip.heap_pool().alloc(static_cast<uint32_t>(len), 0);
  if (!b || !b.append(static_cast<uint32_t>(len))) {
    ++drops_;
    ip.drops().drop(DropReason::kNoBuffer);
    return;
  }
  std::memcpy(b.data(), header.data(), header.size());
  if (!payload.empty()) std::memcpy(b.data() + header.size(), payload.data(), payload.size());
  if (meta.reassembled) {
    // The header of the whole datagram, as Linux's ip_frag_reasm leaves
    // it: its length, no fragment fields (DF kept), the checksum again.
    wire::Ipv4View<uint8_t> v(b.bytes());
    v.set_total_len(static_cast<uint16_t>(len));
    store_be16(b.data() + 6, load_be16(b.data() + 6) & wire::kIpv4FlagDf);
    v.fill_checksum();
  }
  RawDatagram& d = ring_[(head_ + count_) & mask_];
  d.bytes = std::move(b);
  d.src = meta.src;
  d.ifindex = meta.ifindex;
  ++count_;
  bytes_ += len;
}

std::optional<RawDatagram> RawSocket::recv() {
  if (count_ == 0) return std::nullopt;
  RawDatagram d = std::move(ring_[head_ & mask_]);
  ++head_;
  --count_;
  bytes_ -= d.bytes.size();
  return d;
}

int RawSocket::send(std::span<const uint8_t> data, Instant now) {
  if (remote_.is_unspecified()) return -EDESTADDRREQ;
  return send_to(remote_, data, now);
}

int RawSocket::send_to(Ipv4Addr dst, std::span<const uint8_t> data, Instant now) {
  if (hdrincl_) return send_hdrincl(dst, data, now);
  if (data.size() + wire::kIpv4MinHeaderLen > kRawMaxDatagram) return -EMSGSIZE;
  ip::Ipv4Layer& ip = raw_.ip_;
  auto route = ip.route(dst, local_.is_multicast() || local_.is_broadcast() ? Ipv4Addr{} : local_);
  if (!route) return -ENETUNREACH;
  const uint32_t len = static_cast<uint32_t>(data.size());
  const bool fits = len + wire::kIpv4MinHeaderLen <= route->mtu;
  buf::PacketBuf pkt = (fits ? ip.pool_to(dst, route->ifindex) : ip.heap_pool()).alloc(len);
  if (!pkt || !pkt.append(len)) {
    ip.drops().drop(DropReason::kNoBuffer);
    return -ENOBUFS;
  }
  if (len != 0) std::memcpy(pkt.data(), data.data(), len);
  ip::Ipv4TxParams p;
  p.src = route->src;
  p.dst = dst;
  p.protocol = protocol_;
  p.ttl = ttl_;
  auto r = ip.output(std::move(pkt), p, *route, now);
  return r.ok() ? static_cast<int>(len) : tx_errno(r);
}

// raw(7) IP_HDRINCL, as Linux's raw_send_hdrinc: the sender's header is
// kept but for the fields Linux fills in: total length, identification
// when 0, source when 0, and the checksum. The datagram is hostile input:
// checked before anything is copied, never fragmented.
int RawSocket::send_hdrincl(Ipv4Addr dst, std::span<const uint8_t> data, Instant now) {
  if (data.size() > kRawMaxDatagram) return -EMSGSIZE;
  if (data.size() < wire::kIpv4MinHeaderLen) return -EINVAL;
  const wire::Ipv4View<const uint8_t> in(data);
  if (in.version() != 4 || in.ihl() < 5 || in.header_len() > data.size()) return -EINVAL;
  ip::Ipv4Layer& ip = raw_.ip_;
  auto route = ip.route(dst, local_.is_multicast() || local_.is_broadcast() ? Ipv4Addr{} : local_);
  if (!route) return -ENETUNREACH;
  const uint32_t len = static_cast<uint32_t>(data.size());
  if (len > route->mtu && !route->local) return -EMSGSIZE;
  buf::PacketBuf pkt = ip.pool_to(dst, route->ifindex).alloc(len);
  if (!pkt || !pkt.append(len)) {
    ip.drops().drop(DropReason::kNoBuffer);
    return -ENOBUFS;
  }
  std::memcpy(pkt.data(), data.data(), len);
  wire::Ipv4View<uint8_t> h(pkt.bytes());
  h.set_total_len(static_cast<uint16_t>(len));
  if (h.ident() == 0) h.set_ident(ip.next_ident());
  if (h.src().is_unspecified()) h.set_src(route->src);
  h.fill_checksum();
  auto r = ip.output_hdrincl(std::move(pkt), *route, now);
  return r.ok() ? static_cast<int>(len) : tx_errno(r);
}

}  // namespace stackd::transport
