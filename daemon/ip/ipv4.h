// Ipv4Layer: IPv4 input (ipv4_input.cc), output with fragmentation
// (ipv4_output.cc), local delivery without a device, reassembly
// (reassembly.h) and ICMP (icmp.h). It implements l2::L3Handler (Ethernet
// input calls it) and sends through l2::L2Output. Protocols above register
// an Ipv4ProtocolHandler per protocol number.
//
// Construction (the stack owns every object, this holds references):
//   Ipv4Layer ip(cfg.ip, counters, drops, l2_output, fib, tx_pool, heap_pool);
//   ip.add_interface(iface);              // + connected routes for its addresses
//   ip.register_protocol(17, udp);        // ICMP (1) is registered by the layer
//   ... every Stack::poll: ip.poll(now);  // local deliveries, reassembly timeouts
//   Stack::poll_at(): earliest(..., ip.poll_at())
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/expected.h"
#include "base/time.h"
#include "buf/pool.h"
#include "ip/fib.h"
#include "ip/filter/filter.h"
#include "ip/icmp.h"
#include "ip/protocol.h"
#include "ip/reassembly.h"
#include "l2/l3_handler.h"
#include "stack/config.h"
#include "wire/ipv4.h"

namespace stackd::ip {

// Where a datagram goes: the result of route().
struct Ipv4Route {
  uint16_t ifindex = 0;
  Ipv4Addr next_hop;  // gateway, destination, or 255.255.255.255 for broadcasts
  Ipv4Addr src;       // chosen source address
  uint32_t mtu = 1500;
  bool local = false;  // one of our addresses: delivered without a device
};

struct Ipv4TxParams {
  Ipv4Addr src;   // unspecified: the outgoing interface's primary address
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = 0;  // 0: IpConfig.default_ttl (1 for multicast)
  uint8_t tos = 0;
  bool df = false;
  uint16_t ifindex = 0;  // 0: by route; else this interface (broadcast, multicast, SO_BINDTODEVICE)
};

// Firewall reject of a TCP segment (ip/filter/): the TCP layer answers
// with a RST as for a segment to a closed port (RFC 9293 §3.10.7.1). With
// none registered, IP sends ICMP port unreachable instead.
class TcpRejectHandler {
 public:
  virtual ~TcpRejectHandler() = default;
  // `segment` is the rejected TCP segment (header first), `meta` its IP
  // header fields; both valid only during the call.
  virtual void send_reset(const Ipv4RxMeta& meta, std::span<const uint8_t> segment,
                          Instant now) = 0;
};

// The outcome of output(): ok, or the drop reason (and for kIpFragNeededDf
// the MTU the datagram must fit, so a sender can learn it, RFC 1191).
struct TxResult {
  DropReason reason = DropReason::kCount;  // kCount = sent
  uint32_t mtu = 0;
  bool ok() const { return reason == DropReason::kCount; }
  static TxResult sent() { return {}; }
};

class Ipv4Layer final : public l2::L3Handler {
 public:
  Ipv4Layer(const stack::IpConfig& cfg, Counters& counters, DropStats& drops,
            l2::L2Output& l2, Fib& fib, buf::FramePool& tx_pool, buf::HeapPool& heap_pool);

  // Interfaces are referred to by index; the stack keeps them alive.
  void add_interface(l2::Interface& iface);
  l2::Interface* interface(uint16_t ifindex) const {
    return ifindex < ifaces_.size() ? ifaces_[ifindex] : nullptr;
  }
  void register_protocol(uint8_t protocol, Ipv4ProtocolHandler& h) { protos_[protocol] = &h; }
  Ipv4ProtocolHandler* protocol_handler(uint8_t protocol) const { return protos_[protocol]; }
  // The firewall (ip/filter/filter.h): input hook after the RFC 1122 checks
  // and reassembly, before demux; output hook before fragmentation. Null,
  // or a filter with nothing installed, costs one branch per datagram.
  void set_filter(filter::Filter* f) { filter_ = f; }
  filter::Filter* firewall() const { return filter_; }
  void set_tcp_reject_handler(TcpRejectHandler* h) { tcp_reject_ = h; }
  // Raw sockets (transport/raw.h): set while raw sockets exist; null
  // costs one branch per delivered datagram.
  void set_raw_tap(Ipv4RawTap* t) { raw_ = t; }

