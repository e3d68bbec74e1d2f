// ARP: parse -> emit -> parse agree.
#include <cstdint>
#include <vector>

#include "wire/arp.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_arp(in);
  auto r = ArpRepr::parse(in);
  if (!r) return 0;
  std::vector<uint8_t> out(r->header_len());
  r->emit(out);
  auto again = ArpRepr::parse(out);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  return 0;
}
