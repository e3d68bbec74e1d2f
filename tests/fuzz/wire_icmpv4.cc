// ICMPv4: parse (checksum skipped) -> emit -> parse with verification agree.
#include <cstdint>
#include <vector>

#include "wire/icmpv4.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_icmpv4(in);
  auto r = Icmpv4Repr::parse(in, ChecksumCheck::kSkip);
  if (!r) return 0;
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out);
  auto again = Icmpv4Repr::parse(out);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  return 0;
}
