// Initial sequence numbers (RFC 6528) and ephemeral port selection
// (RFC 6056 Algorithm 3), both from a keyed hash of the connection's
// addresses so an off-path attacker can predict neither. The secret is an
// input: the daemon draws it from getrandom() at start; the core never
// reads a random source or a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/addr.h"
#include "base/time.h"
#include "transport/tcp/seq.h"
#include "transport/tcp/siphash.h"

namespace stackd::tcp {

// The connection identifier the hashes are keyed on (local = our side).
struct ConnTuple {
  IpAddr local;
  uint16_t local_port = 0;
  IpAddr remote;
  uint16_t remote_port = 0;
};

// Serializes a tuple (or parts of it) for hashing: family-tagged, so an
// IPv4 address never hashes like an IPv6 one with the same bytes.
class TupleBytes {
 public:
  TupleBytes& addr(const IpAddr& a);
  TupleBytes& u16(uint16_t v);
  TupleBytes& u32(uint32_t v);
  TupleBytes& tuple(const ConnTuple& t);
  std::span<const uint8_t> bytes() const { return {buf_, len_}; }

 private:
  uint8_t buf_[64]{};
  size_t len_ = 0;
};

// The ephemeral port range (inclusive), Linux ip_local_port_range default.
struct PortRange {
  uint16_t lo = 32768;
  uint16_t hi = 60999;
  uint32_t size() const { return uint32_t{hi} - lo + 1; }
};

class IsnGenerator {
 public:
  explicit IsnGenerator(const SipKey& secret) : key_(secret) {}

  // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
  // M the 4-microsecond timer (RFC 9293 §3.4.1), F the low 32 bits of SipHash-2-4.
  SeqNum isn(const ConnTuple& t, Instant now) const;

  // RFC 6528 M alone: `now` in 4 µs ticks, modulo 2^32.
  static uint32_t clock_ticks(Instant now) {
    return static_cast<uint32_t>(static_cast<uint64_t>(now.ns) / 4000);
  }

  // RFC 6056 §3.3.3 F(local_IP, remote_IP, remote_port, secret_key): a
  // per-destination offset into the ephemeral range.
  uint32_t ephemeral_port_offset(const IpAddr& local, const IpAddr& remote,
                                 uint16_t remote_port) const;

  // RFC 6056 Algorithm 3: the first candidate port for this destination,
  // range.lo + (offset + counter) % range.size(). `counter` is the
  // allocator's next_ephemeral.
  uint16_t ephemeral_port_start(const IpAddr& local, const IpAddr& remote,
                                uint16_t remote_port, PortRange range, uint32_t counter) const;

  // RFC 6056 Algorithm 3 in full: try candidates from the start port on,
  // each step advancing `counter` (next_ephemeral), until `usable(port)`;
  // nullopt when every port of the range is taken for this destination.
  template <class Usable>
  std::optional<uint16_t> pick_ephemeral_port(const IpAddr& local, const IpAddr& remote,
                                              uint16_t remote_port, PortRange range,
                                              uint32_t& counter, Usable&& usable) const {
    const uint32_t offset = ephemeral_port_offset(local, remote, remote_port);
    for (uint32_t n = range.size(); n > 0; --n) {
      const auto port = static_cast<uint16_t>(range.lo + ((uint64_t{offset} + counter) % range.size()));
      ++counter;
      if (usable(port)) return port;
    }
    return std::nullopt;
  }

  const SipKey& secret() const { return key_; }

 private:
  SipKey key_;
};

}  // namespace stackd::tcp
