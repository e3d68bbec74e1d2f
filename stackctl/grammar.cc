#include "grammar.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <span>
#include <utility>

namespace stackctl {
namespace {

using Words = std::vector<std::string>;

// iproute2 matches a keyword against a unique prefix in table order: the
// first entry the word is a prefix of wins (`ip a` = addr, `ip r` = route).
std::optional<std::string_view> pick(std::string_view word, std::initializer_list<std::string_view> table) {
  if (word.empty()) return std::nullopt;
  for (auto t : table)
    if (t.starts_with(word)) return t;
  return std::nullopt;
}

bool number(std::string_view s, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > max) return false;
  *out = v;
  return true;
}

// A cursor over the argument tail with iproute2's error style.
class Tail {
 public:
  Tail(const Words& w, size_t i, std::string* err) : w_(w), i_(i), err_(err) {}
  bool done() const { return i_ >= w_.size(); }
  const std::string& peek() const { return w_[i_]; }
  std::string next() { return w_[i_++]; }
  bool value(const std::string& key, std::string* out) {
    if (done()) return fail(fmt::format("\"{}\" needs an argument", key));
    *out = next();
    return true;
  }
  bool uint(const std::string& key, uint64_t max, uint64_t* out) {
    std::string v;
    if (!value(key, &v)) return false;
    if (!number(v, max, out)) return fail(fmt::format("{} \"{}\": expected a number 0..{}", key, v, max));
    return true;
  }
  bool fail(std::string msg) {
    *err_ = std::move(msg);
    return false;
  }
  bool unknown() { return fail(fmt::format("unexpected argument \"{}\"", peek())); }

