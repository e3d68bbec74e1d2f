// UDP (RFC 768) over IPv4 and IPv6 (RFC 8200 §8.1: the pseudo-header
// carries the IPv6 addresses, a zero checksum is dropped): input with
// length and checksum validation,
// demultiplexing to a bound UdpSocket by hash (transport/demux.h), ICMP
// port unreachable when nothing is bound, and output with the pseudo-header
// checksum through Ipv4Layer (which fragments datagrams larger than the
// MTU, up to 65507 bytes of payload).
//
//   UdpLayer udp(ip, counters, drops);   // registers itself for protocol 17
//   UdpSocket s(udp);
//   s.bind(IpAddr(Ipv4Addr::any()), 7);
//   while (auto d = s.recv()) s.send_to(d->src, d->src_port, std::move(d->payload), now);
//
// The receive path allocates nothing: the frame's buffer itself (Ethernet,
// IP and UDP headers pulled off) is queued on the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/packet.h"
#include "ip/ipv4.h"
#include "ip/ipv6.h"
#include "ip/protocol.h"
#include "transport/demux.h"

namespace stackd::transport {

inline constexpr uint32_t kUdpMaxPayload = 65507;   // 65535 - 20 (IPv4) - 8 (UDP)
inline constexpr uint32_t kUdp6MaxPayload = 65527;  // 65535 (payload length) - 8 (UDP)
inline constexpr uint16_t kEphemeralLow = 32768;   // Linux ip_local_port_range
inline constexpr uint16_t kEphemeralHigh = 60999;

struct UdpDatagram {
  buf::PacketBuf payload;  // the UDP payload (headroom in front)
  IpAddr src;
  uint16_t src_port = 0;
  IpAddr dst;              // the address it was sent to (ours, or a broadcast)
  uint16_t ifindex = 0;    // arrival interface
};

class UdpLayer;

class UdpSocket {
 public:
  struct Options {
    uint32_t rcv_datagrams = 256;     // receive queue bound, datagrams
    uint32_t rcv_bytes = 212992;      // ... and payload bytes (Linux rmem_default)
    bool v6 = false;                  // an AF_INET6 socket: an implicit bind takes ::
  };
  explicit UdpSocket(UdpLayer& udp) : UdpSocket(udp, Options{}) {}
  UdpSocket(UdpLayer& udp, Options opt);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // 0 or -errno: -EINVAL (already bound), -EAFNOSUPPORT (IPv6 without an
  // IPv6 layer), -EADDRINUSE,
  // -EADDRNOTAVAIL (not one of our addresses). Port 0: an ephemeral port.
  int bind(const IpAddr& addr, uint16_t port);
  // Fix the peer: only its datagrams are received, send() goes to it, and
  // ICMP errors about it are reported (take_error). Binds if unbound.
  int connect(const IpAddr& addr, uint16_t port);
  // IPV6_V6ONLY (before bind, else -EINVAL, as Linux). Off (the Linux
  // default): a socket bound to :: is dual-stack, it also receives IPv4
  // datagrams (source an IPv4 address; the session shows it v4-mapped)
  // and sends to IPv4 destinations.
  int set_v6only(bool on);
  bool v6only() const { return v6only_; }
  // SO_REUSEADDR (before bind). When the socket holding (addr, port) is
  // connected and both have it, a bind of the same (addr, port) succeeds,
  // as on Linux: the connected one keeps its peer's datagrams (by its
  // 4-tuple), the new one gets the rest. (iperf3's UDP server "accepts" a
  // client that way: connect the listener, bind a new one.) Two unconnected
  // sockets still conflict.
  void set_reuseaddr(bool on) { reuseaddr_ = on; }

  // Bytes sent or -errno: -EMSGSIZE (> 65507), -EINVAL (port 0),
  // -ENETUNREACH (no route), -ENOBUFS (no buffer), -EDESTADDRREQ (send()
  // while unconnected).
  int send_to(const IpAddr& dst, uint16_t port, std::span<const uint8_t> data, Instant now);
  // Zero copy when `data` has headroom for the UDP/IP/link headers.
  int send_to(const IpAddr& dst, uint16_t port, buf::PacketBuf&& data, Instant now);
  int send(std::span<const uint8_t> data, Instant now);
  // send_to from a given local address (IP_PKTINFO-style: a wildcard-bound
  // server answers from the address the request was sent to).
  int send_from(const IpAddr& src, const IpAddr& dst, uint16_t port, buf::PacketBuf&& data,
                Instant now);

  std::optional<UdpDatagram> recv();
  size_t rx_queued() const { return count_; }
  size_t rx_bytes() const { return bytes_; }
  bool readable() const { return count_ != 0; }
  // SO_ERROR: the pending error (positive errno) or 0, cleared by reading.
  int take_error() { return std::exchange(error_, 0); }

