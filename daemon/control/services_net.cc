// Links, Addresses, Routes, Neighbours: `ip link/addr/route/neigh` over the
// stack's interfaces, FIB and neighbour cache.
#include <fmt/format.h>

#include "control/convert.h"
#include "control/service_common.h"
#include "ip/fib.h"
#include "ip/ipv4.h"
#include "l2/ipv6_addr.h"
#include "l2/link.h"

namespace stackd::control {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

Status invalid(std::string msg) { return {StatusCode::INVALID_ARGUMENT, std::move(msg)}; }
Status not_found(std::string msg) { return {StatusCode::NOT_FOUND, std::move(msg)}; }

class LinksService final : public pb::Links::Service {
 public:
  explicit LinksService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListLinksRequest* req, pb::ListLinksResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "link list"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      for (const auto& i : s.interfaces())
        if (i && (req->name().empty() || i->name == req->name())) *out->add_links() = to_pb(*i);
      if (!req->name().empty() && out->links_size() == 0)
        return not_found(fmt::format("no link \"{}\"", req->name()));
      return Status::OK;
    });
  }

  Status Set(ServerContext* ctx, const pb::SetLinkRequest* req, pb::Link* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "link set"); !s.ok()) return s;
    if (req->has_mtu() && (req->mtu() < 68 || req->mtu() > 9000))
      return invalid(fmt::format("mtu {} (expected 68..9000)", req->mtu()));
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      l2::Interface* i = iface_by_name(s, req->name());
      if (i == nullptr) return not_found(fmt::format("no link \"{}\"", req->name()));
      if (req->has_mtu()) {
        if (i->device != nullptr && req->mtu() > i->device->info().mtu)
          return invalid(fmt::format("mtu {} exceeds the device's {}", req->mtu(), i->device->info().mtu));
        i->mtu = req->mtu();
      }
      if (req->has_up()) i->up = req->up();
      *out = to_pb(*i);
      c_.changes.add(ChangeLog::Topic::kLink, pb::EVENT_CHANGED, i->name, watch_view(*out));
      return Status::OK;
    });
  }

  Status Watch(ServerContext* ctx, const pb::WatchRequest* req, grpc::ServerWriter<pb::LinkEvent>* w) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "link watch"); !s.ok()) return s;
    return watch_snapshots<pb::Link>(
        c_, ctx, req->initial(), w, ChangeLog::Topic::kLink,
        [](stack::Stack& s, Instant) {
          std::map<std::string, pb::Link> m;
          for (const auto& i : s.interfaces())
            if (i) m[i->name] = watch_view(to_pb(*i));  // counters move all the time: not an event
          return m;
        },
        [](pb::LinkEvent& e, const pb::Link& l) { *e.mutable_link() = l; });
  }

 private:
  ServiceContext& c_;
};