 private:
  const Words& w_;
  size_t i_;
  std::string* err_;
};

// ---------------------------------------------------------------- link
bool parse_link(Tail& t, Invocation* inv) {
  std::string verb = t.done() ? "show" : t.next();
  auto v = pick(verb, {"show", "list", "set"});
  if (!v) return t.fail(fmt::format("link: unknown verb \"{}\" (show, set)", verb));
  if (*v != "set") {
    inv->op = Op::kLinkList;
    if (!t.done() && t.peek() == "dev") t.next();
    if (!t.done()) inv->link_list.set_name(t.next());
    return t.done() || t.unknown();
  }
  inv->op = Op::kLinkSet;
  while (!t.done()) {
    std::string k = t.next();
    if (k == "dev") {
      std::string n;
      if (!t.value(k, &n)) return false;
      inv->link_set.set_name(n);
    } else if (k == "up") {
      inv->link_set.set_up(true);
    } else if (k == "down") {
      inv->link_set.set_up(false);
    } else if (k == "mtu") {
      uint64_t m;
      if (!t.uint(k, 65535, &m)) return false;
      inv->link_set.set_mtu(static_cast<uint32_t>(m));
    } else if (inv->link_set.name().empty()) {
      inv->link_set.set_name(k);
    } else {
      return t.fail(fmt::format("link set: unexpected \"{}\"", k));
    }
  }
  if (inv->link_set.name().empty()) return t.fail("link set: which device? (link set dev IF up|down|mtu N)");
  return true;
}

// ---------------------------------------------------------------- addr
bool parse_addr(Tail& t, Invocation* inv) {
  std::string verb = t.done() ? "show" : t.next();
  auto v = pick(verb, {"show", "list", "add", "delete"});
  if (!v) return t.fail(fmt::format("addr: unknown verb \"{}\" (show, add, del)", verb));
  if (*v == "show" || *v == "list") {
    inv->op = Op::kAddrList;
    if (!t.done() && t.peek() == "dev") t.next();
    if (!t.done()) inv->addr_list.set_dev(t.next());
    return t.done() || t.unknown();
  }
  inv->op = *v == "add" ? Op::kAddrAdd : Op::kAddrDel;
  while (!t.done()) {
    std::string k = t.next(), val;
    if (k == "dev") {
      if (!t.value(k, &val)) return false;
      inv->addr.set_dev(val);
    } else if (inv->addr.prefix().empty()) {
      inv->addr.set_prefix(k);
    } else {
      return t.fail(fmt::format("addr: unexpected \"{}\"", k));
    }
  }
  if (inv->addr.prefix().empty() || inv->addr.dev().empty())
    return t.fail("addr add|del needs PREFIX dev IF");
  return true;
}

// --------------------------------------------------------------- route
bool parse_route(Tail& t, Invocation* inv) {
  std::string verb = t.done() ? "show" : t.next();
  auto v = pick(verb, {"show", "list", "add", "delete", "replace"});
  if (!v) return t.fail(fmt::format("route: unknown verb \"{}\" (show, add, del, replace)", verb));
  if (*v == "show" || *v == "list") {
    inv->op = Op::kRouteList;
    return t.done() || t.unknown();
  }
  inv->op = *v == "add" ? Op::kRouteAdd : *v == "replace" ? Op::kRouteReplace : Op::kRouteDel;
  pb::Route& r = inv->route;
  while (!t.done()) {
    std::string k = t.next(), val;
    uint64_t n;
    if (k == "via") {
      if (!t.value(k, &val)) return false;
      r.set_via(val);
    } else if (k == "dev") {
      if (!t.value(k, &val)) return false;
      r.set_dev(val);
    } else if (k == "metric" || k == "preference" || k == "priority") {
      if (!t.uint(k, UINT32_MAX, &n)) return false;
      r.set_metric(static_cast<uint32_t>(n));
      inv->route_del.set_metric(static_cast<uint32_t>(n));
    } else if (k == "mtu") {
      if (!t.uint(k, 65535, &n)) return false;
      r.set_mtu(static_cast<uint32_t>(n));
    } else if (k == "to") {
      if (!t.value(k, &val)) return false;
      r.set_dst(val);
    } else if (r.dst().empty()) {
      r.set_dst(k);
    } else {
      return t.fail(fmt::format("route: unexpected \"{}\"", k));
    }
  }
  if (r.dst().empty()) return t.fail("route: which prefix? (route add PREFIX [via GW] [dev IF] [metric N])");
  inv->route_del.set_dst(r.dst());
  return true;
}

// --------------------------------------------------------------- neigh
bool parse_neigh(Tail& t, Invocation* inv) {
  std::string verb = t.done() ? "show" : t.next();
  auto v = pick(verb, {"show", "list", "add", "delete", "replace", "flush"});
  if (!v) return t.fail(fmt::format("neigh: unknown verb \"{}\" (show, add, del, flush)", verb));
  std::string addr, lladdr, dev;
  bool all = false;
  while (!t.done()) {
    std::string k = t.next();
    if (k == "lladdr") {
      if (!t.value(k, &lladdr)) return false;
    } else if (k == "dev") {
      if (!t.value(k, &dev)) return false;
    } else if (k == "nud") {
      std::string s;
      if (!t.value(k, &s)) return false;
      if (s != "permanent") return t.fail("neigh: only nud permanent entries can be added");
      all = true;
    } else if (k == "all" && *v == "flush") {
      all = true;
    } else if (addr.empty() && *v != "flush" && *v != "show" && *v != "list") {
      addr = k;
    } else {
      return t.fail(fmt::format("neigh: unexpected \"{}\"", k));
    }
  }
  if (*v == "show" || *v == "list") {
    inv->op = Op::kNeighList;
    inv->neigh_list.set_dev(dev);
  } else if (*v == "flush") {
    inv->op = Op::kNeighFlush;
    inv->neigh_flush.set_dev(dev);
    inv->neigh_flush.set_include_permanent(all);  // `flush ... nud permanent` / `flush all`
  } else if (*v == "delete") {
    if (addr.empty() || dev.empty()) return t.fail("neigh del needs ADDR dev IF");
    inv->op = Op::kNeighDel;
    inv->neigh_del.set_addr(addr);
    inv->neigh_del.set_dev(dev);
  } else {
    if (addr.empty() || lladdr.empty() || dev.empty()) return t.fail("neigh add needs ADDR lladdr MAC dev IF");
    inv->op = Op::kNeighAdd;
    inv->neigh.set_addr(addr);
    inv->neigh.set_lladdr(lladdr);
    inv->neigh.set_dev(dev);
  }
  return true;
}

// ------------------------------------------------------------ firewall
constexpr std::array<std::pair<std::string_view, uint32_t>, 8> kTcpFlags{{
    {"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04}, {"psh", 0x08},
    {"ack", 0x10}, {"urg", 0x20}, {"ecn", 0x40}, {"cwr", 0x80},
}};
constexpr std::array<std::pair<std::string_view, uint32_t>, 6> kIcmpTypes{{
    {"echo-reply", 0}, {"destination-unreachable", 3}, {"redirect", 5},
    {"echo-request", 8}, {"time-exceeded", 11}, {"parameter-problem", 12},
}};
// nft's icmpv6 type names (RFC 4443, RFC 4861).
constexpr std::array<std::pair<std::string_view, uint32_t>, 10> kIcmpv6Types{{
    {"destination-unreachable", 1}, {"packet-too-big", 2}, {"time-exceeded", 3},
    {"parameter-problem", 4}, {"echo-request", 128}, {"echo-reply", 129},
    {"nd-router-solicit", 133}, {"nd-router-advert", 134}, {"nd-neighbor-solicit", 135},
    {"nd-neighbor-advert", 136},
}};
constexpr std::array<std::pair<std::string_view, uint32_t>, 4> kProtos{
    {{"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmpv6", 58}}};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t b = 0;
  for (;;) {
    size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e - b));
    if (e == std::string::npos) return out;
    b = e + 1;
  }
}

