// Ipv6Layer: IPv6 input (ipv6_input.cc: RFC 8200 header checks, the
// extension-header chain in ipv6_ext_input.cc, reassembly), output with
// source selection, fragmentation of our own packets and local delivery
// (ipv6_output.cc), ICMPv6 (icmp6.h) and the path MTU cache (pmtu6.h).
// Neighbor Discovery lives in l2 (l2/ndp.h): input hands it ICMPv6 types
// 133-137 through L2Output::nd_input.
//
//   Ipv6Layer ip6(cfg.ip, counters, drops, l2_output, fib, tx_pool, heap_pool);
//   ip6.add_interface(iface);          // connected routes: fe80::/64 + configured prefixes
//   link.set_ipv6_handler(&ip6);       // Ethernet input calls ip6.ipv6_input
//   ip6.register_protocol(17, udp);    // ICMPv6 (58) is registered by the layer
//   every Stack::poll: ip6.poll(now);  Stack::poll_at: ip6.poll_at()
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
#include "ip/icmp6.h"
#include "ip/ipv4.h"
#include "ip/pmtu6.h"
#include "ip/protocol6.h"
#include "ip/reassembly.h"
#include "l2/l3_handler.h"
#include "stack/config.h"
#include "wire/ipv6.h"
#include "wire/ipv6_ext.h"

namespace stackd::ip {

struct Ipv6Route {
  uint16_t ifindex = 0;
  Ipv6Addr next_hop;  // gateway, the destination, or the multicast group
  Ipv6Addr src;       // chosen source address
  uint32_t mtu = 1500;
  bool local = false;  // one of our addresses or ::1: delivered without a device
};

struct Ipv6TxParams {
  Ipv6Addr src;  // unspecified: chosen by source selection
  Ipv6Addr dst;
  uint8_t next_header = 0;
  uint8_t hop_limit = 0;  // 0: IpConfig.default_ttl (1 for multicast)
  uint8_t traffic_class = 0;
  bool dont_frag = false;  // IPV6_DONTFRAG: kIp6PacketTooBig instead of fragments
  uint16_t ifindex = 0;    // 0: by route; else this interface (link-local/multicast scope)
};

class Ipv6Layer final : public l2::Ipv6Handler {
 public:
  Ipv6Layer(const stack::IpConfig& cfg, Counters& counters, DropStats& drops, l2::L2Output& l2,
            Fib& fib, buf::FramePool& tx_pool, buf::HeapPool& heap_pool);

  void add_interface(l2::Interface& iface);
  l2::Interface* interface(uint16_t ifindex) const {
    return ifindex < ifaces_.size() ? ifaces_[ifindex] : nullptr;
  }
  void register_protocol(uint8_t protocol, Ipv6ProtocolHandler& h) { protos_[protocol] = &h; }
  Ipv6ProtocolHandler* protocol_handler(uint8_t protocol) const { return protos_[protocol]; }

  // --- l2::Ipv6Handler ---
  void ipv6_input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast,
                  Instant now) override;

  // --- output ---
  Expected<Ipv6Route> route(const Ipv6Addr& dst, const Ipv6Addr& src, uint16_t ifindex,
                            Instant now) const;
  TxResult output(buf::PacketBuf&& l4, const Ipv6TxParams& p, Instant now);
  TxResult output(buf::PacketBuf&& l4, const Ipv6TxParams& p, const Ipv6Route& r, Instant now);

  // A usable (PREFERRED) address of ours on any interface, or ::1.
  bool is_local(const Ipv6Addr& a) const;
  // RFC 6724 §5, simplified (see ipv6_output.cc): the source for `dst` out
  // of `out`; unspecified when the interface has no usable address.
  static Ipv6Addr select_source(const l2::Interface& out, const Ipv6Addr& dst);

  void poll(Instant now);
  Instant poll_at() const;

