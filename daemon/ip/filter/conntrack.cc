#include "ip/filter/conntrack.h"

#include <cstring>

#include "wire/ip_proto.h"
#include "wire/tcp.h"

namespace stackd::ip::filter {

namespace {
uint64_t mix(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
// RFC 792 query types and their replies.
// Queries that open a flow and their replies: echo and timestamp (RFC 792),
// ICMPv6 echo (RFC 4443 §4.1, §4.2).
bool icmp_request(uint8_t proto, uint8_t t) {
  return proto == wire::ip_proto::kIcmpv6 ? t == 128 : t == 8 || t == 13;
}
bool icmp_reply(uint8_t proto, uint8_t t) {
  return proto == wire::ip_proto::kIcmpv6 ? t == 129 : t == 0 || t == 14;
}
}  // namespace

Conntrack::Conntrack(const CtConfig& cfg) : cfg_(cfg) {
  const uint32_t n = cfg_.max_entries == 0 ? 1 : cfg_.max_entries;
  entries_.resize(n);
  for (uint32_t i = 0; i < n; ++i) entries_[i].next = i + 1 < n ? i + 1 : kNil;
  free_ = 0;
  uint32_t b = 16;
  while (b < n) b *= 2;
  buckets_.assign(b, kNil);
  bucket_mask_ = b - 1;
}

Conntrack::Endpoint Conntrack::endpoint(const IpAddr& a, uint16_t port) {
  Endpoint e;
  if (a.is_v4()) {
    const uint32_t v = a.v4().v;
    std::memcpy(e.addr.data(), &v, sizeof v);
  } else {
    e.addr = a.v6().b;
  }
  e.port = port;
  return e;
}

Conntrack::Key Conntrack::make_key(const IpAddr& src, const IpAddr& dst, uint16_t sp,
                                   uint16_t dp, uint8_t proto) {
  return {endpoint(src, sp), endpoint(dst, dp), proto, src.is_v4() ? uint8_t{4} : uint8_t{6}};
}

uint32_t Conntrack::bucket(const Key& k) const {
  // Symmetric in the endpoints: both directions land in one bucket.
  auto h = [](const Endpoint& e) {
    uint64_t w[2];
    std::memcpy(w, e.addr.data(), sizeof w);
    return mix(w[0] ^ mix(w[1] ^ e.port));
  };
  return static_cast<uint32_t>(mix(h(k.a) + h(k.b) + k.proto * 0x100 + k.family)) & bucket_mask_;
}

uint32_t Conntrack::lookup(const Key& k, bool* reply) const {
  for (uint32_t i = buckets_[bucket(k)]; i != kNil; i = entries_[i].next) {
    const Key& e = entries_[i].key;
    if (e.proto != k.proto || e.family != k.family) continue;
    if (e.a == k.a && e.b == k.b) {
      *reply = false;
      return i;
    }
    if (e.a == k.b && e.b == k.a) {
      *reply = true;
      return i;
    }
  }
  return kNil;
}

uint32_t Conntrack::insert(const Key& k, Instant now) {
  if (free_ == kNil && !reclaim(now, 64)) {
    ++full_drops_;
    return kNil;
  }
  const uint32_t idx = free_;
  Entry& e = entries_[idx];
  free_ = e.next;
  e = Entry{};
  e.key = k;
  e.used = true;
  const uint32_t b = bucket(k);
  e.next = buckets_[b];
  buckets_[b] = idx;
  if (used_++ == 0) next_sweep_ = now + cfg_.sweep_interval;
  return idx;
}

void Conntrack::remove(uint32_t idx) {
  Entry& e = entries_[idx];
  uint32_t* p = &buckets_[bucket(e.key)];
  while (*p != idx) p = &entries_[*p].next;
  *p = e.next;
  e.used = false;
  e.next = free_;
  free_ = idx;
  --used_;
}

void Conntrack::abort(uint32_t entry) {
  if (entry < entries_.size() && entries_[entry].used) remove(entry);
}

bool Conntrack::reclaim(Instant now, size_t budget) {
  bool freed = false;
  for (size_t n = 0; n < budget && n < entries_.size(); ++n) {
    cursor_ = (cursor_ + 1) % entries_.size();
    if (entries_[cursor_].used && entries_[cursor_].expires <= now) {
      remove(static_cast<uint32_t>(cursor_));
      freed = true;
    }
  }
  return freed;
}

void Conntrack::on_timer(Instant now) {
  if (now < next_sweep_) return;
  for (uint32_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].used && entries_[i].expires <= now) remove(i);
  next_sweep_ = used_ == 0 ? Instant::never() : now + cfg_.sweep_interval;
}

std::optional<CtEntryInfo> Conntrack::find(const CtTuple& t, Instant now) const {
  bool reply = false;
  const uint32_t i = lookup(make_key(t.src, t.dst, t.sport, t.dport, t.proto), &reply);
  if (i == kNil || entries_[i].expires <= now) return std::nullopt;
  const Entry& e = entries_[i];
  CtEntryInfo info;
  info.orig = reply ? CtTuple{t.dst, t.src, t.dport, t.sport, t.proto} : t;
  info.tcp = e.tcp;
  info.seen_reply = e.seen_reply;
  info.expires = e.expires;
  return info;
}

CtResult Conntrack::existing(uint32_t idx, bool reply) {
  Entry& e = entries_[idx];
  if (reply) e.seen_reply = true;
  return {e.seen_reply ? CtState::kEstablished : CtState::kNew, DropReason::kCount, idx, false};
}

CtResult Conntrack::track(const PacketMeta& m, Instant now) {
  switch (m.proto) {
    case wire::ip_proto::kTcp:
      if (!m.has_ports) return {CtState::kInvalid};
      return track_tcp(make_key(m.src, m.dst, m.sport, m.dport, m.proto), m.tcp_flags, now);
    case wire::ip_proto::kUdp:
      if (!m.has_ports) return {CtState::kInvalid};
      return track_simple(make_key(m.src, m.dst, m.sport, m.dport, m.proto), cfg_.udp,
                          cfg_.udp_stream, now);
    case wire::ip_proto::kIcmp:
    case wire::ip_proto::kIcmpv6:
      return track_icmp(m, now);
    default:
      return track_simple(make_key(m.src, m.dst, 0, 0, m.proto), cfg_.generic, cfg_.generic, now);
  }
}

CtResult Conntrack::track_simple(const Key& k, Duration unreplied, Duration replied,
                                 Instant now) {
  bool reply = false;
  uint32_t i = lookup(k, &reply);
  if (i != kNil && entries_[i].expires <= now) {
    remove(i);
    i = kNil;
  }
  if (i == kNil) {
    i = insert(k, now);
    if (i == kNil) return {CtState::kNew, DropReason::kConntrackFull};
    entries_[i].expires = now + unreplied;
    return {CtState::kNew, DropReason::kCount, i, true};
  }
  CtResult r = existing(i, reply);
  entries_[i].expires = now + (entries_[i].seen_reply ? replied : unreplied);
  return r;
}

CtResult Conntrack::track_icmp(const PacketMeta& m, Instant now) {
  if (!m.has_icmp) return {CtState::kInvalid};
  if (is_icmp_error(m)) {
    // RFC 792, RFC 4443 §2.4(c): the error quotes the datagram it is about; related if that
    // datagram belongs to a flow we track (in either direction).
    if (!m.has_inner) return {CtState::kInvalid};
    bool reply = false;
    const uint32_t i = lookup(
        make_key(m.inner_src, m.inner_dst, m.inner_sport, m.inner_dport, m.inner_proto), &reply);
    if (i == kNil || entries_[i].expires <= now) return {CtState::kInvalid};
    return {CtState::kRelated, DropReason::kCount, i, false};
  }
  const Key k = make_key(m.src, m.dst, m.icmp_id, m.icmp_id, m.proto);
  if (icmp_request(m.proto, m.icmp_type)) {
    bool reply = false;
    const uint32_t i = lookup(k, &reply);
    if (i != kNil && reply && entries_[i].expires > now) return {CtState::kInvalid};
    return track_simple(k, cfg_.icmp, cfg_.icmp, now);
  }
  if (icmp_reply(m.proto, m.icmp_type)) {
    bool reply = false;
    const uint32_t i = lookup(k, &reply);
    if (i == kNil || !reply || entries_[i].expires <= now) return {CtState::kInvalid};
    entries_[i].expires = now + cfg_.icmp;
    return existing(i, true);
  }
  return {CtState::kInvalid};  // other types are neither queries nor errors (Linux: invalid)
}

Duration Conntrack::tcp_timeout(TcpCt s) const {
  switch (s) {
    case TcpCt::kSynSent: return cfg_.tcp_syn_sent;
    case TcpCt::kSynRecv: return cfg_.tcp_syn_recv;
    case TcpCt::kEstablished: return cfg_.tcp_established;
    case TcpCt::kFinWait: return cfg_.tcp_fin_wait;
    case TcpCt::kCloseWait: return cfg_.tcp_close_wait;
    case TcpCt::kLastAck: return cfg_.tcp_last_ack;
    case TcpCt::kTimeWait: return cfg_.tcp_time_wait;
    case TcpCt::kClose:
    case TcpCt::kNone: return cfg_.tcp_close;
  }
  return cfg_.tcp_close;
}

CtResult Conntrack::track_tcp(const Key& k, uint8_t flags, Instant now) {
  using namespace wire::tcp_flag;
  const bool syn = flags & kSyn, ack = flags & kAck, fin = flags & kFin, rst = flags & kRst;
  bool reply = false;
  uint32_t i = lookup(k, &reply);
  if (i != kNil && entries_[i].expires <= now) {
    remove(i);
    i = kNil;
  }
  if (i != kNil && syn && !ack && !reply &&
      (entries_[i].tcp == TcpCt::kTimeWait || entries_[i].tcp == TcpCt::kClose)) {
    remove(i);  // a new connection reusing the tuple (Linux: reopen from TIME_WAIT/CLOSE)
    i = kNil;
  }
  if (i == kNil) {
    TcpCt s;
    if (syn && !ack && !rst) {
      s = TcpCt::kSynSent;  // RFC 9293 §3.5: an active open
    } else if (cfg_.tcp_loose && ack && !syn && !rst) {
      s = TcpCt::kEstablished;  // picked up mid-stream
    } else {
      return {CtState::kInvalid};
    }
    i = insert(k, now);
    if (i == kNil) return {CtState::kNew, DropReason::kConntrackFull};
    entries_[i].tcp = s;
    entries_[i].expires = now + tcp_timeout(s);
    return {CtState::kNew, DropReason::kCount, i, true};
  }
  Entry& e = entries_[i];
  TcpCt s = e.tcp;
  if (rst) {
    s = TcpCt::kClose;
  } else if (syn && !ack) {
    // Only a retransmitted SYN of the opener fits.
    if (reply || s != TcpCt::kSynSent) return {CtState::kInvalid, DropReason::kCount, i};
  } else if (syn) {  // SYN-ACK: only from the responder, during the handshake
    if (!reply || (s != TcpCt::kSynSent && s != TcpCt::kSynRecv))
      return {CtState::kInvalid, DropReason::kCount, i};
    s = TcpCt::kSynRecv;
  } else if (s == TcpCt::kSynSent) {
    return {CtState::kInvalid, DropReason::kCount, i};  // nothing but SYN-ACK answers a SYN
  } else {
    if (s == TcpCt::kSynRecv && ack && !reply) s = TcpCt::kEstablished;  // handshake done
    if (fin) {
      e.fins |= reply ? 2 : 1;
      if (e.fins == 3)
        s = TcpCt::kLastAck;
      else if (s == TcpCt::kEstablished || s == TcpCt::kSynRecv)
        s = reply ? TcpCt::kCloseWait : TcpCt::kFinWait;
    } else if (s == TcpCt::kLastAck && ack) {
      s = TcpCt::kTimeWait;  // the last FIN is acknowledged
    }
  }
  e.tcp = s;
  e.expires = now + tcp_timeout(s);
  return existing(i, reply);
}

}  // namespace stackd::ip::filter