bool flags(const std::string& text, uint32_t* out, std::string* err) {
  *out = 0;
  for (const auto& f : split(text, ',')) {
    bool ok = false;
    for (auto [n, bit] : kTcpFlags)
      if (n == f) {
        *out |= bit;
        ok = true;
      }
    if (!ok) {
      *err = fmt::format("tcp flag \"{}\" (fin syn rst psh ack urg ecn cwr)", f);
      return false;
    }
  }
  return true;
}

bool port_range(const std::string& key, const std::string& text, pb::PortRange* out, std::string* err) {
  auto dash = text.find('-');
  uint64_t lo, hi;
  bool ok = dash == std::string::npos
                ? number(text, 65535, &lo) && (hi = lo, true)
                : number(std::string_view(text).substr(0, dash), 65535, &lo) &&
                      number(std::string_view(text).substr(dash + 1), 65535, &hi) && lo <= hi;
  if (!ok) {
    *err = fmt::format("{} \"{}\": expected a port or a range LO-HI", key, text);
    return false;
  }
  out->set_lo(static_cast<uint32_t>(lo));
  out->set_hi(static_cast<uint32_t>(hi));
  return true;
}

}  // namespace

std::optional<pb::Rule> parse_rule(const Words& w, std::string* err) {
  pb::Rule r;
  auto* m = r.mutable_match();
  bool verdict = false;
  std::string l4;  // the protocol keyword sport/dport/flags/type refer to
  auto need = [&](size_t i, const std::string& k) {
    if (i + 1 < w.size()) return true;
    *err = fmt::format("\"{}\" needs an argument", k);
    return false;
  };
  auto set_proto = [&](const std::string& name, uint32_t num) {
    if (m->has_protocol() && m->protocol() != num) {
      *err = fmt::format("\"{}\" conflicts with protocol {}", name, m->protocol());
      return false;
    }
    m->set_protocol(num);
    l4 = name;
    return true;
  };
  for (size_t i = 0; i < w.size(); ++i) {
    const std::string& k = w[i];
    if (verdict) {
      *err = fmt::format("\"{}\" after the verdict", k);
      return std::nullopt;
    }
    if (i == 0 && (k == "input" || k == "output")) {
      r.set_hook(k == "input" ? pb::HOOK_INPUT : pb::HOOK_OUTPUT);
    } else if (k == "iif" || k == "oif" || k == "iifname" || k == "oifname") {
      if (!need(i, k)) return std::nullopt;
      (k[0] == 'i' ? m->mutable_iif() : m->mutable_oif())->assign(w[++i]);
    } else if (k == "ip" || k == "ip6") {
      m->set_ip_version(k == "ip" ? 4 : 6);
    } else if (k == "meta" && i + 1 < w.size() && w[i + 1] == "nfproto") {
      // nft: meta nfproto ipv4|ipv6
      if (!need(i + 1, "nfproto")) return std::nullopt;
      const std::string& f = w[i + 2];
      if (f != "ipv4" && f != "ipv6") {
        *err = fmt::format("meta nfproto \"{}\": expected ipv4 or ipv6", f);
        return std::nullopt;
      }
      m->set_ip_version(f == "ipv4" ? 4 : 6);
      i += 2;
    } else if (k == "saddr" || k == "daddr") {
      if (!need(i, k)) return std::nullopt;
      (k[0] == 's' ? m->mutable_src() : m->mutable_dst())->assign(w[++i]);
    } else if (k == "tcp" || k == "udp" || k == "icmp" || k == "icmpv6") {
      for (auto [n, num] : kProtos)
        if (n == k && !set_proto(k, num)) return std::nullopt;
      if (k == "icmpv6") m->set_ip_version(6);
    } else if (k == "protocol" || k == "l4proto") {
      uint64_t n;
      if (!need(i, k)) return std::nullopt;
      ++i;
      bool named = false;
      for (auto [pn, num] : kProtos)
        if (pn == w[i]) {
          if (!set_proto(w[i], num)) return std::nullopt;
          named = true;
        }
      if (!named) {
        if (!number(w[i], 255, &n)) {
          *err = fmt::format("protocol \"{}\": expected tcp, udp, icmp, icmpv6 or 0..255", w[i]);
          return std::nullopt;
        }
        if (!set_proto(w[i], static_cast<uint32_t>(n))) return std::nullopt;
      }
    } else if (k == "sport" || k == "dport") {
      if (l4 != "tcp" && l4 != "udp") {
        *err = fmt::format("\"{}\" needs tcp or udp before it (tcp {} 22)", k, k);
        return std::nullopt;
      }
      if (!need(i, k)) return std::nullopt;
      if (!port_range(k, w[++i], k == "sport" ? m->mutable_sport() : m->mutable_dport(), err)) return std::nullopt;
    } else if (k == "flags") {
      // tcp flags syn          -> flags & syn == syn
      // tcp flags syn / syn,ack -> flags & (syn|ack) == syn
      if (l4 != "tcp") {
        *err = "\"flags\" needs tcp before it (tcp flags syn)";
        return std::nullopt;
      }
      if (!need(i, k)) return std::nullopt;
      uint32_t val, mask;
      if (!flags(w[++i], &val, err)) return std::nullopt;
      mask = val;
      if (i + 1 < w.size() && w[i + 1] == "/") {
        if (!need(i + 1, "/")) return std::nullopt;
        if (!flags(w[i + 2], &mask, err)) return std::nullopt;
        i += 2;
      }
      m->set_tcp_flags_value(val);
      m->set_tcp_flags_mask(mask);
    } else if (k == "type" || k == "code") {
      if (l4 != "icmp" && l4 != "icmpv6") {
        *err = fmt::format("\"{}\" needs icmp or icmpv6 before it (icmp type echo-request)", k);
        return std::nullopt;
      }
      if (!need(i, k)) return std::nullopt;
      const std::string& v = w[++i];
      uint64_t n = 0;
      bool named = false;
      if (k == "type")
        for (auto [tn, num] : l4 == "icmp" ? std::span(kIcmpTypes.data(), kIcmpTypes.size())
                                           : std::span(kIcmpv6Types.data(), kIcmpv6Types.size()))
          if (tn == v) {
            n = num;
            named = true;
          }
      if (!named && !number(v, 255, &n)) {
        *err = fmt::format("{} {} \"{}\": expected a name or 0..255", l4, k, v);
        return std::nullopt;
      }
      if (k == "type") m->set_icmp_type(static_cast<uint32_t>(n));
      else m->set_icmp_code(static_cast<uint32_t>(n));
    } else if (k == "ct") {
      if (i + 2 >= w.size() || w[i + 1] != "state") {
        *err = "ct: expected \"ct state new,established,...\"";
        return std::nullopt;
      }
      for (const auto& s : split(w[i + 2], ',')) m->add_ct_state(s);
      i += 2;
    } else if (k == "counter") {
      // Every rule counts; accepted for nft habits.
    } else if (k == "log") {
      r.set_log(true);
      if (i + 2 < w.size() && w[i + 1] == "prefix") {
        r.set_log_prefix(w[i + 2]);
        i += 2;
      }
    } else if (k == "comment") {
      if (!need(i, k)) return std::nullopt;
      r.set_comment(w[++i]);
    } else if (k == "accept" || k == "drop" || k == "reject" || k == "continue") {
      r.set_verdict(k == "accept" ? pb::VERDICT_ACCEPT
                    : k == "drop" ? pb::VERDICT_DROP
                    : k == "reject" ? pb::VERDICT_REJECT
                                    : pb::VERDICT_CONTINUE);
      verdict = true;
    } else {
      *err = fmt::format("fw: unexpected \"{}\"", k);
      return std::nullopt;
    }
  }
  if (!verdict) {
    *err = "fw: the rule needs a verdict at the end (accept, drop, reject, continue)";
    return std::nullopt;
  }
  return r;
}

