#include "app/reload.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "app/log.h"
#include "app/notify.h"
#include "stack/stack.h"

namespace stackd::app {

namespace {

std::string describe(const stack::RouteConfig& r) {
  std::string s = "route " + r.dst.to_string();
  if (r.via) s += " via " + r.via->to_string();
  if (!r.dev.empty()) s += " dev " + r.dev;
  if (r.metric != 0) s += fmt::format(" metric {}", r.metric);
  if (r.mtu != 0) s += fmt::format(" mtu {}", r.mtu);
  return s;
}

std::string describe(const stack::NeighbourConfig& n) {
  return fmt::format("neighbour {} lladdr {} dev {}", n.addr.to_string(), n.mac.to_string(), n.dev);
}

std::string describe(const stack::ServiceConfig& s) {
  static constexpr const char* kKinds[] = {"echo", "discard", "chargen"};
  std::string out = fmt::format("service {} {} port {}", kKinds[static_cast<int>(s.kind)],
                                s.proto == stack::ServiceProto::kUdp ? "udp" : "tcp", s.port);
  if (s.addr) out += " address " + s.addr->to_string();
  return out;
}

// Entries of `a` that `b` does not have (config lists are short: the
// quadratic scan is fine and keeps the files' order).
template <class T>
std::vector<T> missing_from(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
  return out;
}

std::vector<IpPrefix> family(const std::vector<IpPrefix>& list, bool v4) {
  std::vector<IpPrefix> out;
  for (const auto& p : list)
    if (p.addr.is_v4() == v4) out.push_back(p);
  return out;
}

void interfaces_diff(const std::vector<stack::InterfaceConfig>& a, const std::vector<stack::InterfaceConfig>& b,
                     ConfigDiff& d) {
  auto& out = d.restart_required;
  if (a.size() != b.size()) {
    out.push_back(fmt::format("interface set ({} -> {} interfaces)", a.size(), b.size()));
    return;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    std::string p = fmt::format("interface[{}]", i);
    if (x.name != y.name) {
      out.push_back(fmt::format("{}.name ({} -> {})", p, x.name, y.name));
      continue;
    }
    if (x.backend != y.backend) out.push_back(p + ".backend");
    if (x.mac != y.mac) out.push_back(p + ".mac");
    if (x.mtu != y.mtu) out.push_back(fmt::format("{}.mtu ({} -> {})", p, x.mtu, y.mtu));
    if (family(x.addrs, false) != family(y.addrs, false)) out.push_back(p + ".addresses (IPv6)");
    if (family(x.addrs, true) != family(y.addrs, true)) d.addresses.emplace_back(y.name, family(y.addrs, true));
  }
}

}  // namespace

bool ConfigDiff::empty() const {
  return routes_removed.empty() && routes_added.empty() && neighbours_removed.empty() &&
         neighbours_added.empty() && services_removed.empty() && services_added.empty() &&
         addresses.empty() && restart_required.empty() && !log_level && !busy_poll;
}

ConfigDiff diff_config(const Config& running, const Config& next) {
  ConfigDiff d;
  const auto& a = running.stack;
  const auto& b = next.stack;
  d.routes_removed = missing_from(a.routes, b.routes);
  d.routes_added = missing_from(b.routes, a.routes);
  d.neighbours_removed = missing_from(a.neighbours, b.neighbours);
  d.neighbours_added = missing_from(b.neighbours, a.neighbours);
  d.services_removed = missing_from(a.services, b.services);
  d.services_added = missing_from(b.services, a.services);
  interfaces_diff(a.interfaces, b.interfaces, d);
  if (a.tcp.congestion != b.tcp.congestion) d.restart_required.push_back("tcp.congestion");
  if (running.daemon.umem_frames != next.daemon.umem_frames) d.restart_required.push_back("daemon.umem_frames");
  d.log_level = running.daemon.log_level != next.daemon.log_level;
  d.busy_poll = running.daemon.busy_poll_us != next.daemon.busy_poll_us;
  return d;
}

std::string ReloadResult::summary() const {
  if (!ok) return fmt::format("reload failed: {} error(s) in the configuration; running configuration kept", errors.size());
  std::string s = fmt::format("reloaded: {} change(s) applied", applied.size());
  if (!failed.empty()) s += fmt::format(", {} failed", failed.size());
  if (!restart_required.empty()) s += fmt::format(", {} need a restart", restart_required.size());
  return s;
}

ReloadResult apply_config(ReloadContext& ctx, const Config& next, Instant now) {
  ReloadResult res;
  res.ok = true;
  ConfigDiff d = diff_config(ctx.running, next);
  stack::Stack& st = ctx.stack;
  auto done = [&](bool ok, std::string what) { (ok ? res.applied : res.failed).push_back(std::move(what)); };

  // Removals first: a changed entry is a removal plus an addition, and the
  // addition may reuse the same key (prefix and metric, port).
  for (const auto& s : d.services_removed) done(st.stop_service(s, now), describe(s) + " stopped");
  for (const auto& n : d.neighbours_removed) done(st.remove_neighbour(n), describe(n) + " deleted");
  for (const auto& r : d.routes_removed) done(st.remove_route(r), describe(r) + " deleted");
  // Addresses before the new routes: a gateway may lie in a new subnet.
  for (const auto& [name, v4] : d.addresses) {
    std::string what = fmt::format("interface {} IPv4 addresses {}", name, format_addrs(v4));
    std::string err = ctx.set_device_addresses ? ctx.set_device_addresses(name, v4) : std::string();
    if (!err.empty())
      res.failed.push_back(fmt::format("{}: {}", what, err));
    else
      done(st.set_ipv4_addresses(name, v4, now), what);
  }
  for (const auto& r : d.routes_added) done(st.add_route(r), describe(r) + " added");
  for (const auto& n : d.neighbours_added) done(st.add_neighbour(n, now), describe(n) + " added");
  for (const auto& s : d.services_added) {
    int r = st.start_service(s);
    if (r == 0)
      res.applied.push_back(describe(s) + " started");
    else
      res.failed.push_back(fmt::format("{}: {}", describe(s), std::strerror(-r)));
  }
  if (d.log_level) {
    log::set_level(next.daemon.log_level);
    res.applied.push_back(fmt::format("log_level {}", log_level_name(next.daemon.log_level)));
  }
  if (d.busy_poll && ctx.set_busy_poll) {
    ctx.set_busy_poll(next.daemon.busy_poll_us);
    res.applied.push_back(fmt::format("busy_poll_us {}", next.daemon.busy_poll_us));
  }
  res.restart_required = d.restart_required;

  // What runs now: the new file, except the parts that wait for a restart;
  // and the stack's lists as the stack reports them (an entry that failed
  // to apply is not running).
  Config running = next;
  running.stack.interfaces = st.config().interfaces;  // the running ones, with applied addresses
  running.stack.tcp = ctx.running.stack.tcp;
  running.daemon.umem_frames = ctx.running.daemon.umem_frames;
  running.stack.routes = st.config().routes;
  running.stack.neighbours = st.config().neighbours;
  running.stack.services = st.config().services;
  if (!ctx.set_busy_poll) running.daemon.busy_poll_us = ctx.running.daemon.busy_poll_us;
  ctx.running = std::move(running);
  return res;
}

ReloadResult reload(ReloadContext& ctx, Instant now) {
  if (ctx.notifier != nullptr) ctx.notifier->reloading(now);
  log::info("reloading configuration from {}", ctx.path);
  ReloadResult res;
  ConfigResult parsed = load_config(ctx.path);
  if (!parsed.ok()) {
    res.errors = std::move(parsed.errors);
    for (const auto& e : res.errors) {
      std::string line = std::to_string(e.line);
      log::error({{"STACKD_CONFIG_FILE", e.file}, {"STACKD_CONFIG_LINE", line}}, "reload: {}", e.to_string());
    }
  } else {
    res = apply_config(ctx, parsed.config, now);
    for (const auto& a : res.applied) log::info("reload: {}", a);
    for (const auto& f : res.failed) log::error("reload: not applied: {}", f);
    for (const auto& r : res.restart_required)
      log::warn("reload: {} changed: takes effect at the next restart; running value kept", r);
  }
  std::string summary = res.summary();
  if (res.ok)
    log::info("{}", summary);
  else
    log::error("{}", summary);
  if (ctx.notifier != nullptr) ctx.notifier->ready(summary);
  return res;
}

}  // namespace stackd::app
