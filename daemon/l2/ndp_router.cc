// Hosts and routers (RFC 4861 §6.3): with Interface::accept_ra, one Router
// Solicitation once the link-local address is usable, and Router
// Advertisements validated (§6.1.2) and reported to the layer above, which
// installs the default route and on-link prefixes (l2 has no FIB). The
// LinkMTU option is applied here (§6.3.4: between 1280 and the link's).
#include "l2/ipv6_addr.h"
#include "l2/ndp.h"

namespace stackd::l2 {

namespace {
// RFC 4861 §10 MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL.
constexpr uint32_t kMaxRtrSolicitations = 3;
constexpr Duration kRtrSolicitationInterval = Duration::seconds(4);
}  // namespace

void Ndp::router_timers(Instant now) {
  for (size_t i = 0; i < rs_.size();) {
    Rs& r = rs_[i];
    if (r.next > now) {
      ++i;
      continue;
    }
    if (r.sent >= kMaxRtrSolicitations) {  // §6.3.7: no router answered; stop
      rs_.erase(rs_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++r.sent;
    r.next = now + kRtrSolicitationInterval;
    router_solicit(*r.iface, now);
    ++i;
  }
}

void Ndp::router_solicit(Interface& iface, Instant now) {
  wire::NdpRepr nd;
  nd.msg = wire::NdpRouterSolicit{};
  nd.options.source_lladdr = iface.mac;  // §4.1: with a source address, include it
  send(iface, iface.link_local(), kAllRouters, nd, Counter::Icmp6OutRouterSolicits, now);
}

void Ndp::router_advert(Interface& iface, const NdRx& rx, const wire::NdpRouterAdvert& ra,
                        const wire::NdpOptions& opts, Instant now) {
  // §6.1.2: the source is the router's link-local address.
  if (!rx.src.is_link_local()) {
    drops_.drop(DropReason::kNdpInvalid);
    return;
  }
  if (!iface.accept_ra) {
    drops_.drop(DropReason::kNdpIgnored);
    return;
  }
  // §6.3.7: an advertisement ends the solicitations.
  std::erase_if(rs_, [&](const Rs& r) { return r.iface == &iface; });
  // §6.3.4: the source link-layer address creates or updates the entry.
  if (opts.source_lladdr)
    cache_.learn(iface.index, rx.src, *opts.source_lladdr, NeighEvidence::kHeard, true, now);
  RouterInfo info;
  info.router = rx.src;
  info.router_lifetime = ra.router_lifetime;
  if (opts.mtu && *opts.mtu >= 1280 && *opts.mtu <= iface.mtu) {
    info.mtu = *opts.mtu;
    iface.ipv6_mtu = *opts.mtu;
  }
  for (const auto& p : opts.prefix_list()) {
    // §6.3.4: a link-local prefix is ignored; L clear says nothing about on-link.
    if (!p.on_link || p.prefix.is_link_local() || p.prefix_len > 128) continue;
    info.on_link.push_back({IpPrefix{p.prefix, p.prefix_len}.network(), p.valid_lifetime});
  }
  if (router_hook_) router_hook_(iface, info, now);
}

}  // namespace stackd::l2
