// NDP messages and options: parse -> emit -> parse agree.
#include <cstdint>
#include <vector>

#include "wire/ndp.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_icmpv6(in);
  auto v = Icmpv6View<const uint8_t>::checked(in);
  if (!v) return 0;
  auto r = NdpRepr::parse(*v);
  if (!r) return 0;
  const auto src = fuzz::v6_src(), dst = fuzz::v6_dst();
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, src, dst);
  auto ic = Icmpv6View<const uint8_t>(out);
  WIRE_FUZZ_CHECK(ic.verify_checksum(src, dst));
  auto again = NdpRepr::parse(ic);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  return 0;
}