std::string rule_text(const pb::Rule& r) {
  std::string out;
  auto add = [&](const std::string& s) {
    if (!out.empty()) out += ' ';
    out += s;
  };
  const auto& m = r.match();
  if (!m.iif().empty()) add("iif " + m.iif());
  if (!m.oif().empty()) add("oif " + m.oif());
  if (m.ip_version() == 4 || (m.ip_version() == 0 && (!m.src().empty() || !m.dst().empty()))) {
    if (m.ip_version() == 4) add("ip");
  } else if (m.ip_version() == 6) {
    add("ip6");
  }
  if (!m.src().empty()) add("saddr " + m.src());
  if (!m.dst().empty()) add("daddr " + m.dst());
  if (m.has_protocol()) {
    std::string name;
    for (auto [n, num] : kProtos)
      if (num == m.protocol()) name = n;
    add(name.empty() ? fmt::format("protocol {}", m.protocol()) : name);
  }
  auto range = [](const pb::PortRange& p) {
    return p.lo() == p.hi() ? std::to_string(p.lo()) : fmt::format("{}-{}", p.lo(), p.hi());
  };
  if (m.has_sport()) add("sport " + range(m.sport()));
  if (m.has_dport()) add("dport " + range(m.dport()));
  auto flag_names = [](uint32_t bits) {
    std::string s;
    for (auto [n, bit] : kTcpFlags)
      if (bits & bit) s += (s.empty() ? "" : ",") + std::string(n);
    return s;
  };
  if (m.tcp_flags_mask() != 0) {
    add("flags " + flag_names(m.tcp_flags_value()));
    if (m.tcp_flags_mask() != m.tcp_flags_value()) add("/ " + flag_names(m.tcp_flags_mask()));
  }
  if (m.has_icmp_type()) {
    std::string name = std::to_string(m.icmp_type());
    const bool v6 = m.has_protocol() && m.protocol() == 58;
    for (auto [n, num] : v6 ? std::span(kIcmpv6Types.data(), kIcmpv6Types.size())
                            : std::span(kIcmpTypes.data(), kIcmpTypes.size()))
      if (num == m.icmp_type()) name = n;
    add("type " + name);
  }
  if (m.has_icmp_code()) add(fmt::format("code {}", m.icmp_code()));
  if (m.ct_state_size() > 0) {
    std::string s;
    for (const auto& c : m.ct_state()) s += (s.empty() ? "" : ",") + c;
    add("ct state " + s);
  }
  if (r.log()) add(r.log_prefix().empty() ? "log" : "log prefix " + r.log_prefix());
  if (!r.comment().empty()) add("comment " + r.comment());
  switch (r.verdict()) {
    case pb::VERDICT_DROP: add("drop"); break;
    case pb::VERDICT_REJECT: add("reject"); break;
    case pb::VERDICT_CONTINUE: add("continue"); break;
    default: add("accept"); break;
  }
  return out;
}

