// Printers for Ethernet, ARP, IPv4, IPv6 and whole frames (see print.h).
#include "wire/print.h"

#include <cstdio>
#include <string>

#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"
#include "wire/print_util.h"
#include "wire/tcp.h"
#include "wire/udp.h"

namespace stackd::wire {

namespace {

std::string ethertype_string(uint16_t t) {
  const char* name = "Unknown";
  switch (static_cast<EtherType>(t)) {
    case EtherType::kIpv4: name = "IPv4"; break;
    case EtherType::kArp: name = "ARP"; break;
    case EtherType::kIpv6: name = "IPv6"; break;
    case EtherType::kVlan: name = "802.1Q"; break;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "ethertype %s (0x%04x)", name, t);
  return buf;
}

// "src[.sport] > dst[.dport]: what" for an upper-layer protocol; shared by
// IPv4 and IPv6 (whose addresses come as strings).
std::string describe_upper(const char* family, const std::string& src, const std::string& dst,
                           uint8_t protocol, std::span<const uint8_t> payload,
                           const std::string& prefix) {
  std::string head = std::string(family) + " " + src;
  auto ports = [&](uint16_t sp, uint16_t dp) {
    return head + "." + std::to_string(sp) + " > " + dst + "." + std::to_string(dp) + ": " + prefix;
  };
  std::string plain = head + " > " + dst + ": " + prefix;
  switch (protocol) {
    case ip_proto::kTcp: {
      auto v = TcpView<const uint8_t>::checked(payload);
      if (!v) return plain + describe_tcp(payload);
      return ports(v->src_port(), v->dst_port()) + describe_tcp(payload);
    }
    case ip_proto::kUdp: {
      auto v = UdpView<const uint8_t>::checked(payload);
      if (!v) return plain + describe_udp(payload);
      return ports(v->src_port(), v->dst_port()) + describe_udp(payload);
    }
    case ip_proto::kIcmp:
      return plain + describe_icmpv4(payload);
    case ip_proto::kIcmpv6:
      return plain + describe_icmpv6(payload);
    case ip_proto::kIpv6NoNext:
      return plain + "no next header";
    default:
      return plain + "ip-proto-" + std::to_string(protocol) + " " + std::to_string(payload.size());
  }
}

}  // namespace

std::string describe_ethernet(std::span<const uint8_t> frame) {
  auto v = EthernetView<const uint8_t>::checked(frame);
  if (!v) return malformed("ether", v.error());
  std::string s = v->src().to_string() + " > " + v->dst().to_string() + ", ";
  if (v->has_vlan()) {
    s += "vlan " + std::to_string(v->vlan_id()) + ", p " + std::to_string(v->vlan_tci() >> 13) + ", ";
  }
  s += ethertype_string(static_cast<uint16_t>(v->ethertype()));
  return s + ", length " + std::to_string(frame.size());
}

std::string describe_arp(std::span<const uint8_t> bytes) {
  auto r = ArpRepr::parse(bytes);
  if (!r) return "ARP, " + malformed("arp", r.error());
  std::string s = "ARP, ";
  if (r->op == ArpOp::kRequest)
    s += "Request who-has " + r->target_ip.to_string() + " tell " + r->sender_ip.to_string();
  else
    s += "Reply " + r->sender_ip.to_string() + " is-at " + r->sender_mac.to_string();
  return s + ", length " + std::to_string(bytes.size());
}

std::string describe_ipv4(std::span<const uint8_t> packet) {
  auto v = Ipv4View<const uint8_t>::checked(packet);
  if (!v) return "IP " + malformed("ip", v.error());
  std::string frag;
  if (v->is_fragment()) {
    frag = " (frag " + std::to_string(v->ident()) + ":" + std::to_string(v->payload().size()) +
           "@" + std::to_string(v->frag_offset()) + (v->more_frags() ? "+" : "") + ")";
  }
  if (v->frag_offset() != 0) {
    // Not the first fragment: no upper-layer header here.
    return "IP " + v->src().to_string() + " > " + v->dst().to_string() + ": ip-proto-" +
           std::to_string(v->protocol()) + frag;
  }
  return describe_upper("IP", v->src().to_string(), v->dst().to_string(), v->protocol(),
                        v->payload(), "") +
         frag;
}

std::string describe_ipv6(std::span<const uint8_t> packet) {
  auto v = Ipv6View<const uint8_t>::checked(packet);
  if (!v) return "IP6 " + malformed("ip6", v.error());
  const std::string src = v->src().to_string(), dst = v->dst().to_string();
  auto payload = v->payload();
  auto chain = walk_ipv6_chain(v->next_header(), payload);
  if (!chain) return "IP6 " + src + " > " + dst + ": " + malformed("ip6", chain.error());
  std::string exts;
  for (const auto& e : chain->headers()) {
    auto h = payload.subspan(e.offset, e.len);
    switch (e.type) {
      case ip_proto::kHopByHop: exts += "HBH "; break;
      case ip_proto::kIpv6Opts: exts += "DSTOPT "; break;
      case ip_proto::kAh: exts += "AH "; break;
      case ip_proto::kIpv6Route:
        exts += "srcrt (type " + std::to_string(h[2]) + ", segleft " + std::to_string(h[3]) + ") ";
        break;
      case ip_proto::kIpv6Frag: {
        Ipv6FragView<const uint8_t> f(h);
        exts += "frag (" + std::to_string(f.ident()) + "|" + std::to_string(f.frag_offset()) +
                (f.more_frags() ? "+" : "") + ") ";
        break;
      }
    }
  }
  if (chain->non_first_fragment)
    return "IP6 " + src + " > " + dst + ": " + exts + "ip-proto-" +
           std::to_string(chain->upper_protocol);
  return describe_upper("IP6", src, dst, chain->upper_protocol,
                        payload.subspan(chain->upper_offset), exts);
}

std::string describe_frame(std::span<const uint8_t> frame, bool link_header) {
  auto v = EthernetView<const uint8_t>::checked(frame);
  if (!v) return malformed("ether", v.error());
  std::string s = link_header ? describe_ethernet(frame) + ": " : "";
  auto payload = v->payload();
  switch (v->ethertype()) {
    case EtherType::kArp: return s + describe_arp(payload);
    case EtherType::kIpv4: return s + describe_ipv4(payload);
    case EtherType::kIpv6: return s + describe_ipv6(payload);
    default:
      if (link_header) return s + std::to_string(payload.size()) + " bytes";
      return ethertype_string(static_cast<uint16_t>(v->ethertype())) + ", length " +
             std::to_string(frame.size());
  }
}

}  // namespace stackd::wire