  Icmpv6& icmp() { return icmp_; }
  Pmtu6Cache& pmtu() { return pmtu_; }
  Reassembler& reassembler() { return reasm_; }
  buf::FramePool& pool_for(uint16_t ifindex);
  // As Ipv4Layer::pool_to: the heap for ours and ::1 (local delivery's
  // 64 KiB MTU), else pool_for(ifindex).
  buf::FramePool& pool_to(const Ipv6Addr& dst, uint16_t ifindex);
  buf::HeapPool& heap_pool() { return heap_pool_; }
  l2::L2Output& link() { return l2_; }
  const stack::IpConfig& config() const { return cfg_; }
  // The firewall (ip/filter/filter.h), shared with IPv4: input hook after
  // the extension headers and reassembly, before the upper layer (also for
  // Neighbor Discovery); output hook before fragmentation (ND that l2
  // sends itself does not pass it). Null: none.
  void set_filter(filter::Filter* f) { filter_ = f; }

  static constexpr size_t kLoopbackQueueMax = 256;

 private:
  // ipv6_input.cc
  void input(l2::Interface& iface, buf::PacketBuf&& pkt, l2::LinkCast cast, bool looped,
             Instant now);
  bool accept_destination(const l2::Interface& iface, const Ipv6Addr& dst, bool looped,
                          Ipv6RxMeta& meta, bool& tentative) const;
  // From the extension headers on (also for a reassembled packet).
  void process(l2::Interface& iface, buf::PacketBuf&& pkt, Ipv6RxMeta& meta, bool tentative,
               Instant now);
  void reassemble(l2::Interface& iface, buf::PacketBuf&& pkt, const wire::Ipv6Chain& chain,
                  const wire::Ipv6ExtEntry& frag, Ipv6RxMeta& meta, Instant now);
  void upper_layer(buf::PacketBuf&& pkt, const wire::Ipv6Chain& chain, Ipv6RxMeta& meta,
                   bool tentative, Instant now);
  // ipv6_ext_input.cc: the checks of RFC 8200 §4 on the first `count`
  // headers of the chain (options by their action bits, routing headers).
  // False when the packet is dropped (a parameter problem may be sent).
  bool check_chain(const buf::PacketBuf& pkt, const wire::Ipv6Chain& chain, size_t count,
                   const Ipv6RxMeta& meta, Instant now);
  bool check_options(std::span<const uint8_t> header, uint32_t at, const Ipv6RxMeta& meta,
                     Instant now);
  // RFC 7112: did the chain stop short inside a first fragment?
  static bool first_fragment_cut(uint8_t next_header, std::span<const uint8_t> payload);
  // False when the firewall's input hook did not accept (dropped or rejected).
  bool filter_input(const Ipv6RxMeta& meta, const buf::PacketBuf& payload, uint32_t hdr_len, Instant now);
  // ipv6_output.cc
  TxResult fragment_and_send(l2::Interface& iface, const Ipv6Route& r, buf::PacketBuf&& l4,
                             const wire::Ipv6Repr& hdr, Instant now);
  void send_one(l2::Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                Instant now);
  TxResult out_drop(Counter c, DropReason r, uint32_t mtu = 0);

  stack::IpConfig cfg_;
  Counters& counters_;
  DropStats& drops_;
  l2::L2Output& l2_;
  Fib& fib_;
  buf::FramePool& tx_pool_;
  buf::HeapPool& heap_pool_;
  std::vector<l2::Interface*> ifaces_{nullptr};
  std::array<Ipv6ProtocolHandler*, 256> protos_{};
  filter::Filter* filter_ = nullptr;
  Reassembler reasm_;
  Pmtu6Cache pmtu_;
  Icmpv6 icmp_;
  uint32_t next_ident_ = 0x5eed0001;
  struct Looped {
    buf::PacketBuf pkt;
    uint16_t ifindex;
  };
  std::deque<Looped> loopback_;
};

}  // namespace stackd::ip