namespace {

bool parse_fw(Tail& t, const Words& args, size_t at, Invocation* inv) {
  std::string verb = t.done() ? "list" : t.next();
  auto v = pick(verb, {"list", "show", "add", "insert", "delete", "policy", "flush"});
  if (!v) return t.fail(fmt::format("fw: unknown verb \"{}\" (list, add, insert, delete, policy, flush)", verb));
  if (*v == "list" || *v == "show") {
    inv->op = Op::kFwList;
    while (!t.done()) {
      std::string k = t.next();
      if (k == "-a" || k == "--handle") inv->fw_handles = true;
      else return t.fail(fmt::format("fw list: unexpected \"{}\"", k));
    }
    return true;
  }
  if (*v == "flush") {
    inv->op = Op::kFwFlush;
    return t.done() || t.unknown();
  }
  if (*v == "delete") {
    inv->op = Op::kFwDelete;
    uint64_t h;
    if (!t.done() && t.peek() == "handle") t.next();
    if (!t.uint("handle", UINT64_MAX, &h)) return false;
    inv->fw_del.set_handle(h);
    return t.done() || t.unknown();
  }
  if (*v == "policy") {  // fw policy input drop
    inv->op = Op::kFwPolicy;
    std::string chain, pol;
    if (!t.value("policy", &chain) || !t.value("policy", &pol)) return false;
    if (chain != "input" && chain != "output") return t.fail("fw policy: chain is input or output");
    if (pol != "accept" && pol != "drop") return t.fail("fw policy: accept or drop");
    inv->fw_policy.set_hook(chain == "input" ? pb::HOOK_INPUT : pb::HOOK_OUTPUT);
    inv->fw_policy.set_policy(pol == "accept" ? pb::VERDICT_ACCEPT : pb::VERDICT_DROP);
    return t.done() || t.unknown();
  }
  // add/insert [input|output] [position N | before HANDLE] RULE...
  inv->op = Op::kFwAdd;
  Words rest(args.begin() + static_cast<std::ptrdiff_t>(at), args.end());
  Words rule;
  std::optional<pb::Hook> hook;
  bool insert = *v == "insert";
  bool placed = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i == 0 && (rest[i] == "input" || rest[i] == "output")) {
      hook = rest[i] == "input" ? pb::HOOK_INPUT : pb::HOOK_OUTPUT;
    } else if ((rest[i] == "position" || rest[i] == "before" || rest[i] == "handle") && i + 1 < rest.size() &&
               !placed) {
      uint64_t n;
      if (!number(rest[i + 1], rest[i] == "position" ? UINT32_MAX : UINT64_MAX, &n))
        return t.fail(fmt::format("{} \"{}\": expected a number", rest[i], rest[i + 1]));
      if (rest[i] == "position") inv->fw_add.set_position(static_cast<uint32_t>(n));
      else inv->fw_add.set_before_handle(n);
      placed = true;
      ++i;
    } else {
      rule.push_back(rest[i]);
    }
  }
  std::string err;
  auto r = parse_rule(rule, &err);
  if (!r) return t.fail(err);
  if (hook) r->set_hook(*hook);
  *inv->fw_add.mutable_rule() = *r;
  if (!placed) {
    if (insert) inv->fw_add.set_position(0);  // nft insert: at the front
    else inv->fw_add.set_append(true);
  }
  return true;
}

