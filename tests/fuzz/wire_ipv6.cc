// IPv6 fixed header and extension headers: each parse -> emit -> parse
// agrees, and the chain walker stays inside the payload.
#include <cstdint>
#include <vector>

#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"
#include "wire/print.h"
#include "wire_fuzz_util.h"

using namespace stackd::wire;

template <class Repr>
static void round_trip(std::span<const uint8_t> h) {
  auto r = Repr::parse(h);
  if (!r) return;
  std::vector<uint8_t> out(r->header_len());
  r->emit(out);
  auto again = Repr::parse(out);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)describe_ipv6(in);
  auto v = Ipv6View<const uint8_t>::checked(in);
  if (!v) return 0;
  auto r = Ipv6Repr::parse(*v);
  WIRE_FUZZ_CHECK(r.ok());
  std::vector<uint8_t> out(kIpv6HeaderLen + r->payload_len);
  r->emit(out);
  auto again = Ipv6Repr::parse(out);
  WIRE_FUZZ_CHECK(again.ok());
  WIRE_FUZZ_CHECK(*again == *r);

  auto payload = v->payload();
  auto chain = walk_ipv6_chain(v->next_header(), payload);
  if (!chain) return 0;
  WIRE_FUZZ_CHECK(chain->upper_offset <= payload.size());
  for (const auto& e : chain->headers()) {
    WIRE_FUZZ_CHECK(size_t{e.offset} + e.len <= payload.size());
    auto h = payload.subspan(e.offset, e.len);
    switch (e.type) {
      case stackd::wire::ip_proto::kHopByHop:
      case stackd::wire::ip_proto::kIpv6Opts: {
        round_trip<Ipv6OptionsHeaderRepr>(h);
        Ipv6OptionReader rd(h);
        while (auto o = rd.next()) WIRE_FUZZ_CHECK(o->offset + 2 + o->data.size() <= h.size());
        break;
      }
      case stackd::wire::ip_proto::kIpv6Route:
        round_trip<Ipv6RoutingRepr>(h);
        break;
      case stackd::wire::ip_proto::kIpv6Frag:
        round_trip<Ipv6FragRepr>(h);
        break;
      default:
        break;
    }
  }
  return 0;
}
