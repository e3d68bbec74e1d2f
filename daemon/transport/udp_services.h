// The built-in UDP diagnostic services, configured from
// stack::ServiceConfig: echo (RFC 862: send back every datagram's bytes to
// its source, up to 65507 bytes that arrived fragmented) and discard
// (RFC 863: throw everything away). They are ordinary clients of the
// UdpSocket API, polled by the stack after input, not cases in UDP input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/time.h"
#include "stack/config.h"
#include "transport/udp.h"

namespace stackd::transport {

class UdpService {
 public:
  UdpService(UdpLayer& udp, stack::ServiceKind kind) : kind_(kind), sock_(udp) {}
  // Bind to (addr or the wildcard, port): 0 or -errno.
  // `v6only`: IPV6_V6ONLY on a :: socket (beside one on 0.0.0.0).
  int open(const IpAddr& addr, uint16_t port, bool v6only = false) {
    if (int r = sock_.set_v6only(v6only); r != 0) return r;
    return sock_.bind(addr, port);
  }
  // Serve what is queued. Returns the number of datagrams handled.
  size_t poll(Instant now);

  stack::ServiceKind kind() const { return kind_; }
  const UdpSocket& socket() const { return sock_; }
  uint64_t served() const { return served_; }
  uint64_t send_failures() const { return send_failures_; }
  uint64_t loops_refused() const { return loops_refused_; }
  static bool is_service_port(uint16_t port);

 private:
  stack::ServiceKind kind_;
  UdpSocket sock_;
  uint64_t served_ = 0;
  uint64_t send_failures_ = 0;
  uint64_t loops_refused_ = 0;
};

// Every UDP service of a configuration.
class UdpServices {
 public:
  explicit UdpServices(UdpLayer& udp) : udp_(udp) {}
  // Start the UDP entries of `cfg` (TCP ones are not ours). Returns 0, or
  // the first -errno (the failing service is not started; others are).
  int start(std::span<const stack::ServiceConfig> cfg);
  // Stop the service started for exactly `cfg` (its socket closes; a
  // datagram still queued is dropped). False when none runs (config reload).
  bool stop(const stack::ServiceConfig& cfg);
  size_t poll(Instant now);
  // Is there work for poll()? (The stack's poll_at.)
  bool pending() const;
  size_t size() const { return services_.size(); }
  const UdpService& at(size_t i) const { return *services_[i]; }

 private:
  UdpLayer& udp_;
  std::vector<std::unique_ptr<UdpService>> services_;
  std::vector<stack::ServiceConfig> configs_;  // what each of services_ was started for
};

}  // namespace stackd::transport