// ---------------------------------------------------------------- conn
bool parse_conn(Tail& t, Invocation* inv) {
  inv->op = Op::kConnList;
  auto& q = inv->conn;
  if (!t.done() && pick(t.peek(), {"show", "list"})) t.next();
  while (!t.done()) {
    std::string k = t.next();
    if (k.size() > 1 && k[0] == '-' && k[1] != '-') {
      for (char c : k.substr(1)) {
        switch (c) {
          case 't': q.set_tcp(true); break;
          case 'u': q.set_udp(true); break;
          case 'l': q.set_listening(true); break;
          case 'a': q.set_all(true); break;
          case 'n': break;  // always numeric
          case 'i': inv->conn_info = true; break;
          case 'e': inv->conn_ext = true; break;
          case 'p': inv->conn_proc = true; break;
          default: return t.fail(fmt::format("conn: unknown flag -{} (-t -u -l -a -n -i -e -p)", c));
        }
      }
    } else if (k == "state") {
      std::string s;
      if (!t.value(k, &s)) return false;
      q.add_state(s);
    } else if (k == "sport" || k == "dport") {
      // ss: `dport = :443`, `dport :443`, `dport eq 443`
      std::string v;
      if (!t.value(k, &v)) return false;
      if (v == "=" || v == "==" || v == "eq") {
        if (!t.value(k, &v)) return false;
      }
      if (!v.empty() && v[0] == ':') v = v.substr(1);
      uint64_t p;
      if (!number(v, 65535, &p)) return t.fail(fmt::format("{} \"{}\": expected :PORT", k, v));
      (k == "sport" ? q.set_sport(static_cast<uint32_t>(p)) : q.set_dport(static_cast<uint32_t>(p)));
    } else {
      return t.fail(fmt::format("conn: unexpected \"{}\"", k));
    }
  }
  return true;
}

