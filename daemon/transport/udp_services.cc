#include "transport/udp_services.h"

namespace stackd::transport {

bool UdpService::is_service_port(uint16_t port) {
  // 0 (invalid), echo, discard, daytime, chargen, time.
  return port == 0 || port == 7 || port == 9 || port == 13 || port == 19 || port == 37;
}

size_t UdpService::poll(Instant now) {
  size_t n = 0;
  while (auto d = sock_.recv()) {
    ++n;
    ++served_;
    if (kind_ == stack::ServiceKind::kDiscard) continue;  // RFC 863
    // Never answer another service's well-known port (or port 0): two echo
    // services would bounce one datagram forever (the check of BSD inetd).
    if (is_service_port(d->src_port)) {
      ++loops_refused_;
      continue;
    }
    // RFC 862: "send back any data received", to the source, from the
    // address it was sent to (a wildcard-bound service answers from the
    // right address). The received buffer goes back out: zero copy.
    if (sock_.send_from(d->dst, d->src, d->src_port, std::move(d->payload), now) < 0)
      ++send_failures_;
  }
  return n;
}

int UdpServices::start(std::span<const stack::ServiceConfig> cfg) {
  int first_error = 0;
  for (const auto& c : cfg) {
    if (c.proto != stack::ServiceProto::kUdp) continue;
    // Without an address: every address of the stack, i.e. one socket on
    // 0.0.0.0 and, with IPv6, one IPV6_V6ONLY socket on :: (a dual-stack
    // :: would clash with the 0.0.0.0 one, as on Linux).
    std::vector<IpAddr> addrs;
    if (c.addr) {
      addrs.push_back(*c.addr);
    } else {
      addrs.push_back(Ipv4Addr::any());
      if (udp_.has_ipv6()) addrs.push_back(Ipv6Addr::any());
    }
    for (const IpAddr& a : addrs) {
      auto svc = std::make_unique<UdpService>(udp_, c.kind);
      if (int r = svc->open(a, c.port, !c.addr && a.is_v6()); r != 0) {
        if (first_error == 0) first_error = r;
        continue;
      }
      services_.push_back(std::move(svc));
      configs_.push_back(c);  // one entry per socket: stop() closes them all
    }
  }
  return first_error;
}

// A service without an address has a socket per family: close every
// socket of that config.
bool UdpServices::stop(const stack::ServiceConfig& cfg) {
  bool found = false;
  for (size_t i = configs_.size(); i-- > 0;) {
    if (!(configs_[i] == cfg)) continue;
    services_.erase(services_.begin() + static_cast<std::ptrdiff_t>(i));
    configs_.erase(configs_.begin() + static_cast<std::ptrdiff_t>(i));
    found = true;
  }
  return found;
}

size_t UdpServices::poll(Instant now) {
  size_t n = 0;
  for (auto& s : services_) n += s->poll(now);
  return n;
}

bool UdpServices::pending() const {
  for (const auto& s : services_)
    if (s->socket().readable()) return true;
  return false;
}

}  // namespace stackd::transport
