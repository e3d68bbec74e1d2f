#include "session/request.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace stackd::session {

std::optional<Endpoint> endpoint_from_wire(const abi::WireAddr& w) {
  if (w.family == AF_INET) {
    uint32_t v = (uint32_t{w.addr[0]} << 24) | (uint32_t{w.addr[1]} << 16) |
                 (uint32_t{w.addr[2]} << 8) | w.addr[3];
    return Endpoint{IpAddr(Ipv4Addr{v}), w.port};
  }
  if (w.family == AF_INET6) {
    Ipv6Addr a;
    std::memcpy(a.b.data(), w.addr, 16);
    return Endpoint{IpAddr(a), w.port};
  }
  return std::nullopt;
}

IpAddr v6_view(const IpAddr& a) {
  if (a.is_v6()) return a;
  if (a.is_unspecified()) return IpAddr(Ipv6Addr::any());
  return IpAddr(Ipv6Addr::v4_mapped(a.v4()));
}

IpAddr from_v6_view(const IpAddr& a) {
  return a.is_v6() && a.v6().is_v4_mapped() ? IpAddr(a.v6().to_v4()) : a;
}

abi::WireAddr wire_from_endpoint(const IpAddr& a, uint16_t port) {
  abi::WireAddr w{};
  if (a.is_v4()) {
    w.family = AF_INET;
    const uint32_t v = a.v4().v;
    w.addr[0] = static_cast<uint8_t>(v >> 24);
    w.addr[1] = static_cast<uint8_t>(v >> 16);
    w.addr[2] = static_cast<uint8_t>(v >> 8);
    w.addr[3] = static_cast<uint8_t>(v);
  } else {
    w.family = AF_INET6;
    std::memcpy(w.addr, a.v6().b.data(), 16);
  }
  w.port = port;
  return w;
}

Expected<DecodedRequest, int> decode_request(const abi::Request& raw, uint32_t max_sockets) {
  DecodedRequest d;
  d.tag = raw.tag;
  d.slot = raw.sock;
  d.gen = raw.gen;
  for (size_t i = 0; i < d.a.size(); ++i) d.a[i] = raw.a[i];
  std::memcpy(d.data.data(), raw.data, d.data.size());
  switch (static_cast<abi::Op>(raw.op)) {
    case abi::Op::kSocket:
      d.op = abi::Op::kSocket;
      return d;  // the slot is chosen by the daemon
    case abi::Op::kBind:
    case abi::Op::kConnect: {
      abi::WireAddr w;
      std::memcpy(&w, raw.data, sizeof(w));
      d.addr = endpoint_from_wire(w);
      if (!d.addr) return EAFNOSUPPORT;
      break;
    }
    case abi::Op::kListen:
    case abi::Op::kShutdown:
    case abi::Op::kClose:
    case abi::Op::kSetsockopt:
    case abi::Op::kGetsockopt:
    case abi::Op::kGetName:
    case abi::Op::kKick:
    case abi::Op::kTakeError:
      break;
    default:
      return EINVAL;
  }
  d.op = static_cast<abi::Op>(raw.op);
  if (d.slot >= max_sockets) return EBADF;
  return d;
}

}  // namespace stackd::session
