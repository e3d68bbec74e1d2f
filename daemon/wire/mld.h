// Multicast Listener Discovery messages (ICMPv6): MLDv2 (RFC 3810 §5)
// queries and reports, and the MLDv1 (RFC 2710) query / report / done a
// host answers an MLDv1 querier with (RFC 3810 §8). Only the listener's
// side: parse queries, emit reports.
//
//   query (type 130): checksum-verified ICMPv6 message → MldQuery::parse
//     24 bytes: MLDv1; >= 28: MLDv2 (RFC 3810 §8.1: any other length is ignored)
//   report: mldv2_report_len(n) bytes → emit_mldv2_report(out, records)
//           (checksum left to Icmpv6View::fill_checksum)
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/expected.h"
#include "base/time.h"

namespace stackd::wire {

// RFC 3810 §5.2.12 record types.
namespace mld_record {
inline constexpr uint8_t kModeIsInclude = 1;
inline constexpr uint8_t kModeIsExclude = 2;
inline constexpr uint8_t kChangeToInclude = 3;
inline constexpr uint8_t kChangeToExclude = 4;
}  // namespace mld_record

inline constexpr size_t kMldv1Len = 24;
inline constexpr size_t kMldv2QueryMinLen = 28;
inline constexpr size_t kMldv2RecordLen = 20;  // no sources, no aux data

// ff02::16, all MLDv2-capable routers (RFC 3810 §5.2.14).
inline constexpr Ipv6Addr kAllMldv2Routers{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16}};

struct MldQuery {
  bool v1 = false;
  Duration max_response;  // RFC 3810 §5.1.3 Maximum Response Code decoded
  Ipv6Addr group;         // :: for a General Query
  uint16_t sources = 0;   // MLDv2: Number of Sources

  // A query's ICMPv6 message (header first). kMldInvalid for a length
  // that is neither MLDv1 nor MLDv2 or a source list past the end.
  static Expected<MldQuery> parse(std::span<const uint8_t> icmp);
};

// RFC 3810 §5.1.3: the Maximum Response Code in milliseconds.
Duration mld_max_response(uint16_t code);

// MLDv2 Report with one record (no sources, no aux data) per group.
struct MldRecord {
  uint8_t type = mld_record::kModeIsExclude;
  Ipv6Addr group;
  bool operator==(const MldRecord&) const = default;
};
constexpr size_t mldv2_report_len(size_t records) { return 8 + records * kMldv2RecordLen; }
void emit_mldv2_report(std::span<uint8_t> out, std::span<const MldRecord> records);

// MLDv1 Report (131) or Done (132) for one group: kMldv1Len bytes.
void emit_mldv1(std::span<uint8_t> out, uint8_t type, const Ipv6Addr& group);

}  // namespace stackd::wire
