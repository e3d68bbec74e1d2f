// Configuration reload: SIGHUP (the runtime calls StackWorker::reload) and
// the control plane's Config.Reload RPC (its handler on the worker's thread
// calls StackWorker::reload_config(now) for the ReloadResult) reach the
// same function, on the dataplane worker's thread between polls:
//
//   ReloadContext ctx{path, running_config, stack, notifier};   // once, in main
//   ReloadResult r = reload(ctx, now);   // re-read ctx.path, diff, apply
//   r.ok                 false: the file is invalid (r.errors, each
//                        "file:line:col: key: ..."); nothing changed and the
//                        old configuration keeps running
//   r.applied            what changed ("route 10.9.0.0/16 via 10.0.0.1 added")
//   r.failed             valid changes the stack refused (port in use,
//                        no interface for a route); the rest still applied
//   r.restart_required   changes that only take effect at the next start
//                        (the interface set, names, back-ends, MACs, MTUs,
//                        IPv6 addresses, UMEM size, TCP settings); left as
//                        they run now
//
// Applied at run time, without touching established connections: routes
// (FIB replace/remove by prefix and metric), static neighbours, services
// (listeners and UDP sockets start/stop; connections a stopped TCP listener
// accepted are served to their end), an interface's IPv4 addresses (the
// device's steering first, then the stack: connected routes, gratuitous
// ARP; connections on a removed address time out), [daemon] log_level and
// busy_poll_us.
// ctx.running becomes the new file's configuration, except for the parts
// that need a restart, which keep their running values. Everything is
// logged; with a notifier, RELOADING=1 precedes and READY=1 (with STATUS
// saying how it went) follows, valid or not (systemd: the service is up).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/config.h"
#include "base/time.h"

namespace stackd::stack {
class Stack;
}

namespace stackd::app {

class Notifier;

struct ReloadContext {
  std::string path;               // the file stackd was started with
  Config running;                 // what runs now; updated by a reload
  stack::Stack& stack;
  Notifier* notifier = nullptr;   // null when not under a service manager
  // Called with the new [daemon] busy_poll_us when it changes (Runtime).
  std::function<void(uint32_t busy_poll_us)> set_busy_poll;
  // Tell the interface's device its new IPv4 addresses (AF_XDP: the XDP
  // program's steering map); "" or the error. Null: nothing to tell.
  std::function<std::string(const std::string& ifname, const std::vector<IpPrefix>& v4)>
      set_device_addresses;
};

struct ReloadResult {
  bool ok = false;
  std::vector<ConfigError> errors;
  std::vector<std::string> applied;
  std::vector<std::string> failed;
  std::vector<std::string> restart_required;
  // One line for logs, STATUS= and the RPC: "reloaded: 2 change(s), ..."
  std::string summary() const;
};

// What differs between two valid configurations, as the reload applies it.
struct ConfigDiff {
  std::vector<stack::RouteConfig> routes_removed, routes_added;
  std::vector<stack::NeighbourConfig> neighbours_removed, neighbours_added;
  std::vector<stack::ServiceConfig> services_removed, services_added;
  // Interfaces whose IPv4 addresses change (and nothing else that needs a
  // restart): name and the new IPv4 list.
  std::vector<std::pair<std::string, std::vector<IpPrefix>>> addresses;
  std::vector<std::string> restart_required;  // "interface set", "interface[0].mtu (1500 -> 9000)", ...
  bool log_level = false, busy_poll = false;
  bool empty() const;
};
ConfigDiff diff_config(const Config& running, const Config& next);

// Re-read ctx.path and apply it (see above).
ReloadResult reload(ReloadContext& ctx, Instant now);

// Apply a parsed, valid configuration (reload() after parsing; the RPC may
// call it with a configuration it got in the request).
ReloadResult apply_config(ReloadContext& ctx, const Config& next, Instant now);

}  // namespace stackd::app
