// Neighbor Discovery for IPv6 over Ethernet (RFC 4861) beside ARP, on the
// same neighbour cache: Neighbor Solicitation / Advertisement with the
// validity checks of §7.1, the receive rules of §7.2.3 and §7.2.5, address
// resolution and unreachability probes (the cache's solicit events), and
// Duplicate Address Detection (RFC 4862 §5.4) for every address of an
// interface before it is used.
//
// ND messages arrive from IPv6 input (which checked the IPv6 header and the
// ICMPv6 checksum) through L2Output::nd_input; what ND sends is a whole
// IPv6 packet handed to an Ipv6Sink (Link::output_ipv6), so a unicast
// advertisement is resolved like any other packet.
//
// Simplifications (documented): DAD sends its first solicitation at once
// (no random delay of RFC 4862 §5.4.2; the MLD report of the groups
// joined, l2/mld.h, goes out with it), a solicitation's source is our link-local address (a
// preferred global one while the link-local is tentative). Routers
// (ndp_router.cc): with Interface::accept_ra up to three Router
// Solicitations 4 s apart once the link-local address is usable, until an
// advertisement arrives (RFC 4861 §6.3.7, without the initial random
// delay), advertisements reported through RouterHook; redirects ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/addr.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "buf/packet.h"
#include "l2/interface.h"
#include "l2/l3_handler.h"
#include "l2/neighbour_cache.h"
#include "stack/config.h"
#include "wire/ndp.h"

namespace stackd::l2 {

// Where ND gets buffers and sends whole IPv6 packets (implemented by Link).
class Ipv6Sink {
 public:
  virtual ~Ipv6Sink() = default;
  // An empty buffer with headroom for the Ethernet header; empty (counted
  // as kNoBuffer) when there is none.
  virtual buf::PacketBuf alloc_packet(Interface& iface, uint32_t size) = 0;
  virtual void send_ipv6(Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                         Instant now) = 0;
};

class Ndp {
 public:
  // An address changed state after DAD: kPreferred (usable now) or
  // kDuplicate (another node has it: never used). The stack core has no
  // logging; the daemon logs from this hook.
  using AddrHook = std::function<void(const Interface& iface, const Ipv6Addr& addr,
                                      Ipv6AddrState state, Instant now)>;

  Ndp(NeighbourCache& cache, const stack::NeighbourTimers& timers, Counters& counters,
      DropStats& drops, Ipv6Sink& sink)
      : cache_(cache), timers_(timers), counters_(counters), drops_(drops), sink_(sink) {}

  void set_addr_hook(AddrHook h) { hook_ = std::move(h); }

  // What a valid Router Advertisement (RFC 4861 §6.1.2) on an interface
  // with accept_ra said: the layer above installs the routes (l2 has no
  // FIB). Lifetimes in seconds; 0 withdraws.
  struct RouterInfo {
    Ipv6Addr router;            // its link-local address: the gateway
    uint16_t router_lifetime = 0;
    std::optional<uint32_t> mtu;
    struct Prefix {
      IpPrefix prefix;          // host bits cleared
      uint32_t valid_lifetime;
    };
    std::vector<Prefix> on_link;  // prefix information options with L set
  };
  using RouterHook = std::function<void(Interface& iface, const RouterInfo& ra, Instant now)>;
  void set_router_hook(RouterHook h) { router_hook_ = std::move(h); }

  // Start DAD for every TENTATIVE address of `iface` (RFC 4862 §5.4.2).
  // With dad_transmits 0 the addresses are PREFERRED at once.
  void start_dad(Interface& iface, Instant now);

  void input(Interface& iface, const NdRx& rx, Instant now);

  // Address resolution / unreachability probe (the cache's solicit event):
  // to the solicited-node group, or unicast to `unicast_to` (§7.3.3 PROBE).
  void solicit(Interface& iface, const Ipv6Addr& target, std::optional<MacAddr> unicast_to,
               Instant now);

  Instant poll_at() const;
  void on_timer(Instant now);
  void forget(uint16_t ifindex);  // interface detached

 private:
  // ndp_router.cc
  void router_advert(Interface& iface, const NdRx& rx, const wire::NdpRouterAdvert& ra,
                     const wire::NdpOptions& opts, Instant now);
  void router_solicit(Interface& iface, Instant now);
  void router_timers(Instant now);

  void neighbor_solicit(Interface& iface, const NdRx& rx, const Ipv6Addr& target,
                        std::optional<MacAddr> slla, Instant now);
  void neighbor_advert(Interface& iface, const NdRx& rx, bool solicited, bool override_flag,
                       const Ipv6Addr& target, std::optional<MacAddr> tlla, Instant now);
  void send_ns(Interface& iface, const Ipv6Addr& src, const Ipv6Addr& dst,
               const Ipv6Addr& target, Instant now);
  void send_na(Interface& iface, const Ipv6Addr& target, const Ipv6Addr& dst, bool solicited,
               Instant now);
  void send(Interface& iface, const Ipv6Addr& src, const Ipv6Addr& dst, const wire::NdpRepr& nd,
            Counter c, Instant now);
  void dad_conflict(Interface& iface, Ipv6IfAddr& a, Instant now);
  void set_state(Interface& iface, Ipv6IfAddr& a, Ipv6AddrState s, Instant now);

  struct Dad {
    Interface* iface;
    Ipv6Addr addr;
    Instant deadline;
  };

  NeighbourCache& cache_;
  stack::NeighbourTimers timers_;
  Counters& counters_;
  DropStats& drops_;
  Ipv6Sink& sink_;
  AddrHook hook_;
  RouterHook router_hook_;
  std::vector<Dad> dad_;  // addresses under DAD: a handful per interface
  struct Rs {
    Interface* iface;
    uint32_t sent;
    Instant next;
  };
  std::vector<Rs> rs_;  // interfaces soliciting routers (no advertisement yet)
};

}  // namespace stackd::l2
