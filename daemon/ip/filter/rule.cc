#include "ip/filter/rule.h"

#include "wire/ip_proto.h"

namespace stackd::ip::filter {

bool Match::matches(const PacketMeta& m, CtState ct) const {
  if (proto >= 0 && m.proto != proto) return false;
  if (dport && (!m.has_ports || !dport->contains(m.dport))) return false;
  if (sport && (!m.has_ports || !sport->contains(m.sport))) return false;
  if (iif != 0 && m.iif != iif) return false;
  if (oif != 0 && m.oif != oif) return false;
  if (ip_version != 0 && m.ip_version != ip_version) return false;
  if (tcp_flags_mask != 0 &&
      (m.proto != wire::ip_proto::kTcp || !m.has_ports ||
       (m.tcp_flags & tcp_flags_mask) != tcp_flags_value))
    return false;
  if (icmp_type >= 0 && (!m.has_icmp || m.icmp_type != icmp_type)) return false;
  if (icmp_code >= 0 && (!m.has_icmp || m.icmp_code != icmp_code)) return false;
  if (ct_states != 0 && (ct_states & ct_bit(ct)) == 0) return false;
  if (src && !src->contains(m.src)) return false;
  if (dst && !dst->contains(m.dst)) return false;
  return true;
}

std::optional<std::string> validate(const Rule& r) {
  const Match& m = r.match;
  if (m.ip_version != 0 && m.ip_version != 4 && m.ip_version != 6)
    return "ip version must be 4 or 6";
  if (m.proto > 255) return "protocol out of range";
  const bool ports_ok = m.proto == wire::ip_proto::kTcp || m.proto == wire::ip_proto::kUdp;
  if ((m.sport || m.dport) && !ports_ok) return "port match needs protocol tcp or udp";
  if ((m.sport && m.sport->lo > m.sport->hi) || (m.dport && m.dport->lo > m.dport->hi))
    return "port range is empty";
  if (m.tcp_flags_mask != 0 && m.proto != wire::ip_proto::kTcp)
    return "tcp flags match needs protocol tcp";
  if ((m.tcp_flags_value & ~m.tcp_flags_mask) != 0)
    return "tcp flags value has bits outside the mask";
  if ((m.icmp_type >= 0 || m.icmp_code >= 0) && m.proto != wire::ip_proto::kIcmp &&
      m.proto != wire::ip_proto::kIcmpv6)
    return "icmp match needs protocol icmp or icmpv6";
  if (m.ip_version == 4 && m.proto == wire::ip_proto::kIcmpv6) return "icmpv6 needs ip version 6";
  if (m.ip_version == 6 && m.proto == wire::ip_proto::kIcmp) return "icmp (v4) needs ip version 4";
  if (m.icmp_type > 255 || m.icmp_code > 255) return "icmp type/code out of range";
  for (const auto& p : {m.src, m.dst}) {
    if (p && p->len > p->addr.max_prefix()) return "prefix length too long";
    if (p && m.ip_version != 0 && (m.ip_version == 4) != p->addr.is_v4())
      return "prefix family differs from the rule's ip version";
  }
  if (m.src && m.dst && m.src->addr.is_v4() != m.dst->addr.is_v4())
    return "saddr and daddr are of different families";
  if (m.ct_states >= (1u << 5)) return "unknown ct state";
  if (r.log && (r.log_spec.rate_per_sec == 0 || r.log_spec.burst == 0))
    return "log rate and burst must be positive";
  return std::nullopt;
}

std::optional<std::string> validate(const Chain& c) {
  if (c.policy != Action::kAccept && c.policy != Action::kDrop)
    return "chain policy must be accept or drop";
  for (const Rule& r : c.rules)
    if (auto e = validate(r)) return e;
  return std::nullopt;
}

}  // namespace stackd::ip::filter
