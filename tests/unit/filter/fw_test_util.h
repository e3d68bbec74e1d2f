// Packet metadata builders for firewall tests.
#pragma once

#include "base/addr.h"
#include "ip/filter/packet_meta.h"
#include "ip/filter/rule.h"
#include "wire/ip_proto.h"
#include "wire/tcp.h"

namespace stackd::ip::filter::testing {

inline IpAddr IP(const char* s) { return *IpAddr::parse(s); }
inline IpPrefix PFX(const char* s) { return *IpPrefix::parse(s); }

inline PacketMeta tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                      uint8_t flags, uint32_t len = 60) {
  PacketMeta m;
  m.src = IP(src);
  m.dst = IP(dst);
  m.proto = wire::ip_proto::kTcp;
  m.has_ports = true;
  m.sport = sport;
  m.dport = dport;
  m.tcp_flags = flags;
  m.len = len;
  m.iif = 1;
  return m;
}
inline PacketMeta udp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                      uint32_t len = 100) {
  PacketMeta m = tcp(src, sport, dst, dport, 0, len);
  m.proto = wire::ip_proto::kUdp;
  return m;
}
inline PacketMeta icmp(const char* src, const char* dst, uint8_t type, uint8_t code,
                       uint16_t id = 0, uint32_t len = 84) {
  PacketMeta m;
  m.src = IP(src);
  m.dst = IP(dst);
  m.proto = wire::ip_proto::kIcmp;
  m.has_icmp = true;
  m.icmp_type = type;
  m.icmp_code = code;
  m.icmp_id = id;
  m.len = len;
  m.iif = 1;
  return m;
}
// The same flow seen in the other direction.
inline PacketMeta reverse(PacketMeta m, uint8_t tcp_flags) {
  std::swap(m.src, m.dst);
  std::swap(m.sport, m.dport);
  m.tcp_flags = tcp_flags;
  return m;
}

inline Rule rule(Action a, int16_t proto = -1) {
  Rule r;
  r.action = a;
  r.match.proto = proto;
  return r;
}

}  // namespace stackd::ip::filter::testing
