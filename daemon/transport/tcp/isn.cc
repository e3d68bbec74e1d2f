#include "transport/tcp/isn.h"

#include <cstring>

#include "base/byteorder.h"

namespace stackd::tcp {

TupleBytes& TupleBytes::addr(const IpAddr& a) {
  buf_[len_++] = static_cast<uint8_t>(a.family());
  if (a.is_v4()) {
    store_be32(buf_ + len_, a.v4().v);
    len_ += 4;
  } else {
    std::memcpy(buf_ + len_, a.v6().b.data(), 16);
    len_ += 16;
  }
  return *this;
}

TupleBytes& TupleBytes::u16(uint16_t v) {
  store_be16(buf_ + len_, v);
  len_ += 2;
  return *this;
}

TupleBytes& TupleBytes::u32(uint32_t v) {
  store_be32(buf_ + len_, v);
  len_ += 4;
  return *this;
}

// At most 2 * 17 + 2 * 2 = 38 bytes, plus a few u32 for SYN cookies: fits 64.
TupleBytes& TupleBytes::tuple(const ConnTuple& t) {
  return addr(t.local).u16(t.local_port).addr(t.remote).u16(t.remote_port);
}

SeqNum IsnGenerator::isn(const ConnTuple& t, Instant now) const {
  TupleBytes b;
  b.tuple(t);
  const auto f = static_cast<uint32_t>(siphash24(key_, b.bytes()));
  return SeqNum(clock_ticks(now) + f);
}

uint32_t IsnGenerator::ephemeral_port_offset(const IpAddr& local, const IpAddr& remote,
                                             uint16_t remote_port) const {
  TupleBytes b;
  // A domain tag keeps this hash independent of the ISN's F for the same secret.
  b.u32(0x706f7274u).addr(local).addr(remote).u16(remote_port);
  return static_cast<uint32_t>(siphash24(key_, b.bytes()));
}

uint16_t IsnGenerator::ephemeral_port_start(const IpAddr& local, const IpAddr& remote,
                                            uint16_t remote_port, PortRange range,
                                            uint32_t counter) const {
  const uint32_t offset = ephemeral_port_offset(local, remote, remote_port);
  return static_cast<uint16_t>(range.lo + ((uint64_t{offset} + counter) % range.size()));
}

}  // namespace stackd::tcp
