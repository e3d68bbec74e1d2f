// Printers for ICMP, ICMPv6/NDP, UDP and TCP (see print.h).
#include <string>

#include "wire/icmpv4.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"
#include "wire/print.h"
#include "wire/print_util.h"
#include "wire/tcp.h"
#include "wire/udp.h"

namespace stackd::wire {

std::string describe_icmpv4(std::span<const uint8_t> message) {
  auto v = Icmpv4View<const uint8_t>::checked(message);
  if (!v) return malformed("icmp", v.error());
  std::string s = "ICMP ";
  const size_t len = message.size();
  switch (v->type()) {
    case icmpv4_type::kEchoRequest:
    case icmpv4_type::kEchoReply:
      s += v->type() == icmpv4_type::kEchoRequest ? "echo request" : "echo reply";
      s += ", id " + std::to_string(v->echo_id()) + ", seq " + std::to_string(v->echo_seq());
      break;
    case icmpv4_type::kDestUnreachable: {
      static const char* kNames[] = {"net",          "host",           "protocol",
                                     "port",         "need to frag",   "source route failed",
                                     "net unknown",  "host unknown",   "src isolated",
                                     "net prohibited", "host prohibited", "net tos",
                                     "host tos",     "admin prohibited"};
      s += "unreachable - ";
      s += v->code() < std::size(kNames) ? kNames[v->code()] : "code " + std::to_string(v->code());
      if (v->code() == icmpv4_unreach::kFragNeeded)
        s += " (mtu " + std::to_string(v->next_hop_mtu()) + ")";
      break;
    }
    case icmpv4_type::kTimeExceeded:
      s += v->code() == icmpv4_time_exceeded::kFragReassembly ? "ip reassembly time exceeded"
                                                             : "time exceeded in-transit";
      break;
    case icmpv4_type::kParamProblem:
      s += "parameter problem - octet " + std::to_string(v->pointer());
      break;
    case icmpv4_type::kRedirect:
      s += "redirect";
      break;
    default:
      s += "type " + std::to_string(v->type()) + ", code " + std::to_string(v->code());
      break;
  }
  return s + ", length " + std::to_string(len);
}

namespace {

std::string describe_ndp(Icmpv6View<const uint8_t> v) {
  auto r = NdpRepr::parse(v);
  if (!r) return malformed("ndp", r.error());
  std::string s;
  if (std::holds_alternative<NdpRouterSolicit>(r->msg)) {
    s = "router solicitation";
  } else if (const auto* ra = std::get_if<NdpRouterAdvert>(&r->msg)) {
    s = "router advertisement, hop limit " + std::to_string(ra->cur_hop_limit) + ", Flags [";
    s += ra->managed ? (ra->other ? "managed, other stateful" : "managed") : (ra->other ? "other stateful" : "none");
    s += "], router lifetime " + std::to_string(ra->router_lifetime) + "s";
  } else if (const auto* ns = std::get_if<NdpNeighborSolicit>(&r->msg)) {
    s = "neighbor solicitation, who has " + ns->target.to_string();
  } else if (const auto* na = std::get_if<NdpNeighborAdvert>(&r->msg)) {
    s = "neighbor advertisement, tgt is " + na->target.to_string() + ", Flags [";
    std::string f;
    if (na->router) f += "router, ";
    if (na->solicited) f += "solicited, ";
    if (na->override_) f += "override, ";
    s += f.empty() ? "none" : f.substr(0, f.size() - 2);
    s += "]";
  } else if (const auto* rd = std::get_if<NdpRedirect>(&r->msg)) {
    s = "redirect, " + rd->destination.to_string() + " to " + rd->target.to_string();
  }
  const auto& o = r->options;
  if (o.source_lladdr) s += ", source link-address " + o.source_lladdr->to_string();
  if (o.target_lladdr) s += ", target link-address " + o.target_lladdr->to_string();
  if (o.mtu) s += ", mtu " + std::to_string(*o.mtu);
  for (const auto& p : o.prefix_list())
    s += ", prefix info " + p.prefix.to_string() + "/" + std::to_string(p.prefix_len);
  return s;
}

}  // namespace

std::string describe_icmpv6(std::span<const uint8_t> message) {
  auto v = Icmpv6View<const uint8_t>::checked(message);
  if (!v) return malformed("icmp6", v.error());
  std::string s = "ICMP6, ";
  switch (v->type()) {
    case icmpv6_type::kEchoRequest:
    case icmpv6_type::kEchoReply:
      s += v->type() == icmpv6_type::kEchoRequest ? "echo request" : "echo reply";
      s += ", id " + std::to_string(v->echo_id()) + ", seq " + std::to_string(v->echo_seq());
      break;
    case icmpv6_type::kDestUnreachable: {
      static const char* kNames[] = {"route",   "prohibited", "beyond scope", "address",
                                     "port",    "source policy", "reject route"};
      s += "destination unreachable, unreachable ";
      s += v->code() < std::size(kNames) ? kNames[v->code()] : "code " + std::to_string(v->code());
      break;
    }
    case icmpv6_type::kPacketTooBig:
      s += "packet too big, mtu " + std::to_string(v->rest());
      break;
    case icmpv6_type::kTimeExceeded:
      s += v->code() == 1 ? "time exceeded in reassembly" : "time exceeded in-transit";
      break;
    case icmpv6_type::kParamProblem:
      s += "parameter problem, code " + std::to_string(v->code()) + ", pointer " +
           std::to_string(v->rest());
      break;
    case icmpv6_type::kMldQuery: s += "multicast listener query"; break;
    case icmpv6_type::kMldReport: s += "multicast listener report"; break;
    case icmpv6_type::kMldDone: s += "multicast listener done"; break;
    case icmpv6_type::kMldv2Report: s += "multicast listener report v2"; break;
    default:
      if (NdpRepr::is_ndp_type(v->type()))
        s += describe_ndp(*v);
      else
        s += "type " + std::to_string(v->type()) + ", code " + std::to_string(v->code());
      break;
  }
  return s + ", length " + std::to_string(message.size());
}

std::string describe_udp(std::span<const uint8_t> datagram) {
  auto v = UdpView<const uint8_t>::checked(datagram);
  if (!v) return malformed("udp", v.error());
  return "UDP, length " + std::to_string(v->payload().size());
}

std::string tcp_flags_string(uint8_t flags) {
  // tcpdump's order: F S R P . U E W
  static constexpr struct {
    uint8_t bit;
    char c;
  } kFlags[] = {{tcp_flag::kFin, 'F'}, {tcp_flag::kSyn, 'S'}, {tcp_flag::kRst, 'R'},
                {tcp_flag::kPsh, 'P'}, {tcp_flag::kAck, '.'}, {tcp_flag::kUrg, 'U'},
                {tcp_flag::kEce, 'E'}, {tcp_flag::kCwr, 'W'}};
  std::string s = "[";
  for (const auto& f : kFlags)
    if (flags & f.bit) s += f.c;
  if (flags == 0) s += "none";
  return s + "]";
}

std::string describe_tcp_options(std::span<const uint8_t> o) {
  std::string s = "[";
  bool first = true;
  auto add = [&](const std::string& item) {
    if (!first) s += ",";
    s += item;
    first = false;
  };
  size_t i = 0;
  while (i < o.size()) {
    uint8_t kind = o[i];
    if (kind == tcp_opt::kEol) {
      add("eol");
      break;
    }
    if (kind == tcp_opt::kNop) {
      add("nop");
      ++i;
      continue;
    }
    if (i + 1 >= o.size() || o[i + 1] < 2 || o[i + 1] > o.size() - i) {
      add("bad opts");
      break;
    }
    size_t len = o[i + 1];
    const uint8_t* p = o.data() + i + 2;
    if (kind == tcp_opt::kMss && len == 4) {
      add("mss " + std::to_string(load_be16(p)));
    } else if (kind == tcp_opt::kWindowScale && len == 3) {
      add("wscale " + std::to_string(p[0]));
    } else if (kind == tcp_opt::kSackPermitted && len == 2) {
      add("sackOK");
    } else if (kind == tcp_opt::kTimestamps && len == 10) {
      add("TS val " + std::to_string(load_be32(p)) + " ecr " + std::to_string(load_be32(p + 4)));
    } else if (kind == tcp_opt::kSack && len >= 10 && (len - 2) % 8 == 0) {
      std::string b = "sack " + std::to_string((len - 2) / 8) + " ";
      for (size_t k = 0; k + 8 <= len - 2; k += 8)
        b += "{" + std::to_string(load_be32(p + k)) + ":" + std::to_string(load_be32(p + k + 4)) + "}";
      add(b);
    } else {
      add("opt-" + std::to_string(kind) + ":" + hex_string(std::span<const uint8_t>(p, len - 2)));
    }
    i += len;
  }
  return s + "]";
}

std::string describe_tcp(std::span<const uint8_t> segment) {
  auto v = TcpView<const uint8_t>::checked(segment);
  if (!v) return malformed("tcp", v.error());
  std::string s = "Flags " + tcp_flags_string(v->flags()) + ", seq " + std::to_string(v->seq());
  const size_t len = v->payload().size();
  if (len) s += ":" + std::to_string(static_cast<uint32_t>(v->seq() + len));
  if (v->has_ack()) s += ", ack " + std::to_string(v->ack());
  s += ", win " + std::to_string(v->window());
  if (v->urg()) s += ", urg " + std::to_string(v->urgent());
  if (!v->options().empty()) s += ", options " + describe_tcp_options(v->options());
  return s + ", length " + std::to_string(len);
}

}  // namespace stackd::wire
