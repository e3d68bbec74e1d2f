// IPv4: parse (checksum skipped) -> emit (checksum computed) -> parse with
// verification agree; a TTL decrement keeps a valid checksum valid.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "wire/ipv4.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_ipv4(in);
  auto v = Ipv4View<const uint8_t>::checked(in);
  if (!v) return 0;
  auto r = Ipv4Repr::parse(*v, ChecksumCheck::kSkip);
  WIRE_FUZZ_CHECK(r.ok());
  WIRE_FUZZ_CHECK(v->header_len() + v->payload().size() <= size);
  std::vector<uint8_t> out(r->total_len());
  r->emit(out);
  std::ranges::copy(v->payload(), out.begin() + static_cast<long>(r->header_len()));
  auto again = Ipv4Repr::parse(out);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  if (v->verify_checksum()) {
    std::vector<uint8_t> copy(in.begin(), in.end());
    Ipv4View<uint8_t> m{std::span<uint8_t>(copy)};
    m.decrement_ttl();
    WIRE_FUZZ_CHECK(m.verify_checksum());
  }
  return 0;
}
