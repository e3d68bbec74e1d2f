// Raw IPv4 sockets (raw(7), ip(7)): a socket per IP protocol number that
// receives a copy of every datagram of that protocol delivered to us, IP
// header included, and sends datagrams of that protocol (stackd builds the
// header) or whole datagrams (IP_HDRINCL, always for IPPROTO_RAW: stackd
// fills in what Linux fills in).
//
//   RawLayer raw(ip);               // taps Ipv4Layer (set_raw_tap) while it has sockets
//   RawSocket s(raw, 1);            // IPPROTO_ICMP
//   s.send_to(peer, echo_request, now);
//   while (auto d = s.recv()) ...   // d->bytes: IP header + ICMP message
//
// Delivery happens after reassembly and the firewall's input hook, before
// the protocol's own handling, which goes on regardless (TCP, UDP, ICMP
// echo are still served by the stack, as on Linux). A socket hears only
// datagrams to its bound address and from its connected peer, when set.
// Each socket's queue is bounded (datagrams and bytes); a full queue drops
// the copy (kRawRcvbufFull, the socket's drops(), Linux's sk_drops).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "ip/ipv4.h"
#include "ip/protocol.h"

namespace stackd::transport {

inline constexpr uint32_t kRawMaxDatagram = 65535;  // an IPv4 datagram, header included
inline constexpr uint8_t kIpprotoRaw = 255;         // IPPROTO_RAW: send only, header always given

struct RawDatagram {
  buf::PacketBuf bytes;  // the IP header (as received) and the payload
  Ipv4Addr src;
  uint16_t ifindex = 0;
};

class RawLayer;

class RawSocket {
 public:
  struct Options {
    uint32_t rcv_datagrams = 256;  // receive queue bound, datagrams
    uint32_t rcv_bytes = 212992;   // ... and bytes (Linux rmem_default)
  };
  RawSocket(RawLayer& raw, uint8_t protocol) : RawSocket(raw, protocol, Options{}) {}
  RawSocket(RawLayer& raw, uint8_t protocol, Options opt);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  uint8_t protocol() const { return protocol_; }
  // Only datagrams to `a` (0.0.0.0: any); the source of what we send.
  // -EADDRNOTAVAIL when `a` is not one of ours (Linux raw_bind).
  int bind(Ipv4Addr a);
  // Only datagrams from `a`; send() goes to it. 0.0.0.0 undoes it.
  int connect(Ipv4Addr a);
  // IP_HDRINCL (always on for IPPROTO_RAW, as Linux).
  void set_hdrincl(bool on) { hdrincl_ = on || protocol_ == kIpprotoRaw; }
  bool hdrincl() const { return hdrincl_; }
  // IP_TTL: 1..255, 0 = the default (IpConfig.default_ttl).
  void set_ttl(uint8_t ttl) { ttl_ = ttl; }
  uint8_t ttl() const { return ttl_; }
  // ICMP_FILTER (raw(7), IPPROTO_ICMP sockets): bit t set = drop ICMP type t < 32.
  void set_icmp_filter(uint32_t mask) { icmp_filter_ = mask; }
  uint32_t icmp_filter() const { return icmp_filter_; }

  // Bytes sent or -errno. Without IP_HDRINCL `data` is the payload;
  // with it, the whole datagram: -EINVAL (shorter than a header, IHL < 5 or
  // past the data, version not 4), -EMSGSIZE (over 65535, or over the MTU
  // with IP_HDRINCL: no fragmentation), -ENETUNREACH, -ENOBUFS,
  // -EDESTADDRREQ (send() unconnected).
  int send_to(Ipv4Addr dst, std::span<const uint8_t> data, Instant now);
  int send(std::span<const uint8_t> data, Instant now);

  std::optional<RawDatagram> recv();
  bool readable() const { return count_ != 0; }
  size_t rx_queued() const { return count_; }
  uint64_t drops() const { return drops_; }

  Ipv4Addr local_addr() const { return local_; }
  Ipv4Addr remote_addr() const { return remote_; }
  bool connected() const { return !remote_.is_unspecified(); }

 private:
  friend class RawLayer;
  bool matches(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> payload) const;
  void enqueue(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> header,
               std::span<const uint8_t> payload);
  int send_hdrincl(Ipv4Addr dst, std::span<const uint8_t> data, Instant now);

  RawLayer& raw_;
  uint8_t protocol_;
  Options opt_;
  bool hdrincl_ = false;
  uint8_t ttl_ = 0;
  uint32_t icmp_filter_ = 0;
  Ipv4Addr local_, remote_;
  std::vector<RawDatagram> ring_;  // fixed at construction
  size_t mask_ = 0, head_ = 0, count_ = 0, bytes_ = 0;
  uint64_t drops_ = 0;
};

class RawLayer final : public ip::Ipv4RawTap {
 public:
  explicit RawLayer(ip::Ipv4Layer& ip);
  ~RawLayer() override;
  RawLayer(const RawLayer&) = delete;
  RawLayer& operator=(const RawLayer&) = delete;

  bool deliver(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> header,
               std::span<const uint8_t> payload, Instant now) override;
  size_t sockets() const { return socks_.size(); }
  ip::Ipv4Layer& ip() { return ip_; }

 private:
  friend class RawSocket;
  ip::Ipv4Layer& ip_;
  std::vector<RawSocket*> socks_;  // few: a linear scan per delivered datagram
};

}  // namespace stackd::transport
