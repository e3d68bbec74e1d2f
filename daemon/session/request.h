// A channel request, copied out of shared memory once and validated: what the
// socket table acts on. The decoder is pure (fuzzed: tests/fuzz/session_request.cc).
//
//   abi::Request raw = copy_of(slot);            // one read of shared memory
//   auto d = decode_request(raw, max_sockets);   // never reads `raw` twice
//   if (!d) respond(raw.tag, -d.error());
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/addr.h"
#include "base/expected.h"
#include "stackd/abi/segment.h"

namespace stackd::session {

struct Endpoint {
  IpAddr addr;
  uint16_t port = 0;
};

struct DecodedRequest {
  abi::Op op = abi::Op::kNone;
  uint32_t tag = 0;
  uint32_t slot = 0;  // < max_sockets for every op but kSocket
  uint32_t gen = 0;
  std::array<int32_t, 4> a{};
  std::optional<Endpoint> addr;        // kBind, kConnect
  std::array<uint8_t, 32> data{};      // option bytes (TCP_CONGESTION name)
};

// -errno (positive value in error()): EINVAL (unknown op), EBADF (slot out of
// range), EAFNOSUPPORT (family), as Linux reports those.
Expected<DecodedRequest, int> decode_request(const abi::Request& raw, uint32_t max_sockets);

// WireAddr <-> endpoint. nullopt for a family stackd does not serve.
std::optional<Endpoint> endpoint_from_wire(const abi::WireAddr& w);
abi::WireAddr wire_from_endpoint(const IpAddr& a, uint16_t port);

// An AF_INET6 socket's view of addresses (RFC 4291 §2.5.5.2, RFC 3493
// §3.7): IPv4 peers appear v4-mapped (::ffff:a.b.c.d), 0.0.0.0 as ::.
IpAddr v6_view(const IpAddr& a);
// What the transport takes for an address an AF_INET6 socket was given: a
// v4-mapped address is the IPv4 address it maps; the rest as it is.
IpAddr from_v6_view(const IpAddr& a);

}  // namespace stackd::session
