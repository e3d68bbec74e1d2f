#include "support/checker.h"

#include <algorithm>
#include <sstream>

#include "wire/print.h"

namespace stackd::testsupport {

ParsedFrame parse_frame(std::span<const uint8_t> frame) {
  ParsedFrame f;
  f.bytes = frame;
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth) {
    f.error = "Ethernet: " + std::string(drop_reason_name(eth.error()));
    return f;
  }
  f.eth = *eth;
  auto l3 = frame.subspan(eth->header_len());
  if (eth->ethertype == wire::EtherType::kArp) {
    auto a = wire::ArpRepr::parse(l3);
    if (a) f.arp = *a;
    else f.error = "ARP: " + std::string(drop_reason_name(a.error()));
    return f;
  }
  if (eth->ethertype != wire::EtherType::kIpv4) return f;
  auto view = wire::Ipv4View<const uint8_t>::checked(l3);
  if (!view) {
    f.error = "IPv4: " + std::string(drop_reason_name(view.error()));
    return f;
  }
  auto ip = wire::Ipv4Repr::parse(*view);
  if (!ip) {
    f.error = "IPv4: " + std::string(drop_reason_name(ip.error()));
    return f;
  }
  f.ip = *ip;
  f.ip_payload = view->payload();
  if (view->is_fragment()) return f;  // L4 only after reassembly
  if (ip->protocol == wire::ip_proto::kUdp) {
    auto u = wire::UdpRepr::parse(f.ip_payload, ip->src, ip->dst);
    if (!u) {
      f.error = "UDP: " + std::string(drop_reason_name(u.error()));
      return f;
    }
    f.udp = *u;
    f.l4_payload = f.ip_payload.subspan(wire::kUdpHeaderLen, u->payload_len);
  } else if (ip->protocol == wire::ip_proto::kIcmp) {
    auto m = wire::Icmpv4Repr::parse(f.ip_payload);
    if (!m) {
      f.error = "ICMP: " + std::string(drop_reason_name(m.error()));
      return f;
    }
    f.icmp = *m;
    f.l4_payload = f.ip_payload.subspan(wire::kIcmpv4HeaderLen);
  }
  return f;
}

namespace {

template <class T>
std::string str(const T& v) {
  if constexpr (requires { v.to_string(); }) {
    return v.to_string();
  } else {
    std::ostringstream o;
    o << +v;
    return o.str();
  }
}

template <class T>
void expect_eq(Errors& e, const char* what, const T& got, const T& want) {
  if (!(got == want)) e.push_back(std::string(what) + " is " + str(got) + ", want " + str(want));
}

}  // namespace

namespace detail {
bool has_eth(const ParsedFrame& f) { return f.eth.has_value(); }
bool has_arp(const ParsedFrame& f) { return f.arp.has_value(); }
bool has_ip(const ParsedFrame& f) { return f.ip.has_value(); }
bool has_udp(const ParsedFrame& f) { return f.udp.has_value(); }
bool has_icmp(const ParsedFrame& f) { return f.icmp.has_value(); }

Check layer(const char* name, bool (*present)(const ParsedFrame&), std::vector<Check> checks) {
  return [name, present, checks = std::move(checks)](const ParsedFrame& f, Errors& e) {
    if (!present(f)) {
      e.push_back(std::string("no valid ") + name + " header" +
                  (f.error.empty() ? "" : " (" + f.error + ")"));
      return;
    }
    for (const auto& c : checks) c(f, e);
  };
}
}  // namespace detail

