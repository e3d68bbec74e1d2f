#include "l2/mld.h"

#include <algorithm>

#include "wire/icmpv6.h"
#include "wire/ip_proto.h"
#include "wire/ipv6.h"

namespace stackd::l2 {

namespace {
// RFC 2711 Router Alert (type 5, length 2, value 0: MLD) and a PadN of 2
// bytes: one 8-byte Hop-by-Hop header (RFC 8200 §4.3).
constexpr uint8_t kHbhRouterAlert[8] = {wire::ip_proto::kIcmpv6, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00};
// ff02::2: MLDv1 Dones go to all routers (RFC 2710 §4).
constexpr Ipv6Addr kAllRouters{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

Ipv6Addr mld_source(const Interface& iface) {
  for (const auto& a : iface.addrs6)
    if (a.addr.is_link_local() && a.state == Ipv6AddrState::kPreferred) return a.addr;
  return Ipv6Addr{};  // RFC 3590 §4: the unspecified address while none is usable
}
}  // namespace

std::vector<Ipv6Addr> Mld::wanted(const Interface& iface) {
  std::vector<Ipv6Addr> g;
  if (!iface.ipv6 || !iface.mld || !iface.up) return g;
  for (const auto& a : iface.addrs6)
    if (a.state != Ipv6AddrState::kDuplicate) g.push_back(a.addr.solicited_node());
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}

Mld::State& Mld::state(Interface& iface) {
  for (auto& s : ifs_)
    if (s.iface == &iface) return s;
  State s;
  s.iface = &iface;
  // Delays only spread hosts' reports apart: a generator seeded by the
  // MAC differs between hosts, which is all RFC 3810 §6.1 needs.
  for (uint8_t b : iface.mac.b) s.rng = s.rng * 131 + b;
  s.rng ^= 0x9e3779b97f4a7c15ull * iface.index;
  ifs_.push_back(s);
  return ifs_.back();
}

Duration Mld::random_delay(State& s, Duration max) {
  // splitmix64
  uint64_t z = (s.rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  if (max.ns <= 0) return Duration::zero();
  return Duration::nanos(static_cast<int64_t>(z % static_cast<uint64_t>(max.ns + 1)));
}

void Mld::sync(Interface& iface, Instant now) {
  if (next_sync_ == Instant::never()) next_sync_ = now + kResync;
  State& s = state(iface);
  const std::vector<Ipv6Addr> want = wanted(iface);
  if (want == s.groups) return;
  std::vector<wire::MldRecord> recs;
  for (const auto& g : want)
    if (!std::binary_search(s.groups.begin(), s.groups.end(), g))
      recs.push_back({wire::mld_record::kChangeToExclude, g});
  for (const auto& g : s.groups)
    if (!std::binary_search(want.begin(), want.end(), g))
      recs.push_back({wire::mld_record::kChangeToInclude, g});
  s.groups = want;
  // A change still being repeated: its records for other groups stay
  // (RFC 3810 §6.1 merges pending state changes per group).
  for (const auto& old : s.change)
    if (std::none_of(recs.begin(), recs.end(), [&](const auto& r) { return r.group == old.group; }))
      recs.push_back(old);
  std::erase_if(s.group_at, [&](const auto& p) { return !std::binary_search(want.begin(), want.end(), p.first); });
  send_records(s, recs, now);
  s.change = std::move(recs);
  s.change_left = 1;  // Robustness Variable 2: one more transmission
  s.change_at = now + random_delay(s, kUnsolicitedReportInterval);
}

void Mld::send_records(State& s, const std::vector<wire::MldRecord>& recs, Instant now) {
  if (recs.empty()) return;
  if (!v1(s, now)) return send_v2(*s.iface, recs, now);
  // RFC 3810 §8.3.2 / RFC 2710 §4: an MLDv1 report per joined group, a
  // Done per left one.
  for (const auto& r : recs) {
    const bool leave = r.type == wire::mld_record::kChangeToInclude;
    send_v1(*s.iface, leave ? wire::icmpv6_type::kMldDone : wire::icmpv6_type::kMldReport, r.group, now);
  }
}

void Mld::input(Interface& iface, const NdRx& rx, Instant now) {
  if (rx.icmp.empty() || rx.icmp[0] != wire::icmpv6_type::kMldQuery) return;  // others' reports: nothing to do
  counters_.inc(Counter::Icmp6InGroupMembQueries);
  // RFC 3810 §5 (hop limit 1, link-local source), §6.2.
  if (rx.hop_limit != 1 || !rx.src.is_link_local()) {
    drops_.drop(DropReason::kMldInvalid);
    return;
  }
  auto q = wire::MldQuery::parse(rx.icmp);
  if (!q) {
    drops_.drop(q.error());
    return;
  }
  if (!iface.mld) return;
  State& s = state(iface);
  if (s.groups.empty()) return;
  if (q->v1) s.v1_until = now + kOlderVersionQuerierPresent;  // §8.2.1
  const Instant at = now + random_delay(s, q->max_response);
  if (q->group.is_unspecified()) {
    // §6.2 rule 1: a pending general response due sooner stays.
    if (s.general_at == Instant::never() || at < s.general_at) s.general_at = at;
    return;
  }
  if (!std::binary_search(s.groups.begin(), s.groups.end(), q->group)) return;  // not a member
  if (s.general_at != Instant::never() && s.general_at <= at) return;  // rule 2
  for (auto& [g, t] : s.group_at)
    if (g == q->group) {
      if (at < t) t = at;  // rule 3 (no sources kept: EXCLUDE {})
      return;
    }
  s.group_at.emplace_back(q->group, at);
}

Instant Mld::poll_at() const {
  Instant t = next_sync_;
  for (const auto& s : ifs_) {
    t = earliest(t, earliest(s.change_at, s.general_at));
    for (const auto& p : s.group_at) t = earliest(t, p.second);
  }
  return t;
}

void Mld::on_timer(Instant now) {
  if (next_sync_ <= now) {
    next_sync_ = now + kResync;
    for (auto& s : ifs_) sync(*s.iface, now);
  }
  for (auto& s : ifs_) {
    if (s.change_at <= now) {
      send_records(s, s.change, now);
      if (s.change_left > 0) --s.change_left;
      if (s.change_left == 0) {
        s.change.clear();
        s.change_at = Instant::never();
      } else {
        s.change_at = now + random_delay(s, kUnsolicitedReportInterval);
      }
    }
    std::vector<wire::MldRecord> recs;
    if (s.general_at <= now) {
      s.general_at = Instant::never();
      s.group_at.clear();
      for (const auto& g : s.groups) recs.push_back({wire::mld_record::kModeIsExclude, g});
    }
    for (size_t i = 0; i < s.group_at.size();) {
      if (s.group_at[i].second <= now) {
        recs.push_back({wire::mld_record::kModeIsExclude, s.group_at[i].first});
        s.group_at.erase(s.group_at.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    send_records(s, recs, now);
  }
}

void Mld::forget(uint16_t ifindex) {
  std::erase_if(ifs_, [&](const State& s) { return s.iface->index == ifindex; });
}

std::vector<Ipv6Addr> Mld::groups(uint16_t ifindex) const {
  for (const auto& s : ifs_)
    if (s.iface->index == ifindex) return s.groups;
  return {};
}

template <typename F>
void Mld::send_packet(Interface& iface, const Ipv6Addr& dst, uint32_t len, F&& fill, Instant now) {
  const uint32_t payload = static_cast<uint32_t>(sizeof(kHbhRouterAlert)) + len;
  const uint32_t total = static_cast<uint32_t>(wire::kIpv6HeaderLen) + payload;
  buf::PacketBuf pkt = sink_.alloc_packet(iface, total);
  if (!pkt || !pkt.append(total)) return;
  const Ipv6Addr src = mld_source(iface);
  wire::Ipv6Repr h{src, dst, wire::ip_proto::kHopByHop, 1, static_cast<uint16_t>(payload), 0, 0};
  h.emit(pkt.bytes());
  auto rest = pkt.bytes().subspan(wire::kIpv6HeaderLen);
  std::copy(std::begin(kHbhRouterAlert), std::end(kHbhRouterAlert), rest.begin());
  auto icmp = rest.subspan(sizeof(kHbhRouterAlert));
  fill(icmp);
  wire::Icmpv6View<uint8_t>(icmp).fill_checksum(src, dst);
  counters_.inc(Counter::Icmp6OutMsgs);
  sink_.send_ipv6(iface, dst, std::move(pkt), now);
}

void Mld::send_v2(Interface& iface, std::span<const wire::MldRecord> recs, Instant now) {
  // As many records as fit the link MTU per report (RFC 3810 §5.2.15).
  const size_t room = iface.mtu > 48 + 8 ? (iface.mtu - 48 - 8) / wire::kMldv2RecordLen : 1;
  for (size_t i = 0; i < recs.size(); i += room) {
    const auto part = recs.subspan(i, std::min(room, recs.size() - i));
    const auto len = static_cast<uint32_t>(wire::mldv2_report_len(part.size()));
    send_packet(iface, wire::kAllMldv2Routers, len, [&](std::span<uint8_t> m) { wire::emit_mldv2_report(m, part); },
                now);
    counters_.inc(Counter::Icmp6OutMLDv2Reports);
  }
}

void Mld::send_v1(Interface& iface, uint8_t type, const Ipv6Addr& group, Instant now) {
  const bool done = type == wire::icmpv6_type::kMldDone;
  send_packet(iface, done ? kAllRouters : group, static_cast<uint32_t>(wire::kMldv1Len),
              [&](std::span<uint8_t> m) { wire::emit_mldv1(m, type, group); }, now);
  counters_.inc(done ? Counter::Icmp6OutGroupMembReductions : Counter::Icmp6OutGroupMembResponses);
}

}  // namespace stackd::l2