class AddressesService final : public pb::Addresses::Service {
 public:
  explicit AddressesService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListAddressesRequest* req, pb::ListAddressesResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "addr list"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      for (const auto& i : s.interfaces()) {
        if (!i || (!req->dev().empty() && i->name != req->dev())) continue;
        for (auto& a : addresses_of(*i, req->family())) *out->add_addresses() = std::move(a);
      }
      return Status::OK;
    });
  }

  Status Create(ServerContext* ctx, const pb::Address* req, pb::Address* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "addr add"); !s.ok()) return s;
    auto p = IpPrefix::parse(req->prefix());
    if (!p || p->addr.is_unspecified() || (p->addr.is_v6() && p->addr.v6().is_multicast()))
      return invalid(fmt::format("\"{}\" is not a unicast prefix (10.0.0.2/24, 2001:db8::2/64)", req->prefix()));
    return on_worker(c_, [&](stack::Stack& s, Instant now) {
      l2::Interface* i = iface_by_name(s, req->dev());
      if (i == nullptr) return not_found(fmt::format("no link \"{}\"", req->dev()));
      for (const auto& a : addresses_of(*i, 0))
        if (IpPrefix::parse(a.prefix())->addr == p->addr)
          return Status(StatusCode::ALREADY_EXISTS, fmt::format("{} is already on {}", a.prefix(), i->name));
      if (p->addr.is_v6() && !i->ipv6)
        return Status(StatusCode::FAILED_PRECONDITION, fmt::format("IPv6 is off on {} (ipv6 = false or mtu < 1280)", i->name));
      i->addrs.push_back(*p);
      if (p->addr.is_v4() || !p->addr.v6().is_link_local()) s.fib().add_connected(*p, i->index);
      if (p->addr.is_v6()) {
        // TENTATIVE, joins its solicited-node group; RFC 4862 §5.4: duplicate
        // address detection before use (started now if the link is up, else
        // when it comes up).
        l2::ipv6_setup_addresses(*i);
        if (i->up) s.link().interface_up(*i, now);
      }
      *out = *req;
      return Status::OK;
    });
  }

  Status Delete(ServerContext* ctx, const pb::Address* req, pb::Empty*) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "addr del"); !s.ok()) return s;
    auto p = IpPrefix::parse(req->prefix());
    if (!p) return invalid(fmt::format("\"{}\" is not a prefix", req->prefix()));
    return on_worker(c_, [&](stack::Stack& s, Instant now) {
      l2::Interface* i = iface_by_name(s, req->dev());
      if (i == nullptr) return not_found(fmt::format("no link \"{}\"", req->dev()));
      // Running IPv6 addresses (the derived link-local one is not in i->addrs).
      size_t removed6 = 0;
      if (p->addr.is_v6()) {
        removed6 = std::erase_if(i->addrs6, [&](const l2::Ipv6IfAddr& a) { return IpAddr(a.addr) == p->addr; });
        if (removed6 > 0) s.link().ipv6_addresses_changed(*i, now);  // MLD: the group left
        if (p->addr.v6().is_link_local()) {
          std::erase_if(i->addrs, [&](const IpPrefix& a) { return a.addr == p->addr; });
          if (removed6 > 0) return Status::OK;
        }
      }
      for (auto it = i->addrs.begin(); it != i->addrs.end(); ++it) {
        if (it->addr != p->addr) continue;
        const IpPrefix net = it->network();
        i->addrs.erase(it);
        // The connected route goes with the address (unless another address keeps the subnet).
        bool still = false;
        for (const auto& a : i->addrs) still |= a.network() == net;
        const ip::Route* r = s.fib().find(net);
        if (!still && r != nullptr && r->connected && r->ifindex == i->index) s.fib().remove(net, r->metric);
        return Status::OK;
      }
      if (removed6 > 0) return Status::OK;
      return not_found(fmt::format("{} is not on {}", req->prefix(), i->name));
    });
  }

 private:
  ServiceContext& c_;
};