// --------------------------------------------------------------- stats
bool parse_stats(Tail& t, Invocation* inv) {
  inv->op = Op::kStats;
  while (!t.done()) {
    std::string k = t.next();
    if (k == "-z" || k == "--zeros") {
      inv->stats.set_include_zero(true);
    } else if (k == "--watch" || k == "-w") {
      inv->watch_interval = 1;
      if (!t.done() && std::isdigit(static_cast<unsigned char>(t.peek()[0]))) {
        std::string v = t.next();
        char* end = nullptr;
        inv->watch_interval = std::strtod(v.c_str(), &end);
        if (*end != '\0' || inv->watch_interval <= 0) return t.fail(fmt::format("--watch \"{}\": seconds > 0", v));
      }
    } else {
      return t.fail(fmt::format("stats: unexpected \"{}\" (-z, --watch [SEC])", k));
    }
  }
  return true;
}

// ------------------------------------------------------------- capture
bool parse_capture(Tail& t, Invocation* inv) {
  inv->op = Op::kCapture;
  std::string filter;
  while (!t.done()) {
    std::string k = t.next(), v;
    uint64_t n;
    if (k == "-i") {
      if (!t.value(k, &v)) return false;
      if (v != "any") inv->capture.set_dev(v);
    } else if (k == "-w") {
      if (!t.value(k, &inv->capture_file)) return false;
    } else if (k == "-c") {
      if (!t.uint(k, UINT64_MAX, &n)) return false;
      inv->capture.set_count(n);
    } else if (k == "-s") {
      if (!t.uint(k, 262144, &n)) return false;
      inv->capture.set_snaplen(static_cast<uint32_t>(n));
    } else {
      filter += (filter.empty() ? "" : " ") + k;  // tcpdump: the rest is the expression
    }
  }
  inv->capture.set_filter(filter);
  return true;
}

}  // namespace

// -4 / -6 as iproute2 takes them: list filters (`ip route` alone is IPv4,
// `ip addr` and `ip neigh` alone show both), and `default` as 0.0.0.0/0 or ::/0.
void apply_family(Invocation* inv) {
  inv->addr_list.set_family(inv->family);
  inv->neigh_list.set_family(inv->family);
  inv->route_list.set_family(inv->family == 0 ? 4 : inv->family);
  if (inv->route.dst() == "default") {
    inv->route.set_dst(inv->family == 6 ? "::/0" : "0.0.0.0/0");
    inv->route_del.set_dst(inv->route.dst());
  }
}