Check Src(const MacAddr& m) {
  return [m](const ParsedFrame& f, Errors& e) { expect_eq(e, "Ethernet src", f.eth->src, m); };
}
Check Dst(const MacAddr& m) {
  return [m](const ParsedFrame& f, Errors& e) { expect_eq(e, "Ethernet dst", f.eth->dst, m); };
}
Check Src(Ipv4Addr a) {
  return [a](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 src", f.ip->src, a); };
}
Check Dst(Ipv4Addr a) {
  return [a](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 dst", f.ip->dst, a); };
}
Check Proto(uint8_t p) {
  return [p](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 protocol", f.ip->protocol, p); };
}
Check Ttl(uint8_t t) {
  return [t](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 TTL", f.ip->ttl, t); };
}
Check DontFrag(bool df) {
  return [df](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 DF", f.ip->dont_frag, df); };
}
Check MoreFrags(bool mf) {
  return [mf](const ParsedFrame& f, Errors& e) { expect_eq(e, "IPv4 MF", f.ip->more_frags, mf); };
}
Check FragOffset(uint16_t bytes) {
  return [bytes](const ParsedFrame& f, Errors& e) {
    expect_eq(e, "IPv4 fragment offset", f.ip->frag_offset, bytes);
  };
}
Check IpPayloadLen(size_t n) {
  return [n](const ParsedFrame& f, Errors& e) {
    expect_eq(e, "IPv4 payload length", f.ip_payload.size(), n);
  };
}
Check Op(wire::ArpOp op) {
  return [op](const ParsedFrame& f, Errors& e) {
    expect_eq(e, "ARP op", static_cast<int>(f.arp->op), static_cast<int>(op));
  };
}
Check SenderMac(const MacAddr& m) {
  return [m](const ParsedFrame& f, Errors& e) { expect_eq(e, "ARP sha", f.arp->sender_mac, m); };
}
Check SenderIp(Ipv4Addr a) {
  return [a](const ParsedFrame& f, Errors& e) { expect_eq(e, "ARP spa", f.arp->sender_ip, a); };
}
Check TargetMac(const MacAddr& m) {
  return [m](const ParsedFrame& f, Errors& e) { expect_eq(e, "ARP tha", f.arp->target_mac, m); };
}
Check TargetIp(Ipv4Addr a) {
  return [a](const ParsedFrame& f, Errors& e) { expect_eq(e, "ARP tpa", f.arp->target_ip, a); };
}
Check SrcPort(uint16_t p) {
  return [p](const ParsedFrame& f, Errors& e) { expect_eq(e, "UDP src port", f.udp->src_port, p); };
}
Check DstPort(uint16_t p) {
  return [p](const ParsedFrame& f, Errors& e) { expect_eq(e, "UDP dst port", f.udp->dst_port, p); };
}
Check Type(uint8_t t) {
  return [t](const ParsedFrame& f, Errors& e) { expect_eq(e, "ICMP type", f.icmp->type(), t); };
}
Check Code(uint8_t c) {
  return [c](const ParsedFrame& f, Errors& e) { expect_eq(e, "ICMP code", f.icmp->code(), c); };
}
Check EchoId(uint16_t id) {
  return [id](const ParsedFrame& f, Errors& e) {
    const auto* m = std::get_if<wire::Icmpv4Echo>(&f.icmp->msg);
    if (m == nullptr) return e.push_back("ICMP is not an echo");
    expect_eq(e, "ICMP echo id", m->id, id);
  };
}
Check EchoSeq(uint16_t seq) {
  return [seq](const ParsedFrame& f, Errors& e) {
    const auto* m = std::get_if<wire::Icmpv4Echo>(&f.icmp->msg);
    if (m == nullptr) return e.push_back("ICMP is not an echo");
    expect_eq(e, "ICMP echo seq", m->seq, seq);
  };
}
Check Payload(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> want(bytes.begin(), bytes.end());
  return [want = std::move(want)](const ParsedFrame& f, Errors& e) {
    const auto& got = f.l4_payload;
    if (got.size() != want.size()) {
      e.push_back("payload is " + std::to_string(got.size()) + " bytes, want " +
                  std::to_string(want.size()));
      return;
    }
    auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin());
    if (g != got.end())
      e.push_back("payload differs at byte " + std::to_string(g - got.begin()));
  };
}

::testing::AssertionResult run_checks(std::span<const uint8_t> frame,
                                      const std::vector<Check>& checks) {
  ParsedFrame f = parse_frame(frame);
  Errors e;
  for (const auto& c : checks) c(f, e);
  if (e.empty()) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure();
  for (const auto& s : e) r << s << "\n";
  return r << "  frame: " << wire::describe_frame(frame, true);
}

}  // namespace stackd::testsupport
