// TOML → Config. Every table is walked key by key: known keys are checked
// for type and range, unknown keys are errors, and missing required keys
// are reported at their table. Cross-references (route → interface, ...)
// are checked once everything is read. All errors are collected.
#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <sstream>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "transport/tcp/congestion.h"

namespace stackd::app {

std::optional<LogLevel> parse_log_level(std::string_view s) {
  if (s == "error") return LogLevel::kError;
  if (s == "warn") return LogLevel::kWarn;
  if (s == "info") return LogLevel::kInfo;
  if (s == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

std::optional<std::pair<IpAddr, uint16_t>> loopback_endpoint(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  auto a = IpAddr::parse(host);
  unsigned n = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (!a || ec != std::errc{} || end != port.data() + port.size() || n == 0 || n > 65535) return std::nullopt;
  const bool loopback = a->is_v4() ? a->v4().is_loopback() : a->v6().is_loopback();
  if (!loopback) return std::nullopt;
  return std::pair{*a, static_cast<uint16_t>(n)};
}

std::string format_addrs(const std::vector<IpPrefix>& addrs) {
  std::string out;
  for (const auto& a : addrs) {
    if (!out.empty()) out += ',';
    out += a.to_string();
  }
  return out.empty() ? "none" : out;
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line != 0) {
    out += fmt::format(":{}", line);
    if (column != 0) out += fmt::format(":{}", column);
  }
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

namespace {

struct Pos {
  uint32_t line = 0, column = 0;
};

Pos pos_of(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Where each parsed entry came from, for cross-checks after parsing.
struct Entry {
  Pos pos;  // the entry's table
  bool clean = true;  // no error inside it: take part in duplicate checks
  std::map<std::string, Pos, std::less<>> keys;
  Pos at(std::string_view key) const {
    auto it = keys.find(key);
    return it == keys.end() ? pos : it->second;
  }
};

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  ConfigResult run(std::string_view text) {
    ConfigResult res;
    toml::table root;
    try {
      root = toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      error(pos_of(e.source()), "", std::string(e.description()));
      res.errors = std::move(errs_);
      return res;
    }
    cfg_ = &res.config;
    for (auto&& [k, v] : root) {
      std::string key(k.str());
      Pos p = pos_of(k.source());
      if (key == "daemon") {
        if (auto* t = v.as_table()) daemon(*t);
        else error(p, key, fmt::format("expected a table ([daemon]), got {}", type_name(v.type())));
      } else if (key == "interface") {
        each_table(v, key, p, [&](const toml::table& t, const std::string& path) { interface(t, path); });
      } else if (key == "route") {
        each_table(v, key, p, [&](const toml::table& t, const std::string& path) { route(t, path); });
      } else if (key == "neighbour") {
        each_table(v, key, p, [&](const toml::table& t, const std::string& path) { neighbour(t, path); });
      } else if (key == "service") {
        each_table(v, key, p, [&](const toml::table& t, const std::string& path) { service(t, path); });
      } else if (key == "control") {
        if (auto* t = v.as_table()) control(*t);
        else error(p, key, fmt::format("expected a table ([control]), got {}", type_name(v.type())));
      } else if (key == "tcp") {
        if (auto* t = v.as_table()) tcp_table(*t);
        else error(p, key, fmt::format("expected a table ([tcp]), got {}", type_name(v.type())));
      } else if (key == "attach") {
        if (auto* t = v.as_table()) attach_table(*t);
        else error(p, key, fmt::format("expected a table ([attach]), got {}", type_name(v.type())));
      } else {
        unknown(p, "", key, {"daemon", "control", "interface", "route", "neighbour", "service", "tcp", "attach"});
      }
    }
    if (cfg_->stack.interfaces.empty() && ifaces_.empty())
      error({1, 1}, "interface", "at least one [[interface]] is required");
    cross_check();
    std::stable_sort(errs_.begin(), errs_.end(), [](const ConfigError& a, const ConfigError& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    res.errors = std::move(errs_);
    return res;
  }

 private:
  void error(Pos p, std::string key, std::string msg) {
    errs_.push_back({file_, p.line, p.column, std::move(key), std::move(msg)});
  }

  void unknown(Pos p, const std::string& path, const std::string& key,
               std::initializer_list<std::string_view> known) {
    error(p, path.empty() ? key : path + "." + key,
          fmt::format("unknown key (expected one of: {})", join(known)));
  }

  template <class F>
  void each_table(const toml::node& v, const std::string& key, Pos p, F&& f) {
    const auto* arr = v.as_array();
    if (arr == nullptr) {
      error(p, key, fmt::format("expected an array of tables ([[{}]]), got {}", key, type_name(v.type())));
      return;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string path = fmt::format("{}[{}]", key, i);
      const auto* t = (*arr)[i].as_table();
      if (t == nullptr) {
        error(pos_of((*arr)[i].source()), path,
              fmt::format("expected a table, got {}", type_name((*arr)[i].type())));
        continue;
      }
      f(*t, path);
    }
  }

  // ---- typed values ----
  std::optional<std::string> str(const toml::node& v, Pos p, const std::string& path) {
    if (const auto* s = v.as_string()) return s->get();
    error(p, path, fmt::format("expected a string, got {}", type_name(v.type())));
    return std::nullopt;
  }

  std::optional<int64_t> integer(const toml::node& v, Pos p, const std::string& path, int64_t lo,
                                 int64_t hi) {
    if (const auto* i = v.as_integer()) {
      if (i->get() >= lo && i->get() <= hi) return i->get();
      error(p, path, fmt::format("expected an integer in {}..{}, got {}", lo, hi, i->get()));
    } else {
      error(p, path, fmt::format("expected an integer in {}..{}, got {}", lo, hi, type_name(v.type())));
    }
    return std::nullopt;
  }

  std::optional<IpAddr> ip(const toml::node& v, Pos p, const std::string& path) {
    auto s = str(v, p, path);
    if (!s) return std::nullopt;
    if (auto a = IpAddr::parse(*s)) return a;
    error(p, path, fmt::format("expected an IPv4 or IPv6 address, got \"{}\"", *s));
    return std::nullopt;
  }

  std::optional<MacAddr> mac(const toml::node& v, Pos p, const std::string& path) {
    auto s = str(v, p, path);
    if (!s) return std::nullopt;
    auto m = MacAddr::parse(*s);
    if (!m) {
      error(p, path, fmt::format("expected a MAC address like 02:00:00:00:00:01, got \"{}\"", *s));
    } else if (!m->is_unicast() || m->is_zero()) {
      error(p, path, fmt::format("expected a unicast, non-zero MAC address, got \"{}\"", *s));
      m.reset();
    }
    return m;
  }

  // An interface address: "10.0.0.2/24"; the prefix length is required.
  std::optional<IpPrefix> iface_addr(const toml::node& v, Pos p, const std::string& path) {
    auto s = str(v, p, path);
    if (!s) return std::nullopt;
    auto pre = IpPrefix::parse(*s);
    if (!pre || s->find('/') == std::string::npos) {
      error(p, path, fmt::format("expected an address with prefix length like 10.0.0.2/24, got \"{}\"", *s));
      return std::nullopt;
    }
    if (pre->addr.is_unspecified() || pre->addr.is_multicast() ||
        (pre->addr.is_v4() && (pre->addr.v4().is_loopback() || pre->addr.v4().is_broadcast())) ||
        (pre->addr.is_v6() && (pre->addr.v6().is_loopback() || pre->addr.v6().is_v4_mapped()))) {
      error(p, path, fmt::format("expected a unicast address, got \"{}\"", *s));
      return std::nullopt;
    }
    return pre;
  }

  // A congestion control name the TCP layer knows (Linux TCP_CONGESTION /
  // tcp_available_congestion_control).
  std::optional<std::string> congestion(const toml::node& v, Pos p, const std::string& path) {
    auto s = str(v, p, path);
    if (!s) return std::nullopt;
    const auto avail = tcp::available_congestion_controls();
    if (std::find(avail.begin(), avail.end(), *s) != avail.end()) return s;
    std::string names;
    for (auto n : avail) names += fmt::format("{}{}", names.empty() ? "" : ", ", n);
    error(p, path, fmt::format("expected one of {}, got \"{}\"", names, *s));
    return std::nullopt;
  }

  // ---- tables ----
  // [attach]: the client attach socket and its admission (daemon/ipc).
  void attach_table(const toml::table& t) {
    auto& a = cfg_->attach;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), path = "attach." + key;
      Pos p = pos_of(k.source());
      if (key == "enabled") {
        if (const auto* b = v.as_boolean()) a.enabled = b->get();
        else error(p, path, fmt::format("expected true or false, got {}", type_name(v.type())));
      } else if (key == "socket") {
        if (auto s = str(v, p, path)) {
          if (s->empty() || (*s)[0] != '/' || s->size() > 107)
            error(p, path, fmt::format("expected an absolute path of at most 107 bytes, got \"{}\"", *s));
          else
            a.socket = *s;
        }
      } else if (key == "group") {
        if (auto s = str(v, p, path)) a.group = *s;
      } else if (key == "mode") {
        // "0660" (octal, as chmod takes it) or an integer.
        if (const auto* s = v.as_string()) {
          const std::string& m = s->get();
          char* end = nullptr;
          const unsigned long mv = std::strtoul(m.c_str(), &end, 8);
          if (m.empty() || *end != '\0' || mv > 0777)
            error(p, path, fmt::format("expected an octal mode like \"0660\", got \"{}\"", m));
          else
            a.mode = static_cast<uint32_t>(mv);
        } else if (auto n = integer(v, p, path, 0, 0777)) {
          a.mode = static_cast<uint32_t>(*n);
        }
      } else if (key == "allow_uids" || key == "allow_gids" || key == "raw_uids" || key == "raw_gids") {
        auto& out = key == "allow_uids" ? a.allow_uids
                    : key == "allow_gids" ? a.allow_gids
                    : key == "raw_uids"   ? a.raw_uids
                                          : a.raw_gids;
        if (const auto* arr = v.as_array()) {
          for (size_t i = 0; i < arr->size(); ++i) {
            if (auto n = integer(*arr->get(i), p, fmt::format("{}[{}]", path, i), 0, 0xfffffffe))
              out.push_back(static_cast<uint32_t>(*n));
          }
        } else {
          error(p, path, fmt::format("expected an array of ids, got {}", type_name(v.type())));
        }
      } else if (key == "max_sockets") {
        if (auto n = integer(v, p, path, 1, ipc::kMaxSocketsPerClient)) a.max_sockets = static_cast<uint32_t>(*n);
      } else if (key == "max_channels") {
        if (auto n = integer(v, p, path, 1, ipc::kMaxChannels)) a.max_channels = static_cast<uint32_t>(*n);
      } else if (key == "ring_kib") {
        if (auto n = integer(v, p, path, ipc::kMinRingKib, ipc::kMaxRingKib)) {
          if ((*n & (*n - 1)) != 0)
            error(p, path, fmt::format("expected a power of two in {}..{}, got {}", ipc::kMinRingKib,
                                       ipc::kMaxRingKib, *n));
          else
            a.ring_kib = static_cast<uint32_t>(*n);
        }
      } else {
        unknown(p, "attach", key, {"enabled", "socket", "group", "mode", "allow_uids", "allow_gids",
                                   "raw_uids", "raw_gids", "max_sockets", "max_channels", "ring_kib"});
      }
    }
  }

  void tcp_table(const toml::table& t) {
    for (auto&& [k, v] : t) {
      std::string key(k.str()), path = "tcp." + key;
      Pos p = pos_of(k.source());
      if (key == "congestion") {
        if (auto s = congestion(v, p, path)) cfg_->stack.tcp.congestion = *s;
      } else {
        unknown(p, "tcp", key, {"congestion"});
      }
    }
  }

  // ---- [control] (the gRPC control plane)
  void control(const toml::table& t) {
    auto& c = cfg_->control;
    c.configured = true;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), path = "control." + key;
      Pos p = pos_of(k.source());
      if (key == "enabled") {
        if (auto* b = v.as_boolean()) c.enabled = b->get();
        else error(p, path, fmt::format("expected true or false, got {}", type_name(v.type())));
      } else if (key == "socket") {
        if (auto s = str(v, p, path)) {
          if (s->empty() || (*s)[0] != '/' || s->size() > 107)
            error(p, path, fmt::format("expected an absolute path of at most 107 bytes, got \"{}\"", *s));
          else
            c.socket = *s;
        }
      } else if (key == "group") {
        if (auto s = str(v, p, path)) c.group = *s;
      } else if (key == "admin_group") {
        if (auto s = str(v, p, path)) c.admin_group = *s;
      } else if (key == "tcp_port") {
        if (auto n = integer(v, p, path, 0, 65535)) c.tcp_port = static_cast<uint16_t>(*n);
      } else if (key == "metrics_listen") {
        if (auto s = str(v, p, path)) {
          if (loopback_endpoint(*s)) c.metrics_listen = *s;
          else
            error(p, path,
                  fmt::format("expected a loopback address and port like \"127.0.0.1:9464\" or \"[::1]:9464\", got \"{}\"", *s));
        }
      } else {
        unknown(p, "control", key, {"enabled", "socket", "group", "admin_group", "tcp_port", "metrics_listen"});
      }
    }
  }

  void daemon(const toml::table& t) {
    auto& d = cfg_->daemon;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), path = "daemon." + key;
      Pos p = pos_of(k.source());
      if (key == "log_level") {
        if (auto s = str(v, p, path)) {
          if (auto l = parse_log_level(*s)) d.log_level = *l;
          else error(p, path, fmt::format("expected one of error, warn, info, debug, got \"{}\"", *s));
        }
      } else if (key == "busy_poll_us") {
        if (auto n = integer(v, p, path, 0, kMaxBusyPollUs)) d.busy_poll_us = static_cast<uint32_t>(*n);
      } else if (key == "umem_frames") {
        if (auto n = integer(v, p, path, kMinUmemFrames, kMaxUmemFrames)) {
          if ((*n & (*n - 1)) != 0)
            error(p, path, fmt::format("expected a power of two in {}..{}, got {}", kMinUmemFrames,
                                       kMaxUmemFrames, *n));
          else
            d.umem_frames = static_cast<uint32_t>(*n);
        }
      } else {
        unknown(p, "daemon", key, {"log_level", "busy_poll_us", "umem_frames"});
      }
    }
  }