std::optional<Invocation> parse(const Words& args, std::string* err) {
  Invocation inv;
  size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    const std::string& a = args[i];
    if (a == "-j" || a == "--json") {
      inv.json = true;
    } else if (a == "-s" || a == "--socket") {
      if (i + 1 >= args.size()) {
        *err = fmt::format("{} needs a path", a);
        return std::nullopt;
      }
      inv.socket = args[++i];
    } else if (a == "-4" || a == "-6") {
      inv.family = a == "-4" ? 4 : 6;
    } else if (a == "-h" || a == "--help") {
      inv.op = Op::kHelp;
      return inv;
    } else {
      *err = fmt::format("unknown option \"{}\"", a);
      return std::nullopt;
    }
  }
  if (i >= args.size()) {
    inv.op = Op::kHelp;
    return inv;
  }
  const std::string& obj = args[i++];
  auto o = pick(obj, {"link", "address", "route", "neighbour", "neighbor", "fw", "firewall", "conn", "stats",
                      "capture", "monitor", "config", "daemon", "help"});
  if (!o) {
    *err = fmt::format("unknown object \"{}\" (try stackctl help)", obj);
    return std::nullopt;
  }
  Tail t(args, i, err);
  bool ok = true;
  if (*o == "link") ok = parse_link(t, &inv);
  else if (*o == "address") ok = parse_addr(t, &inv);
  else if (*o == "route") ok = parse_route(t, &inv);
  else if (*o == "neighbour" || *o == "neighbor") ok = parse_neigh(t, &inv);
  else if (*o == "fw" || *o == "firewall") ok = parse_fw(t, args, i + (i < args.size() ? 1 : 0), &inv);
  else if (*o == "conn") ok = parse_conn(t, &inv);
  else if (*o == "stats") ok = parse_stats(t, &inv);
  else if (*o == "capture") ok = parse_capture(t, &inv);
  else if (*o == "monitor") {
    inv.op = Op::kMonitor;
    while (!t.done()) {
      std::string k = t.next();
      auto w = pick(k, {"route", "neigh", "link", "conn", "all"});
      if (!w) {
        t.fail(fmt::format("monitor: \"{}\" (route, neigh, link, conn, all)", k));
        return std::nullopt;
      }
      if (*w == "all") inv.monitor = {"route", "neigh", "link", "conn"};
      else inv.monitor.emplace_back(*w);
    }
    if (inv.monitor.empty()) inv.monitor = {"route", "neigh", "link", "conn"};
  } else if (*o == "config") {
    std::string verb = t.done() ? "show" : t.next();
    auto v = pick(verb, {"show", "check"});
    if (!v) ok = t.fail(fmt::format("config: unknown verb \"{}\" (show, check FILE)", verb));
    else if (*v == "show") inv.op = Op::kConfigShow, ok = t.done() || t.unknown();
    else {
      inv.op = Op::kConfigCheck;
      ok = t.value("config check", &inv.config_file) && (t.done() || t.unknown());
    }
  } else if (*o == "daemon") {
    std::string verb = t.done() ? "" : t.next();
    if (!pick(verb, {"reload"})) ok = t.fail("daemon: the verb is reload");
    else inv.op = Op::kDaemonReload, ok = t.done() || t.unknown();
  } else {
    inv.op = Op::kHelp;
  }
  if (!ok) return std::nullopt;
  apply_family(&inv);
  return inv;
}

std::string usage() {
  return R"(usage: stackctl [-j] [-4|-6] [-s SOCKET] OBJECT [VERB] [ARGS]
  link [show [IF]] | link set [dev] IF [up|down] [mtu N]
  addr [show [dev IF]] | addr add|del PREFIX dev IF       (IPv4 or IPv6 prefix)
  route [show] | route add|replace|del PREFIX|default [via GW] [dev IF] [metric N] [mtu N]
     (route show lists IPv4 routes; -6 the IPv6 ones)
  neigh [show [dev IF]] | neigh add ADDR lladdr MAC dev IF | neigh del ADDR dev IF | neigh flush [dev IF] [all]
  fw [list [-a]] | fw add|insert [input|output] [position N|before H] MATCH... accept|drop|reject|continue
     fw delete handle H | fw policy input|output accept|drop | fw flush
     MATCH: iif IF  oif IF  ip|ip6 saddr P  ip|ip6 daddr P  meta nfproto ipv4|ipv6
            tcp|udp [sport P[-Q]] [dport P[-Q]]  tcp flags F[,F] [/ MASK]  icmp|icmpv6 [type NAME|N] [code N]
            protocol N  ct state S[,S]  log [prefix X]   (no ip/ip6/nfproto: both families)
  conn [-tuanliep] [state NAME]... [sport = :P] [dport = :P]
  stats [-z] [--watch [SEC]]
  capture [-i IF] [-w FILE|-] [-c N] [-s SNAPLEN] [EXPRESSION]
  monitor [route|neigh|link|conn|all]...
  config show | config check FILE
  daemon reload
-j: JSON (every read); SOCKET defaults to $STACKCTL_SOCKET or /run/stackd/control.sock.
)";
}

}  // namespace stackctl