  // --- l2::L3Handler ---
  void ipv4_input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast,
                  Instant now) override;
  // IPv6 reaches this only when no Ipv6Layer is wired (l2::Link::set_ipv6_handler):
  // counted and dropped (kIp6NotSupported).
  void ipv6_input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast,
                  Instant now) override;

  // --- output ---
  // Route lookup and source selection (kIpNoRoute when there is none).
  Expected<Ipv4Route> route(Ipv4Addr dst, Ipv4Addr src = {}, uint16_t ifindex = 0) const;
  // Send an L4 payload (transport header first; headroom for IPv4 + link
  // headers, else it is copied). Fragments when larger than the MTU.
  TxResult output(buf::PacketBuf&& l4, const Ipv4TxParams& p, Instant now);
  // The same over a route the caller already looked up (UDP does, to know
  // the source address for its pseudo-header checksum).
  TxResult output(buf::PacketBuf&& l4, const Ipv4TxParams& p, const Ipv4Route& r, Instant now);
  // A whole datagram whose header the sender wrote (IP_HDRINCL, raw(7)):
  // sent as it is over `r` (the caller filled in length, id, source and
  // checksum and checked it against the MTU: no fragmentation), through the
  // firewall's output hook.
  TxResult output_hdrincl(buf::PacketBuf&& datagram, const Ipv4Route& r, Instant now);
  // The next IP identification (for a header the sender left it 0).
  uint16_t next_ident() { return next_ident_++; }

  // Is `a` one of our unicast addresses (on any interface: weak host model,
  // RFC 1122 §3.3.4.2)?
  bool is_local(Ipv4Addr a) const;
  // Is `a` the subnet-directed broadcast address of one of our prefixes?
  bool is_subnet_broadcast(Ipv4Addr a) const;

  // The next hop of these packets (ours, IP header first) could not be
  // resolved: ICMP host unreachable to their source (RFC 1122 §3.2.2.1),
  // which is us, so the transport learns of it. Wire it to
  // l2::Link::set_unresolved_hook.
  void link_failure(l2::Interface& iface, std::span<buf::PacketBuf> pkts, Instant now);

  // Local deliveries queued by output() and reassembly timeouts.
  void poll(Instant now);
  Instant poll_at() const;

  Icmpv4& icmp() { return icmp_; }
  Fib& fib() { return fib_; }
  Reassembler& reassembler() { return reasm_; }
  buf::FramePool& tx_pool() { return tx_pool_; }
  buf::HeapPool& heap_pool() { return heap_pool_; }
  // The pool for frames sent on `ifindex` (the device's, else the given one).
  buf::FramePool& pool_for(uint16_t ifindex);
  // The pool a transport builds a datagram to `dst` in: the heap for our
  // own addresses (route() gives local delivery a 64 KiB MTU, more than a
  // device frame holds, and the datagram never reaches a device), else
  // pool_for(ifindex).
  buf::FramePool& pool_to(Ipv4Addr dst, uint16_t ifindex);
  const stack::IpConfig& config() const { return cfg_; }
  Counters& counters() { return counters_; }
  DropStats& drops() { return drops_; }

  static constexpr size_t kLoopbackQueueMax = 256;

 private:
  // ipv4_input.cc
  void deliver(const Ipv4RxMeta& meta, buf::PacketBuf&& payload, Instant now);
  bool filter_input(const Ipv4RxMeta& meta, const buf::PacketBuf& payload, Instant now);
  bool accept_destination(const l2::Interface& iface, Ipv4Addr dst, Ipv4RxMeta& meta) const;
  // ipv4_output.cc
  TxResult fragment_and_send(l2::Interface& iface, const Ipv4Route& r, buf::PacketBuf&& l4,
                             const wire::Ipv4Repr& hdr, uint32_t mtu, Instant now);
  void send_one(l2::Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt, Instant now);
  filter::Verdict filter_output(const wire::Ipv4Repr& h, uint16_t oif, const buf::PacketBuf& l4,
                                Instant now);

  stack::IpConfig cfg_;
  Counters& counters_;
  DropStats& drops_;
  l2::L2Output& l2_;
  Fib& fib_;
  buf::FramePool& tx_pool_;
  buf::HeapPool& heap_pool_;
  std::vector<l2::Interface*> ifaces_{nullptr};  // by index; [0] unused
  std::array<Ipv4ProtocolHandler*, 256> protos_{};
  filter::Filter* filter_ = nullptr;
  TcpRejectHandler* tcp_reject_ = nullptr;
  Ipv4RawTap* raw_ = nullptr;
  Reassembler reasm_;
  Icmpv4 icmp_;
  uint16_t next_ident_ = 1;
  struct Looped {
    buf::PacketBuf pkt;
    uint16_t ifindex;
  };
  std::deque<Looped> loopback_;
};

}  // namespace stackd::ip