  bool bound() const { return bound_; }
  bool connected() const { return connected_; }
  const IpAddr& local_addr() const { return local_addr_; }
  uint16_t local_port() const { return local_port_; }
  const IpAddr& remote_addr() const { return remote_addr_; }
  uint16_t remote_port() const { return remote_port_; }

 private:
  friend class UdpLayer;
  // Takes `payload` unless the queue is full (then returns false).
  bool enqueue(buf::PacketBuf& payload, const IpAddr& src, uint16_t src_port, const IpAddr& dst,
               uint16_t ifindex);

  UdpLayer& udp_;
  Options opt_;
  std::vector<UdpDatagram> ring_;  // fixed at construction: no allocation per datagram
  size_t mask_ = 0;                // ring_.size() - 1 (a power of two)
  size_t head_ = 0, count_ = 0, bytes_ = 0;
  bool bound_ = false, connected_ = false;
  bool v6only_ = false;
  bool reuseaddr_ = false;
  bool by_flow_ = false;  // moved from the endpoint table to UdpLayer::flows_ (above)
  IpAddr local_addr_ = Ipv4Addr::any();
  uint16_t local_port_ = 0;
  IpAddr remote_addr_;
  uint16_t remote_port_ = 0;
  int error_ = 0;
};

class UdpLayer final : public ip::Ipv4ProtocolHandler, public ip::Ipv6ProtocolHandler {
 public:
  UdpLayer(ip::Ipv4Layer& ip, Counters& counters, DropStats& drops);
  ~UdpLayer() override;
  // UDP over IPv6 too: registers for next header 17 (udp6.cc).
  void attach_ipv6(ip::Ipv6Layer& ip6);
  bool has_ipv6() const { return ip6_ != nullptr; }

  void input(const ip::Ipv4RxMeta& meta, buf::PacketBuf&& pkt, Instant now) override;
  void error(const ip::IcmpErrorIn& err, Instant now) override;
  void input(const ip::Ipv6RxMeta& meta, buf::PacketBuf&& pkt, Instant now) override;
  void error(const ip::Icmp6ErrorIn& err, Instant now) override;

  size_t sockets_bound() const { return table_.size() + flows_.size(); }
  // Every bound socket (the control plane's `stackctl conn -u`).
  template <typename F>
  void for_each_socket(F&& f) const {
    table_.for_each([&](UdpSocket* s) { f(static_cast<const UdpSocket&>(*s)); });
    flows_.for_each([&](UdpSocket* s) { f(static_cast<const UdpSocket&>(*s)); });
  }
  ip::Ipv4Layer& ip() { return ip_; }

 private:
  friend class UdpSocket;
  int bind(UdpSocket& s, const IpAddr& addr, uint16_t port);
  void unbind(UdpSocket& s);
  int send(UdpSocket& s, const IpAddr& src, const IpAddr& dst, uint16_t port,
           buf::PacketBuf&& payload, std::span<const uint8_t> bytes, Instant now);
  int send6(UdpSocket& s, const IpAddr& src, const Ipv6Addr& dst, uint16_t port,
            buf::PacketBuf&& payload, std::span<const uint8_t> bytes, Instant now);
  // The datagram (header room + payload) in `pb` when it has headroom,
  // else copied into a buffer from `pool`; empty when there is none.
  static buf::PacketBuf datagram_buffer(buf::PacketBuf&& pb, std::span<const uint8_t> bytes,
                                        uint32_t len, buf::FramePool& pool);
  // Bind an unbound socket to the wildcard of `family` (implicit bind on send).
  int autobind(UdpSocket& s, IpFamily family);
  // Linux's bind conflicts between the families (as TcpLayer::port_conflicts).
  bool port_conflicts(const IpAddr& addr, uint16_t port, bool v6only) const;
  // A dual-stack socket on :: for an IPv4 datagram to `port`, or nullptr.
  UdpSocket* dual_stack(uint16_t port) const;
  // The receiving socket for (dst, dport) from (src, sport): a connected
  // socket moved aside by a SO_REUSEADDR bind (exact or wildcard local
  // address), else the endpoint table's, dropping a connected one's
  // datagrams from anyone but its peer. nullptr: no port.
  UdpSocket* receiver(const IpAddr& dst, uint16_t dport, const IpAddr& src, uint16_t sport);
  // A SO_REUSEADDR bind over a connected holder of (addr, port): moves the
  // holder to flows_ and returns true, else false (EADDRINUSE).
  bool share_port(UdpSocket& s, const IpAddr& addr, uint16_t port);
  static FlowKey flow_key(const UdpSocket& s);

  ip::Ipv4Layer& ip_;
  ip::Ipv6Layer* ip6_ = nullptr;
  Counters& counters_;
  DropStats& drops_;
  mutable EndpointTable<UdpSocket*> table_;
  FlowTable<UdpSocket*> flows_;  // connected sockets that gave their endpoint slot away
  uint16_t next_ephemeral_ = kEphemeralLow;
};

}  // namespace stackd::transport