class RoutesService final : public pb::Routes::Service {
 public:
  explicit RoutesService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListRoutesRequest* req, pb::ListRoutesResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "route list"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      for (const auto& r : s.fib().list())
        if (in_family(req->family(), r.dst.addr)) *out->add_routes() = to_pb(s, r);
      return Status::OK;
    });
  }

  Status Create(ServerContext* ctx, const pb::Route* req, pb::Route* out) override {
    return change(ctx, *req, out, false);
  }
  Status Replace(ServerContext* ctx, const pb::Route* req, pb::Route* out) override {
    return change(ctx, *req, out, true);
  }

  Status Delete(ServerContext* ctx, const pb::DeleteRouteRequest* req, pb::Empty*) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "route del"); !s.ok()) return s;
    auto dst = parse_dst(req->dst());
    if (!dst) return invalid(fmt::format("\"{}\" is not a prefix", req->dst()));
    std::optional<uint32_t> metric;
    if (req->has_metric()) metric = req->metric();
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      // The route that goes (for Watch): this metric's, else the best one.
      std::optional<pb::Route> gone;
      if (metric) {
        for (const auto& r : s.fib().list())
          if (r.dst == *dst && r.metric == *metric) gone = to_pb(s, r);
      } else if (const ip::Route* r = s.fib().find(*dst)) {
        gone = to_pb(s, *r);
      }
      if (s.fib().remove(*dst, metric) != ip::FibStatus::kOk)
        return not_found(fmt::format("no route to {}{}", dst->to_string(),
                                     metric ? fmt::format(" metric {}", *metric) : ""));
      if (gone) c_.changes.add(ChangeLog::Topic::kRoute, pb::EVENT_REMOVED, watch_key(*gone), *gone);
      return Status::OK;
    });
  }

  Status Watch(ServerContext* ctx, const pb::WatchRequest* req, grpc::ServerWriter<pb::RouteEvent>* w) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "route watch"); !s.ok()) return s;
    return watch_snapshots<pb::Route>(
        c_, ctx, req->initial(), w, ChangeLog::Topic::kRoute,
        [](stack::Stack& s, Instant) {
          std::map<std::string, pb::Route> m;
          for (const auto& r : s.fib().list()) {
            pb::Route o = to_pb(s, r);
            m[watch_key(o)] = o;
          }
          return m;
        },
        [](pb::RouteEvent& e, const pb::Route& r) { *e.mutable_route() = r; });
  }

 private:
  static std::optional<IpPrefix> parse_dst(const std::string& t) {
    if (t == "default") return IpPrefix{Ipv4Addr::any(), 0};
    if (auto p = IpPrefix::parse(t)) return p->network();
    if (auto a = IpAddr::parse(t)) return IpPrefix{*a, static_cast<uint8_t>(a->max_prefix())};
    return std::nullopt;
  }

  Status change(ServerContext* ctx, const pb::Route& req, pb::Route* out, bool replace) {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, replace ? "route replace" : "route add"); !s.ok())
      return s;
    auto dst = parse_dst(req.dst());
    if (!dst) return invalid(fmt::format("\"{}\" is not a prefix", req.dst()));
    std::optional<IpAddr> via;
    if (!req.via().empty()) {
      via = IpAddr::parse(req.via());
      if (!via || via->is_v4() != dst->addr.is_v4())
        return invalid(fmt::format("via \"{}\" is not an IPv{} address", req.via(), dst->addr.is_v4() ? 4 : 6));
      if (via->is_v6() && via->v6().is_link_local() && req.dev().empty())
        return invalid(fmt::format("via {} is link-local: name the device (dev IF)", req.via()));
    }
    if (!via && req.dev().empty()) return invalid("a route needs `via GATEWAY` or `dev IF` (or both)");
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      ip::Route r{*dst, via, 0, req.metric(), req.mtu(), false};
      if (!req.dev().empty()) {
        r.ifindex = ifindex_of(s, req.dev());
        if (r.ifindex == 0) return not_found(fmt::format("no link \"{}\"", req.dev()));
      } else {
        // As `ip route add ... via GW`: the gateway's route names the device.
        const ip::Route* gw = s.fib().lookup(*via);
        if (gw == nullptr || gw->gateway)
          return Status(StatusCode::FAILED_PRECONDITION,
                        fmt::format("gateway {} is not on a connected network", via->to_string()));
        r.ifindex = gw->ifindex;
      }
      auto st = replace ? s.fib().replace(r) : s.fib().add(r);
      if (st == ip::FibStatus::kExists)
        return Status(StatusCode::ALREADY_EXISTS,
                      fmt::format("route to {} metric {} exists (use replace)", dst->to_string(), r.metric));
      if (st != ip::FibStatus::kOk) return invalid("the FIB refused the route");
      *out = to_pb(s, r);
      c_.changes.add(ChangeLog::Topic::kRoute, replace ? pb::EVENT_CHANGED : pb::EVENT_ADDED, watch_key(*out), *out);
      return Status::OK;
    });
  }

  ServiceContext& c_;
};

