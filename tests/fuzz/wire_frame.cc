// Whole frames through describe_frame (Ethernet -> ARP/IPv4/IPv6 -> L4):
// the printer must never read past the frame or crash on any input.
#include <cstdint>
#include <string>

#include "wire/print.h"
#include "wire_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::string a = stackd::wire::describe_frame(in, false);
  std::string b = stackd::wire::describe_frame(in, true);
  WIRE_FUZZ_CHECK(!a.empty() && !b.empty());
  return 0;
}
