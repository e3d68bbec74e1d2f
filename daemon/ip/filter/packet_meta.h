// PacketMeta: what the firewall knows about one datagram. The IP layer
// fills it from the headers it has already parsed (addresses, protocol,
// interfaces, length); fill_l4() reads the few transport fields rules and
// connection tracking need (ports, TCP flags, ICMP type/code/id, and for an
// ICMP error the quoted datagram's tuple) once, with load_be16, so no rule
// and no conntrack step ever re-reads wire bytes.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"

namespace stackd::ip::filter {

struct PacketMeta {
  IpAddr src, dst;
  uint16_t iif = 0;  // input interface index (input hook), 0 on output
  uint16_t oif = 0;  // output interface index (output hook), 0 on input
  uint8_t ip_version = 4;  // 6: the IPv6 hooks (proto = the upper-layer protocol after extension headers)
  uint8_t proto = 0;  // IP protocol number (wire/ip_proto.h)
  uint32_t len = 0;   // IP datagram length (header + payload): byte counters

  bool has_ports = false;  // TCP or UDP with a readable header
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;  // wire::tcp_flag bits; 0 unless TCP

  bool has_icmp = false;  // ICMP (or ICMPv6) with a readable header
  uint8_t icmp_type = 0, icmp_code = 0;
  uint16_t icmp_id = 0;  // echo / timestamp identifier (RFC 792, RFC 4443 §4)

  // An ICMP error (RFC 792 types 3, 4, 5, 11, 12) quoting a datagram whose
  // tuple could be read: conntrack marks it related to that flow.
  bool has_inner = false;
  uint8_t inner_proto = 0;
  IpAddr inner_src, inner_dst;
  uint16_t inner_sport = 0, inner_dport = 0;  // ICMP echo: id, id
};

// Is this ICMPv4 type an error message (RFC 792, RFC 1122 §3.2.2)?
constexpr bool is_icmp_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
// RFC 4443 §2.1: ICMPv6 error messages have types 0..127.
constexpr bool is_icmpv6_error(uint8_t type) { return type < 128; }
// Is `m` an ICMP or ICMPv6 error message (never answered with another)?
bool is_icmp_error(const PacketMeta& m);

// Read the transport fields of `l4` (the IP payload, transport header
// first; for a non-first fragment pass an empty span) into `m`, whose
// `proto` is set. Short headers leave has_ports/has_icmp false.
void fill_l4(PacketMeta& m, std::span<const uint8_t> l4);

// A hook's metadata in one call: the header fields the IP layer parsed or
// built (iif on input, oif on output, 0 for the other), then fill_l4.
PacketMeta packet_meta(uint8_t ip_version, const IpAddr& src, const IpAddr& dst, uint16_t iif, uint16_t oif,
                       uint8_t proto, uint32_t len, std::span<const uint8_t> l4);

}  // namespace stackd::ip::filter
