#include "ip/reassembly.h"

#include <algorithm>
#include <cstring>

namespace stackd::ip {

namespace {
constexpr uint32_t kMaxDatagram = 65535;
}

void Reassembler::fail(Table::iterator it, DropReason why) {
  counters_.inc(v6_ ? Counter::Ip6ReasmFails : Counter::IpReasmFails);
  drops_.drop(why);
  bytes_ -= it->second.buf.capacity();
  order_.erase(it->second.order);
  table_.erase(it);
}

bool Reassembler::grow(Table::iterator it, uint32_t end) {
  Datagram& d = it->second;
  if (d.buf && d.buf.size() >= end) return true;
  if (d.buf && d.buf.tailroom() >= end - d.buf.size()) {
    std::memset(d.buf.data() + d.buf.size(), 0, end - d.buf.size());
    (void)d.buf.append(end - d.buf.size());
    return true;
  }
  // Size by the total once known; before that grow geometrically so a
  // datagram arriving in order costs O(log n) copies, not O(n).
  uint32_t want = d.have_last ? d.total : std::max(end, std::min(kMaxDatagram, 2 * d.buf.size()));
  uint32_t cap = want + buf::kDefaultHeadroom;
  uint32_t old_cap = d.buf.capacity();
  while (bytes_ - old_cap + cap > limits_.max_bytes && order_.front() != it->first) {
    fail(table_.find(order_.front()), DropReason::kIpReasmMemory);  // evict the oldest
  }
  if (bytes_ - old_cap + cap > limits_.max_bytes) return false;
  buf::PacketBuf nb = pool_.alloc(want);
  if (!nb) return false;
  (void)nb.append(end);
  uint32_t old_len = d.buf ? d.buf.size() : 0;
  if (old_len > 0) std::memcpy(nb.data(), d.buf.data(), old_len);
  std::memset(nb.data() + old_len, 0, end - old_len);
  bytes_ = bytes_ - old_cap + nb.capacity();
  d.buf = std::move(nb);
  return true;
}

std::optional<Reassembled> Reassembler::add(const FragmentIn& f, Instant now) {
  counters_.inc(v6_ ? Counter::Ip6ReasmReqds : Counter::IpReasmReqds);
  const Counter fails = v6_ ? Counter::Ip6ReasmFails : Counter::IpReasmFails;
  const uint32_t len = static_cast<uint32_t>(f.payload.size());
  const uint32_t start = f.offset, end = f.offset + len;
  // RFC 791: every fragment but the last carries a multiple of 8 bytes.
  if (len == 0 || (f.more && len % 8 != 0)) {
    counters_.inc(fails);
    drops_.drop(DropReason::kIpFragBad);
    return std::nullopt;
  }
  // The "ping of death": IPv4 counts its header in the 65535, IPv6 only
  // what follows the fixed header (the payload length field).
  const size_t counted = v6_ ? f.header.size() - std::min<size_t>(f.header.size(), 40) : f.header.size();
  if (end > kMaxDatagram - counted) {
    counters_.inc(fails);
    drops_.drop(DropReason::kIpFragTooBig);
    return std::nullopt;
  }

  Key key{f.src, f.dst, f.id, f.protocol};
  auto it = table_.find(key);
  if (it == table_.end()) {
    it = table_.emplace(key, Datagram{}).first;
    it->second.deadline = now + limits_.timeout;
    it->second.order = order_.insert(order_.end(), key);
  }
  Datagram& d = it->second;
  d.ifindex = f.ifindex;

  // Exact duplicate: drop it alone (documented choice above). Any other
  // overlap: discard the datagram.
  for (const Range& r : d.ranges) {
    if (r.start == start && r.end == end && r.more == f.more) {
      drops_.drop(DropReason::kIpFragDuplicate);
      return std::nullopt;
    }
    if (start < r.end && r.start < end) {
      fail(it, DropReason::kIpFragOverlap);
      return std::nullopt;
    }
  }
  if (d.ranges.size() >= limits_.max_frags) {
    fail(it, DropReason::kIpFragTooMany);
    return std::nullopt;
  }
  uint32_t held_end = d.buf ? d.buf.size() : 0;
  if (!f.more) {
    if ((d.have_last && end != d.total) || end < held_end) {
      fail(it, DropReason::kIpFragBad);
      return std::nullopt;
    }
    d.have_last = true;
    d.total = end;
  } else if (d.have_last && end > d.total) {
    fail(it, DropReason::kIpFragBad);
    return std::nullopt;
  }
  if (!grow(it, end)) {
    fail(it, DropReason::kIpReasmMemory);
    return std::nullopt;
  }
  std::memcpy(d.buf.data() + start, f.payload.data(), len);
  d.ranges.push_back({start, end, f.more});
  d.received += len;
  if (start == 0) {
    d.have_first = true;
    size_t hl = std::min<size_t>(f.header.size(), kReasmMaxHeader);
    size_t dl = std::min<size_t>(len, 8);
    std::memcpy(d.first.bytes, f.header.data(), hl);
    std::memcpy(d.first.bytes + hl, f.payload.data(), dl);
    d.first.header_len = static_cast<uint8_t>(hl);
    d.first.len = static_cast<uint8_t>(hl + dl);
  }
  if (!d.have_last || d.received != d.total) return std::nullopt;

  Reassembled out{std::move(d.buf), d.first, d.ifindex};
  out.payload.trim(d.total);
  bytes_ -= out.payload.capacity();
  order_.erase(d.order);
  table_.erase(it);
  counters_.inc(v6_ ? Counter::Ip6ReasmOKs : Counter::IpReasmOKs);
  return out;
}

Instant Reassembler::poll_at() const {
  if (order_.empty()) return Instant::never();
  return table_.find(order_.front())->second.deadline;
}

}  // namespace stackd::ip
