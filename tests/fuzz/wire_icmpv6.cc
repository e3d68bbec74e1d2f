// ICMPv6: parse (checksum skipped) -> emit -> parse with verification agree.
#include <cstdint>
#include <vector>

#include "wire/icmpv6.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_icmpv6(in);
  const auto src = fuzz::v6_src(), dst = fuzz::v6_dst();
  auto r = Icmpv6Repr::parse(in, src, dst, ChecksumCheck::kSkip);
  if (!r) return 0;
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out, src, dst);
  auto again = Icmpv6Repr::parse(out, src, dst);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  return 0;
}