class NeighboursService final : public pb::Neighbours::Service {
 public:
  explicit NeighboursService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListNeighboursRequest* req, pb::ListNeighboursResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "neigh list"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      const uint16_t only = req->dev().empty() ? 0 : ifindex_of(s, req->dev());
      s.link().neighbours().for_each([&](const l2::NeighInfo& n) {
        if ((only == 0 || n.ifindex == only) && in_family(req->family(), n.addr)) *out->add_neighbours() = to_pb(s, n);
      });
      return Status::OK;
    });
  }

  Status Create(ServerContext* ctx, const pb::Neighbour* req, pb::Neighbour* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "neigh add"); !s.ok()) return s;
    auto addr = IpAddr::parse(req->addr());
    auto mac = MacAddr::parse(req->lladdr());
    if (!addr) return invalid(fmt::format("\"{}\" is not an address", req->addr()));
    if (!mac) return invalid(fmt::format("lladdr \"{}\" is not a MAC address", req->lladdr()));
    return on_worker(c_, [&](stack::Stack& s, Instant now) {
      l2::Interface* i = iface_by_name(s, req->dev());
      if (i == nullptr) return not_found(fmt::format("no link \"{}\"", req->dev()));
      if (auto drop = s.link().add_static(*i, *addr, *mac, now))
        return Status(StatusCode::RESOURCE_EXHAUSTED, "the neighbour cache is full");
      if (auto n = s.link().neighbours().find(i->index, *addr)) *out = to_pb(s, *n);
      c_.changes.add(ChangeLog::Topic::kNeigh, pb::EVENT_ADDED, watch_key(*out), watch_view(*out));
      return Status::OK;
    });
  }

  Status Delete(ServerContext* ctx, const pb::DeleteNeighbourRequest* req, pb::Empty*) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "neigh del"); !s.ok()) return s;
    auto addr = IpAddr::parse(req->addr());
    if (!addr) return invalid(fmt::format("\"{}\" is not an address", req->addr()));
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      const uint16_t idx = ifindex_of(s, req->dev());
      if (idx == 0) return not_found(fmt::format("no link \"{}\"", req->dev()));
      auto n = s.link().neighbours().find(idx, *addr);
      if (!n || !s.link().neighbours().remove(idx, *addr))
        return not_found(fmt::format("no neighbour {} on {}", req->addr(), req->dev()));
      pb::Neighbour gone = watch_view(to_pb(s, *n));
      c_.changes.add(ChangeLog::Topic::kNeigh, pb::EVENT_REMOVED, watch_key(gone), gone);
      return Status::OK;
    });
  }

  Status Flush(ServerContext* ctx, const pb::FlushNeighboursRequest* req, pb::FlushNeighboursResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "neigh flush"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      const uint16_t only = req->dev().empty() ? 0 : ifindex_of(s, req->dev());
      if (!req->dev().empty() && only == 0) return not_found(fmt::format("no link \"{}\"", req->dev()));
      std::vector<l2::NeighInfo> victims;  // collect first: removing while iterating is not allowed
      s.link().neighbours().for_each([&](const l2::NeighInfo& n) {
        if ((only == 0 || n.ifindex == only) &&
            (req->include_permanent() || n.state != l2::NeighState::kPermanent))
          victims.push_back(n);
      });
      for (const auto& n : victims) {
        s.link().neighbours().remove(n.ifindex, n.addr);
        pb::Neighbour gone = watch_view(to_pb(s, n));
        c_.changes.add(ChangeLog::Topic::kNeigh, pb::EVENT_REMOVED, watch_key(gone), gone);
      }
      out->set_flushed(static_cast<uint32_t>(victims.size()));
      return Status::OK;
    });
  }

  Status Watch(ServerContext* ctx, const pb::WatchRequest* req, grpc::ServerWriter<pb::NeighbourEvent>* w) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "neigh watch"); !s.ok()) return s;
    return watch_snapshots<pb::Neighbour>(
        c_, ctx, req->initial(), w, ChangeLog::Topic::kNeigh,
        [](stack::Stack& s, Instant) {
          std::map<std::string, pb::Neighbour> m;
          s.link().neighbours().for_each([&](const l2::NeighInfo& n) {
            pb::Neighbour o = watch_view(to_pb(s, n));
            m[watch_key(o)] = o;
          });
          return m;
        },
        [](pb::NeighbourEvent& e, const pb::Neighbour& n) { *e.mutable_neighbour() = n; });
  }

 private:
  ServiceContext& c_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_links_service(ServiceContext& c) { return std::make_unique<LinksService>(c); }
std::unique_ptr<grpc::Service> make_addresses_service(ServiceContext& c) {
  return std::make_unique<AddressesService>(c);
}
std::unique_ptr<grpc::Service> make_routes_service(ServiceContext& c) { return std::make_unique<RoutesService>(c); }
std::unique_ptr<grpc::Service> make_neighbours_service(ServiceContext& c) {
  return std::make_unique<NeighboursService>(c);
}

}  // namespace stackd::control
