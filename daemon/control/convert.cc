#include "control/convert.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "ip/filter/filter.h"

namespace stackd::control {

using ip::filter::Action;
using ip::filter::CtState;

uint16_t ifindex_of(const stack::Stack& s, const std::string& name) {
  for (const auto& i : s.interfaces())
    if (i && i->name == name) return i->index;
  return 0;
}

std::string ifname_of(const stack::Stack& s, uint16_t index) {
  for (const auto& i : s.interfaces())
    if (i && i->index == index) return i->name;
  return {};
}

l2::Interface* iface_by_name(stack::Stack& s, const std::string& name) {
  for (const auto& i : s.interfaces())
    if (i && i->name == name) return i.get();
  return nullptr;
}

std::vector<pb::Address> addresses_of(const l2::Interface& i, uint32_t family) {
  std::vector<pb::Address> out;
  auto add = [&](const IpPrefix& p, std::string flags) {
    pb::Address a;
    a.set_dev(i.name);
    a.set_prefix(p.to_string());
    a.set_flags(std::move(flags));
    out.push_back(std::move(a));
  };
  if (family != 6)
    for (const auto& p : i.addrs)
      if (p.addr.is_v4()) add(p, "");
  if (family == 4) return out;
  if (i.ipv6) {
    for (const auto& a : i.addrs6)
      add(IpPrefix{IpAddr(a.addr), a.len}, a.state == l2::Ipv6AddrState::kTentative   ? "tentative"
                                           : a.state == l2::Ipv6AddrState::kDuplicate ? "dadfailed"
                                                                                      : "");
  } else {
    for (const auto& p : i.addrs)  // configured, but IPv6 is off on this interface
      if (p.addr.is_v6()) add(p, "");
  }
  return out;
}

pb::Link to_pb(const l2::Interface& i) {
  pb::Link l;
  l.set_index(i.index);
  l.set_name(i.name);
  l.set_mac(i.mac.to_string());
  l.set_mtu(i.mtu);
  l.set_up(i.up);
  for (const auto& a : addresses_of(i, 0)) l.add_addresses(a.prefix());
  auto* st = l.mutable_stats();
  st->set_rx_packets(i.stats.rx_packets);
  st->set_rx_bytes(i.stats.rx_bytes);
  st->set_rx_dropped(i.stats.rx_dropped);
  st->set_rx_multicast(i.stats.rx_multicast);
  st->set_tx_packets(i.stats.tx_packets);
  st->set_tx_bytes(i.stats.tx_bytes);
  st->set_tx_dropped(i.stats.tx_dropped);
  return l;
}

pb::Route to_pb(const stack::Stack& s, const ip::Route& r) {
  pb::Route o;
  o.set_dst(r.dst.to_string());
  if (r.gateway) o.set_via(r.gateway->to_string());
  o.set_dev(ifname_of(s, r.ifindex));
  o.set_metric(r.metric);
  o.set_mtu(r.mtu);
  o.set_connected(r.connected);
  return o;
}

pb::Neighbour to_pb(const stack::Stack& s, const l2::NeighInfo& n) {
  pb::Neighbour o;
  o.set_addr(n.addr.to_string());
  if (n.state != l2::NeighState::kIncomplete && n.state != l2::NeighState::kFailed)
    o.set_lladdr(n.mac.to_string());
  o.set_dev(ifname_of(s, n.ifindex));
  o.set_state(std::string(l2::neigh_state_name(n.state)));
  o.set_probes(n.probes);
  o.set_pending(n.pending);
  return o;
}

namespace {
struct SsName {
  tcp::TcpState st;
  std::string_view shown, filter;
};
// ss(8): the names it prints and the names its state filter takes.
constexpr std::array<SsName, 11> kSsNames{{
    {tcp::TcpState::kClosed, "UNCONN", "closed"},
    {tcp::TcpState::kListen, "LISTEN", "listening"},
    {tcp::TcpState::kSynSent, "SYN-SENT", "syn-sent"},
    {tcp::TcpState::kSynReceived, "SYN-RECV", "syn-recv"},
    {tcp::TcpState::kEstablished, "ESTAB", "established"},
    {tcp::TcpState::kFinWait1, "FIN-WAIT-1", "fin-wait-1"},
    {tcp::TcpState::kFinWait2, "FIN-WAIT-2", "fin-wait-2"},
    {tcp::TcpState::kCloseWait, "CLOSE-WAIT", "close-wait"},
    {tcp::TcpState::kClosing, "CLOSING", "closing"},
    {tcp::TcpState::kLastAck, "LAST-ACK", "last-ack"},
    {tcp::TcpState::kTimeWait, "TIME-WAIT", "time-wait"},
}};
}  // namespace

std::string ss_state(tcp::TcpState st) {
  for (const auto& n : kSsNames)
    if (n.st == st) return std::string(n.shown);
  return "UNKNOWN";
}

bool ss_state_matches(tcp::TcpState st, const std::string& f) {
  using S = tcp::TcpState;
  if (f == "all") return true;
  // ss(8) state groups.
  if (f == "connected") return st != S::kListen && st != S::kClosed;
  if (f == "synchronized") return st != S::kListen && st != S::kClosed && st != S::kSynSent;
  if (f == "bucket") return st == S::kSynReceived || st == S::kTimeWait;
  if (f == "big") return st != S::kSynReceived && st != S::kTimeWait;
  for (const auto& n : kSsNames)
    if (n.filter == f) return n.st == st;
  return false;
}

namespace {
// ss(8): "10.0.0.2:7", "[2001:db8::2]:7", "*:*" for the wildcard address / no port.
std::string endpoint(const IpAddr& a, uint16_t p) {
  const std::string port = p == 0 ? std::string("*") : std::to_string(p);
  if (a.is_unspecified()) return "*:" + port;
  return a.is_v4() ? fmt::format("{}:{}", a.to_string(), port) : fmt::format("[{}]:{}", a.to_string(), port);
}
}  // namespace

pb::Connection to_pb(const transport::UdpSocket& s) {
  pb::Connection c;
  c.set_netid("udp");
  c.set_state(s.connected() ? "ESTAB" : "UNCONN");
  c.set_recv_q(s.rx_bytes());
  c.set_local(endpoint(s.local_addr(), s.local_port()));
  c.set_peer(s.connected() ? endpoint(s.remote_addr(), s.remote_port()) : "*:*");
  return c;
}

pb::Connection to_pb(const tcp::Tcb& t) {
  pb::Connection c;
  c.set_netid("tcp");
  c.set_state(ss_state(t.state));
  c.set_index(t.index);
  const bool listen = t.state == tcp::TcpState::kListen;
  if (listen) {
    c.set_recv_q(t.accept_queue.size());
    c.set_send_q(t.backlog);
  } else {
    c.set_recv_q(t.rcv_ring.size());
    c.set_send_q(t.snd_ring.size());
  }
  c.set_local(endpoint(t.local_addr, t.local_port));
  c.set_peer(endpoint(t.remote_addr, t.remote_port));
  if (!listen && t.state != tcp::TcpState::kClosed) {
    auto* i = c.mutable_tcp_info();
    const uint32_t mss = t.eff_mss ? t.eff_mss : 1;
    i->set_rto_us(static_cast<uint32_t>(t.rtt.rto().as_micros()));
    i->set_rtt_us(static_cast<uint32_t>(t.rtt.srtt().as_micros()));
    i->set_rttvar_us(static_cast<uint32_t>(t.rtt.rttvar().as_micros()));
    i->set_snd_mss(t.eff_mss);
    i->set_rcv_mss(t.rcv_mss);
    i->set_snd_cwnd(t.cc.cwnd / mss);  // ss prints segments
    i->set_snd_ssthresh(t.cc.ssthresh >= 0x7fffffffu ? 0x7fffffffu : t.cc.ssthresh / mss);
    i->set_retransmits(t.retries);
    i->set_total_retrans(t.total_retrans);
    i->set_reordering(t.reordering);
    i->set_snd_wscale(t.snd_wscale);
    i->set_rcv_wscale(t.rcv_wscale);
    i->set_timestamps(t.ts_ok);
    i->set_sack(t.sack_ok);
    i->set_bytes_acked(t.bytes_acked);
    i->set_bytes_received(t.bytes_received);
    i->set_segs_in(t.segs_in);
    i->set_segs_out(t.segs_out);
    i->set_snd_wnd(t.snd.wnd);
    i->set_rcv_wnd(t.rcv.wnd);
    i->set_unacked(((t.snd_max - t.snd.una).v + mss - 1) / mss);
    if (t.ca) i->set_congestion(std::string(t.ca->name()));
  }
  return c;
}

pb::Verdict to_pb(Action a) {
  switch (a) {
    case Action::kAccept: return pb::VERDICT_ACCEPT;
    case Action::kDrop: return pb::VERDICT_DROP;
    case Action::kReject: return pb::VERDICT_REJECT;
    case Action::kContinue: return pb::VERDICT_CONTINUE;
  }
  return pb::VERDICT_ACCEPT;
}

Action from_pb(pb::Verdict v) {
  switch (v) {
    case pb::VERDICT_DROP: return Action::kDrop;
    case pb::VERDICT_REJECT: return Action::kReject;
    case pb::VERDICT_CONTINUE: return Action::kContinue;
    default: return Action::kAccept;
  }
}

namespace {
constexpr std::array<std::pair<CtState, std::string_view>, 5> kCtNames{{
    {CtState::kNew, "new"},
    {CtState::kEstablished, "established"},
    {CtState::kRelated, "related"},
    {CtState::kInvalid, "invalid"},
    {CtState::kUntracked, "untracked"},
}};
}  // namespace

pb::Rule to_pb(const stack::Stack& s, const ip::filter::Rule& r, ip::filter::Hook h) {
  pb::Rule o;
  o.set_handle(r.handle);
  o.set_hook(h == ip::filter::Hook::kInput ? pb::HOOK_INPUT : pb::HOOK_OUTPUT);
  auto* m = o.mutable_match();
  const auto& rm = r.match;
  if (rm.iif) m->set_iif(ifname_of(s, rm.iif));
  if (rm.oif) m->set_oif(ifname_of(s, rm.oif));
  m->set_ip_version(rm.ip_version);
  if (rm.proto >= 0) m->set_protocol(static_cast<uint32_t>(rm.proto));
  if (rm.src) m->set_src(rm.src->to_string());
  if (rm.dst) m->set_dst(rm.dst->to_string());
  if (rm.sport) {
    m->mutable_sport()->set_lo(rm.sport->lo);
    m->mutable_sport()->set_hi(rm.sport->hi);
  }
  if (rm.dport) {
    m->mutable_dport()->set_lo(rm.dport->lo);
    m->mutable_dport()->set_hi(rm.dport->hi);
  }
  m->set_tcp_flags_mask(rm.tcp_flags_mask);
  m->set_tcp_flags_value(rm.tcp_flags_value);
  if (rm.icmp_type >= 0) m->set_icmp_type(static_cast<uint32_t>(rm.icmp_type));
  if (rm.icmp_code >= 0) m->set_icmp_code(static_cast<uint32_t>(rm.icmp_code));
  for (const auto& [st, name] : kCtNames)
    if (rm.ct_states & ip::filter::ct_bit(st)) m->add_ct_state(std::string(name));
  o.set_verdict(to_pb(r.action));
  o.set_log(r.log);
  o.set_log_prefix(r.log_spec.prefix);
  o.set_comment(r.comment);
  return o;
}

void list_rules(stack::Stack& s, pb::ListRulesResponse* out) {
  auto& fw = s.firewall();
  for (ip::filter::Hook h : {ip::filter::Hook::kInput, ip::filter::Hook::kOutput}) {
    for (const auto& ri : fw.list(h)) {
      pb::Rule r = to_pb(s, ri.rule, h);
      r.set_packets(ri.counters.packets);
      r.set_bytes(ri.counters.bytes);
      *out->add_rules() = std::move(r);
    }
  }
  out->set_input_policy(to_pb(fw.ruleset().input.policy));
  out->set_output_policy(to_pb(fw.ruleset().output.policy));
}

std::optional<ip::filter::Rule> from_pb(const stack::Stack& s, const pb::Rule& in, std::string* err) {
  ip::filter::Rule r;
  r.handle = in.handle();
  const auto& m = in.match();
  auto iface = [&](const std::string& name, uint16_t* out) {
    if (name.empty()) return true;
    *out = ifindex_of(s, name);
    if (*out == 0) *err = fmt::format("no interface \"{}\"", name);
    return *out != 0;
  };
  if (!iface(m.iif(), &r.match.iif) || !iface(m.oif(), &r.match.oif)) return std::nullopt;
  if (m.ip_version() != 0 && m.ip_version() != 4 && m.ip_version() != 6) {
    *err = fmt::format("ip version {} (expected 4 or 6)", m.ip_version());
    return std::nullopt;
  }
  r.match.ip_version = static_cast<uint8_t>(m.ip_version());
  if (m.has_protocol()) {
    if (m.protocol() > 255) {
      *err = fmt::format("protocol {} (expected 0..255)", m.protocol());
      return std::nullopt;
    }
    r.match.proto = static_cast<int16_t>(m.protocol());
  }
  auto prefix = [&](const std::string& text, std::optional<IpPrefix>* out) {
    if (text.empty()) return true;
    auto p = IpPrefix::parse(text);
    if (!p) {
      if (auto a = IpAddr::parse(text)) p = IpPrefix{*a, static_cast<uint8_t>(a->max_prefix())};
    }
    if (!p) *err = fmt::format("\"{}\" is not an address or prefix", text);
    else *out = p->network();
    return p.has_value();
  };
  if (!prefix(m.src(), &r.match.src) || !prefix(m.dst(), &r.match.dst)) return std::nullopt;
  auto ports = [&](const pb::PortRange& p, bool has, std::optional<ip::filter::PortRange>* out) {
    if (!has) return true;
    if (p.lo() > 65535 || p.hi() > 65535 || p.lo() > p.hi()) {
      *err = fmt::format("port range {}-{} (expected lo <= hi <= 65535)", p.lo(), p.hi());
      return false;
    }
    *out = ip::filter::PortRange{static_cast<uint16_t>(p.lo()), static_cast<uint16_t>(p.hi())};
    return true;
  };
  if (!ports(m.sport(), m.has_sport(), &r.match.sport) || !ports(m.dport(), m.has_dport(), &r.match.dport))
    return std::nullopt;
  r.match.tcp_flags_mask = static_cast<uint8_t>(m.tcp_flags_mask());
  r.match.tcp_flags_value = static_cast<uint8_t>(m.tcp_flags_value());
  if (m.has_icmp_type()) r.match.icmp_type = static_cast<int16_t>(m.icmp_type() & 0xff);
  if (m.has_icmp_code()) r.match.icmp_code = static_cast<int16_t>(m.icmp_code() & 0xff);
  for (const auto& name : m.ct_state()) {
    bool known = false;
    for (const auto& [st, n] : kCtNames)
      if (n == name) {
        r.match.ct_states |= ip::filter::ct_bit(st);
        known = true;
      }
    if (!known) {
      *err = fmt::format("ct state \"{}\" (expected new, established, related, invalid, untracked)", name);
      return std::nullopt;
    }
  }
  r.action = from_pb(in.verdict());
  r.log = in.log();
  r.log_spec.prefix = in.log_prefix();
  r.comment = in.comment();
  if (auto e = ip::filter::validate(r)) {
    *err = *e;
    return std::nullopt;
  }
  return r;
}

}  // namespace stackd::control
