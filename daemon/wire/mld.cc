#include "wire/mld.h"

#include <algorithm>
#include <cstring>

#include "wire/icmpv6.h"
#include "wire/view.h"

namespace stackd::wire {

Duration mld_max_response(uint16_t code) {
  if (code < 32768) return Duration::millis(code);
  // 1 | exp (3) | mant (12): (mant | 0x1000) << (exp + 3)
  const uint32_t mant = code & 0x0fff, exp = (code >> 12) & 0x7;
  return Duration::millis(static_cast<int64_t>(mant | 0x1000) << (exp + 3));
}

Expected<MldQuery> MldQuery::parse(std::span<const uint8_t> icmp) {
  MldQuery q;
  if (icmp.size() == kMldv1Len) {
    q.v1 = true;  // RFC 2710 §3.4: Maximum Response Delay in ms
    q.max_response = Duration::millis(load_be16(icmp.data() + 4));
  } else if (icmp.size() >= kMldv2QueryMinLen) {
    q.max_response = mld_max_response(load_be16(icmp.data() + 4));
    q.sources = load_be16(icmp.data() + 26);
    if (icmp.size() < kMldv2QueryMinLen + size_t{q.sources} * 16) return DropReason::kMldInvalid;
  } else {
    return DropReason::kMldInvalid;  // RFC 3810 §8.1: ignored
  }
  std::memcpy(q.group.b.data(), icmp.data() + 8, 16);
  return q;
}

void emit_mldv2_report(std::span<uint8_t> out, std::span<const MldRecord> records) {
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mldv2_report_len(records.size())), 0);
  out[0] = icmpv6_type::kMldv2Report;
  store_be16(out.data() + 6, static_cast<uint16_t>(records.size()));
  uint8_t* r = out.data() + 8;
  for (const MldRecord& rec : records) {
    r[0] = rec.type;  // aux data length 0, number of sources 0
    std::memcpy(r + 4, rec.group.b.data(), 16);
    r += kMldv2RecordLen;
  }
}

void emit_mldv1(std::span<uint8_t> out, uint8_t type, const Ipv6Addr& group) {
  std::fill(out.begin(), out.begin() + kMldv1Len, 0);
  out[0] = type;
  std::memcpy(out.data() + 8, group.b.data(), 16);
}

}  // namespace stackd::wire