  void interface(const toml::table& t, const std::string& path) {
    stack::InterfaceConfig ic;
    Entry e{pos_of(t.source()), true, {}};
    const size_t errs_before = errs_.size();
    bool have_name = false;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), kp = path + "." + key;
      Pos p = pos_of(k.source());
      e.keys[key] = p;
      if (key == "name") {
        if (auto s = str(v, p, kp)) {
          if (s->empty() || s->size() > kMaxIfNameLen || s->find_first_of("/ \t\n:") != std::string::npos)
            error(p, kp, fmt::format("expected an interface name of 1..{} characters without '/', ':' or "
                                     "spaces, got \"{}\"", kMaxIfNameLen, *s));
          else
            ic.name = *s;
          have_name = true;
        } else {
          have_name = true;  // reported already; do not also say "missing"
        }
      } else if (key == "backend") {
        if (auto s = str(v, p, kp)) {
          if (*s == "auto") ic.backend = stack::Backend::kAuto;
          else if (*s == "af_xdp") ic.backend = stack::Backend::kAfXdp;
          else if (*s == "tap") ic.backend = stack::Backend::kTap;
          else error(p, kp, fmt::format("expected one of af_xdp, tap, auto, got \"{}\"", *s));
        }
      } else if (key == "mac") {
        ic.mac = mac(v, p, kp);
      } else if (key == "mtu") {
        if (auto n = integer(v, p, kp, kMinMtu, kMaxMtu)) ic.mtu = static_cast<uint32_t>(*n);
      } else if (key == "addresses") {
        const auto* arr = v.as_array();
        if (arr == nullptr) {
          error(p, kp, fmt::format("expected an array of addresses like [\"10.0.0.2/24\"], got {}",
                                   type_name(v.type())));
          continue;
        }
        for (size_t i = 0; i < arr->size(); ++i) {
          std::string ap = fmt::format("{}[{}]", kp, i);
          Pos epos = pos_of((*arr)[i].source());
          if (auto a = iface_addr((*arr)[i], epos, ap)) {
            ic.addrs.push_back(*a);
            addr_pos_.push_back({*a, epos, ap});
          }
        }
      } else if (key == "ipv6") {
        // RFC 4291: link-local address, ND and IPv6 input on this interface.
        if (auto b = v.as_boolean())
          ic.ipv6 = b->get();
        else
          error(p, kp, fmt::format("expected true or false, got {}", type_name(v.type())));
      } else if (key == "mld") {
        // RFC 3810: report our multicast groups (l2/mld.h).
        if (auto b = v.as_boolean())
          ic.mld = b->get();
        else
          error(p, kp, fmt::format("expected true or false, got {}", type_name(v.type())));
      } else if (key == "accept_ra") {
        // RFC 4861 §6.3.4: default route, on-link prefixes, MTU from routers.
        if (auto b = v.as_boolean())
          ic.accept_ra = b->get();
        else
          error(p, kp, fmt::format("expected true or false, got {}", type_name(v.type())));
      } else {
        unknown(p, path, key, {"name", "backend", "mac", "mtu", "addresses", "ipv6", "accept_ra", "mld"});
      }
    }
    if (!have_name) error(e.pos, path + ".name", "missing required key");
    cfg_->stack.interfaces.push_back(std::move(ic));
    e.clean = errs_.size() == errs_before;
    ifaces_.push_back(std::move(e));
  }

  void route(const toml::table& t, const std::string& path) {
    stack::RouteConfig rc;
    Entry e{pos_of(t.source()), true, {}};
    const size_t errs_before = errs_.size();
    bool have_to = false;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), kp = path + "." + key;
      Pos p = pos_of(k.source());
      e.keys[key] = p;
      if (key == "to") {
        have_to = true;
        auto s = str(v, p, kp);
        if (!s) continue;
        if (*s == "default") {
          rc.dst = IpPrefix{Ipv4Addr::any(), 0};
        } else if (auto pre = IpPrefix::parse(*s)) {
          if (!(pre->network() == *pre))
            error(p, kp, fmt::format("\"{}\" has host bits set; did you mean \"{}\"?", *s,
                                     pre->network().to_string()));
          rc.dst = *pre;
        } else {
          error(p, kp, fmt::format("expected a prefix like 10.1.0.0/16 or \"default\", got \"{}\"", *s));
        }
      } else if (key == "via") {
        rc.via = ip(v, p, kp);
        if (rc.via && (rc.via->is_unspecified() || rc.via->is_multicast())) {
          error(p, kp, fmt::format("expected a unicast gateway address, got \"{}\"", rc.via->to_string()));
          rc.via.reset();
        }
      } else if (key == "dev") {
        if (auto s = str(v, p, kp)) rc.dev = *s;
      } else if (key == "metric") {
        if (auto n = integer(v, p, kp, 0, UINT32_MAX)) rc.metric = static_cast<uint32_t>(*n);
      } else if (key == "mtu") {
        if (auto n = integer(v, p, kp, kMinMtu, kMaxMtu)) rc.mtu = static_cast<uint32_t>(*n);
      } else {
        unknown(p, path, key, {"to", "via", "dev", "metric", "mtu"});
      }
    }
    if (!have_to) error(e.pos, path + ".to", "missing required key");
    cfg_->stack.routes.push_back(std::move(rc));
    e.clean = errs_.size() == errs_before;
    routes_.push_back(std::move(e));
  }

  void neighbour(const toml::table& t, const std::string& path) {
    stack::NeighbourConfig nc;
    Entry e{pos_of(t.source()), true, {}};
    const size_t errs_before = errs_.size();
    for (auto&& [k, v] : t) {
      std::string key(k.str()), kp = path + "." + key;
      Pos p = pos_of(k.source());
      e.keys[key] = p;
      if (key == "address") {
        if (auto a = ip(v, p, kp)) nc.addr = *a;
      } else if (key == "mac") {
        if (auto m = mac(v, p, kp)) nc.mac = *m;
      } else if (key == "dev") {
        if (auto s = str(v, p, kp)) nc.dev = *s;
      } else {
        unknown(p, path, key, {"address", "mac", "dev"});
      }
    }
    for (const char* req : {"address", "mac", "dev"})
      if (!e.keys.contains(req)) error(e.pos, path + "." + req, "missing required key");
    cfg_->stack.neighbours.push_back(std::move(nc));
    e.clean = errs_.size() == errs_before;
    neighs_.push_back(std::move(e));
  }

  void service(const toml::table& t, const std::string& path) {
    stack::ServiceConfig sc;
    Entry e{pos_of(t.source()), true, {}};
    const size_t errs_before = errs_.size();
    bool have_port = false;
    for (auto&& [k, v] : t) {
      std::string key(k.str()), kp = path + "." + key;
      Pos p = pos_of(k.source());
      e.keys[key] = p;
      if (key == "kind") {
        if (auto s = str(v, p, kp)) {
          if (*s == "echo") sc.kind = stack::ServiceKind::kEcho;          // RFC 862
          else if (*s == "discard") sc.kind = stack::ServiceKind::kDiscard;  // RFC 863
          else if (*s == "chargen") sc.kind = stack::ServiceKind::kChargen;  // RFC 864 (tcp)
          else error(p, kp, fmt::format("expected one of echo, discard, chargen, got \"{}\"", *s));
        }
      } else if (key == "proto") {
        if (auto s = str(v, p, kp)) {
          if (*s == "udp") sc.proto = stack::ServiceProto::kUdp;
          else if (*s == "tcp") sc.proto = stack::ServiceProto::kTcp;
          else error(p, kp, fmt::format("expected \"udp\" or \"tcp\", got \"{}\"", *s));
        }
      } else if (key == "port") {
        have_port = true;
        if (auto n = integer(v, p, kp, 1, 65535)) sc.port = static_cast<uint16_t>(*n);
      } else if (key == "address") {
        sc.addr = ip(v, p, kp);
      } else if (key == "bytes") {  // chargen: how much to send before closing
        if (auto n = integer(v, p, kp, 0, INT64_MAX)) sc.bytes = static_cast<uint64_t>(*n);
      } else if (key == "congestion") {  // tcp: per-socket congestion control
        if (auto s = congestion(v, p, kp)) sc.congestion = *s;
      } else {
        unknown(p, path, key, {"kind", "proto", "port", "address", "bytes", "congestion"});
      }
    }
    if (!sc.congestion.empty() && sc.proto != stack::ServiceProto::kTcp)
      error(e.at("congestion"), path + ".congestion", "congestion applies to tcp services only");
    if (!e.keys.contains("kind")) error(e.pos, path + ".kind", "missing required key");
    if (sc.kind == stack::ServiceKind::kChargen && sc.proto != stack::ServiceProto::kTcp)
      error(e.pos, path + ".proto", "chargen is a tcp service (RFC 864 over UDP is not provided)");
    if (!have_port)
      sc.port = sc.kind == stack::ServiceKind::kDiscard ? 9 : sc.kind == stack::ServiceKind::kChargen ? 19 : 7;
    cfg_->stack.services.push_back(std::move(sc));
    e.clean = errs_.size() == errs_before;
    svcs_.push_back(std::move(e));
  }

  // ---- cross-checks ----
  const stack::InterfaceConfig* find_iface(std::string_view name) const {
    for (const auto& i : cfg_->stack.interfaces)
      if (!i.name.empty() && i.name == name) return &i;
    return nullptr;
  }

  void check_dev(const std::string& dev, Pos p, const std::string& kp) {
    if (find_iface(dev) == nullptr)
      error(p, kp, fmt::format("no [[interface]] named \"{}\"", dev));
  }

  void cross_check() {
    const auto& sc = cfg_->stack;
    for (size_t i = 0; i < sc.interfaces.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (!sc.interfaces[i].name.empty() && sc.interfaces[i].name == sc.interfaces[j].name)
          error(ifaces_[i].at("name"), fmt::format("interface[{}].name", i),
                fmt::format("duplicate interface \"{}\" (also interface[{}])", sc.interfaces[i].name, j));
      }
    }
    for (size_t i = 0; i < addr_pos_.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (addr_pos_[i].prefix.addr == addr_pos_[j].prefix.addr)
          error(addr_pos_[i].pos, addr_pos_[i].path,
                fmt::format("duplicate address {} (also {})", addr_pos_[i].prefix.addr.to_string(),
                            addr_pos_[j].path));
      }
    }
    for (size_t i = 0; i < sc.routes.size(); ++i) {
      const auto& r = sc.routes[i];
      const auto& e = routes_[i];
      std::string path = fmt::format("route[{}]", i);
      if (!r.dev.empty()) check_dev(r.dev, e.at("dev"), path + ".dev");
      if (r.via && e.keys.contains("to") && r.via->family() != r.dst.addr.family())
        error(e.at("via"), path + ".via",
              fmt::format("gateway {} is not in the same address family as {}", r.via->to_string(),
                          r.dst.to_string()));
      if (!r.via && !e.keys.contains("via") && r.dev.empty())
        error(e.pos, path, "an on-link route needs \"dev\" (or give \"via\")");
      if (r.via && r.dev.empty() && !on_link(*r.via, nullptr))
        error(e.at("via"), path + ".via",
              fmt::format("gateway {} is on no configured interface's subnet; add \"dev\"",
                          r.via->to_string()));
      for (size_t j = 0; j < i; ++j) {
        const auto& o = sc.routes[j];
        if (e.clean && routes_[j].clean && o.dst.network() == r.dst.network() &&
            o.metric == r.metric) {
          error(e.at("to"), path + ".to",
                fmt::format("duplicate route to {} metric {} (also route[{}])",
                            r.dst.network().to_string(), r.metric, j));
          break;
        }
      }
    }
    for (size_t i = 0; i < sc.neighbours.size(); ++i) {
      const auto& n = sc.neighbours[i];
      std::string path = fmt::format("neighbour[{}]", i);
      if (!n.dev.empty()) check_dev(n.dev, neighs_[i].at("dev"), path + ".dev");
      for (size_t j = 0; j < i; ++j) {
        const auto& o = sc.neighbours[j];
        if (neighs_[i].clean && neighs_[j].clean && o.addr == n.addr && o.dev == n.dev) {
          error(neighs_[i].at("address"), path + ".address",
                fmt::format("duplicate neighbour {} on {} (also neighbour[{}])", n.addr.to_string(),
                            n.dev, j));
          break;
        }
      }
    }
    for (size_t i = 0; i < sc.services.size(); ++i) {
      const auto& s = sc.services[i];
      std::string path = fmt::format("service[{}]", i);
      if (s.addr && !is_local(*s.addr))
        error(svcs_[i].at("address"), path + ".address",
              fmt::format("{} is not an address of any [[interface]]", s.addr->to_string()));
      for (size_t j = 0; j < i; ++j) {
        const auto& o = sc.services[j];
        bool overlap = !s.addr || !o.addr || *s.addr == *o.addr;
        if (svcs_[i].clean && svcs_[j].clean && o.proto == s.proto && o.port == s.port && overlap) {
          error(svcs_[i].at("port"), path + ".port",
                fmt::format("port {}/{} is already used by service[{}]", s.port,
                            s.proto == stack::ServiceProto::kTcp ? "tcp" : "udp", j));
          break;
        }
      }
    }
  }

  bool is_local(const IpAddr& a) const {
    for (const auto& ap : addr_pos_)
      if (ap.prefix.addr == a) return true;
    return false;
  }

  bool on_link(const IpAddr& a, const std::string* dev) const {
    for (const auto& i : cfg_->stack.interfaces) {
      if (dev != nullptr && i.name != *dev) continue;
      for (const auto& p : i.addrs)
        if (p.contains(a)) return true;
    }
    return false;
  }

  struct AddrPos {
    IpPrefix prefix;
    Pos pos;
    std::string path;
  };

  std::string file_;
  Config* cfg_ = nullptr;
  std::vector<ConfigError> errs_;
  std::vector<Entry> ifaces_, routes_, neighs_, svcs_;
  std::vector<AddrPos> addr_pos_;
};

}  // namespace

ConfigResult parse_config(std::string_view text, std::string_view file) {
  return Parser(file).run(text);
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult res;
    res.errors.push_back({path, 0, 0, "", fmt::format("cannot open: {}", std::strerror(errno))});
    return res;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace stackd::app
