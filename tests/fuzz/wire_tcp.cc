// TCP over IPv4 or IPv6 (first byte picks): parse -> emit -> parse agree,
// options included; the option printer never reads out of bounds.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "wire/print.h"
#include "wire/tcp.h"
#include "wire_fuzz_util.h"

using namespace stackd;
using namespace stackd::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool v6 = data[0] & 1;
  const IpAddr src = v6 ? IpAddr(fuzz::v6_src()) : fuzz::v4_src();
  const IpAddr dst = v6 ? IpAddr(fuzz::v6_dst()) : fuzz::v4_dst();
  std::span<const uint8_t> in(data + 1, size - 1);
  (void)describe_tcp(in);
  (void)describe_tcp_options(in);
  auto v = TcpView<const uint8_t>::checked(in);
  if (!v) return 0;
  auto r = TcpRepr::parse(*v, src, dst, ChecksumCheck::kSkip);
  if (!r) return 0;
  WIRE_FUZZ_CHECK(r->options.emitted_len() <= kTcpMaxOptionsLen);
  std::vector<uint8_t> out(r->buffer_len());
  std::ranges::copy(v->payload(), out.begin() + static_cast<long>(r->header_len()));
  r->emit(out, src, dst);
  auto again = TcpRepr::parse(out, src, dst);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
  return 0;
}
