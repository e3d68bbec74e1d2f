// stackctl's grammar: iproute2-style argument tails into requests, unique
// prefixes, the firewall rule language and its printed form, and one-line
// usage errors.
#include "grammar.h"

#include <gtest/gtest.h>

#include "json.h"

namespace stackctl {
namespace {

Invocation ok(std::vector<std::string> args) {
  std::string err;
  auto inv = parse(args, &err);
  EXPECT_TRUE(inv.has_value()) << err;
  return inv ? *inv : Invocation{};
}

std::string bad(std::vector<std::string> args) {
  std::string err;
  auto inv = parse(args, &err);
  EXPECT_FALSE(inv.has_value());
  EXPECT_EQ(err.find('\n'), std::string::npos) << "errors are one line";
  return err;
}

TEST(Grammar, ObjectPrefixesResolveInIproute2Order) {
  EXPECT_EQ(ok({"r"}).op, Op::kRouteList);
  EXPECT_EQ(ok({"a"}).op, Op::kAddrList);
  EXPECT_EQ(ok({"l"}).op, Op::kLinkList);
  EXPECT_EQ(ok({"n"}).op, Op::kNeighList);
  EXPECT_EQ(ok({"neighbor", "show"}).op, Op::kNeighList);
  EXPECT_EQ(ok({"c"}).op, Op::kConnList);
  EXPECT_EQ(ok({"conf", "show"}).op, Op::kConfigShow);
  EXPECT_EQ(ok({}).op, Op::kHelp);
  EXPECT_NE(bad({"bogus"}).find("unknown object"), std::string::npos);
}

TEST(Grammar, FamilyOptions) {
  // `ip route` alone lists IPv4; `ip addr` / `ip neigh` alone both families.
  EXPECT_EQ(ok({"route"}).route_list.family(), 4u);
  EXPECT_EQ(ok({"-6", "route"}).route_list.family(), 6u);
  EXPECT_EQ(ok({"addr"}).addr_list.family(), 0u);
  EXPECT_EQ(ok({"-6", "addr"}).addr_list.family(), 6u);
  EXPECT_EQ(ok({"-4", "neigh"}).neigh_list.family(), 4u);
  EXPECT_EQ(ok({"-6", "neigh"}).neigh_list.family(), 6u);
  // `default` is the family's default route.
  EXPECT_EQ(ok({"route", "add", "default", "via", "10.0.0.1"}).route.dst(), "0.0.0.0/0");
  auto d6 = ok({"-6", "route", "del", "default"});
  EXPECT_EQ(d6.route_del.dst(), "::/0");
  EXPECT_EQ(ok({"-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::1"}).route.dst(), "2001:db8:1::/48");
}

TEST(Grammar, ConnProcessAndExtendedAreSeparate) {
  auto p = ok({"conn", "-tnp"});
  EXPECT_TRUE(p.conn_proc);
  EXPECT_FALSE(p.conn_ext);
  auto e = ok({"conn", "-tne"});
  EXPECT_TRUE(e.conn_ext);
  EXPECT_FALSE(e.conn_proc);
}

TEST(Grammar, GlobalOptions) {
  auto inv = ok({"-j", "-s", "/tmp/x.sock", "route"});
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.socket, "/tmp/x.sock");
  EXPECT_NE(bad({"-s"}).find("needs a path"), std::string::npos);
  EXPECT_NE(bad({"--frob", "route"}).find("unknown option"), std::string::npos);
}

TEST(Grammar, RouteAddViaDevMetric) {
  auto inv = ok({"route", "add", "10.1.0.0/16", "via", "10.0.0.1", "dev", "veth0", "metric", "20", "mtu", "1400"});
  EXPECT_EQ(inv.op, Op::kRouteAdd);
  EXPECT_EQ(inv.route.dst(), "10.1.0.0/16");
  EXPECT_EQ(inv.route.via(), "10.0.0.1");
  EXPECT_EQ(inv.route.dev(), "veth0");
  EXPECT_EQ(inv.route.metric(), 20u);
  EXPECT_EQ(inv.route.mtu(), 1400u);
  EXPECT_EQ(ok({"ro", "rep", "default", "via", "10.0.0.1"}).op, Op::kRouteReplace);
  auto del = ok({"route", "del", "10.1.0.0/16", "metric", "3"});
  EXPECT_EQ(del.op, Op::kRouteDel);
  EXPECT_EQ(del.route_del.dst(), "10.1.0.0/16");
  ASSERT_TRUE(del.route_del.has_metric());
  EXPECT_EQ(del.route_del.metric(), 3u);
  EXPECT_FALSE(ok({"route", "del", "10.1.0.0/16"}).route_del.has_metric());
  EXPECT_NE(bad({"route", "add", "10.1.0.0/16", "metric", "x"}).find("expected a number"), std::string::npos);
  EXPECT_NE(bad({"route", "add"}).find("which prefix"), std::string::npos);
  EXPECT_NE(bad({"route", "add", "10.1.0.0/16", "via"}).find("needs an argument"), std::string::npos);
}

TEST(Grammar, NeighAndLinkAndAddr) {
  auto n = ok({"neigh", "add", "10.0.0.9", "lladdr", "02:00:00:00:00:09", "dev", "eth0", "nud", "permanent"});
  EXPECT_EQ(n.op, Op::kNeighAdd);
  EXPECT_EQ(n.neigh.addr(), "10.0.0.9");
  EXPECT_EQ(n.neigh.lladdr(), "02:00:00:00:00:09");
  EXPECT_EQ(n.neigh.dev(), "eth0");
  EXPECT_NE(bad({"neigh", "add", "10.0.0.9", "dev", "eth0"}).find("lladdr"), std::string::npos);
  auto f = ok({"neigh", "flush", "dev", "eth0"});
  EXPECT_EQ(f.op, Op::kNeighFlush);
  EXPECT_FALSE(f.neigh_flush.include_permanent());
  EXPECT_TRUE(ok({"neigh", "flush", "all"}).neigh_flush.include_permanent());
  auto l = ok({"link", "set", "dev", "eth0", "down", "mtu", "1400"});
  EXPECT_EQ(l.op, Op::kLinkSet);
  EXPECT_FALSE(l.link_set.up());
  EXPECT_TRUE(l.link_set.has_up());
  EXPECT_EQ(l.link_set.mtu(), 1400u);
  EXPECT_FALSE(ok({"link", "set", "eth0", "up"}).link_set.has_mtu());
  auto a = ok({"addr", "add", "10.0.0.2/24", "dev", "eth0"});
  EXPECT_EQ(a.op, Op::kAddrAdd);
  EXPECT_EQ(a.addr.prefix(), "10.0.0.2/24");
}

TEST(Grammar, FirewallAddInsertDeletePolicy) {
  auto a = ok({"fw", "add", "input", "tcp", "dport", "22", "ct", "state", "new", "accept"});
  EXPECT_EQ(a.op, Op::kFwAdd);
  EXPECT_TRUE(a.fw_add.append());
  const auto& m = a.fw_add.rule().match();
  EXPECT_EQ(a.fw_add.rule().hook(), pb::HOOK_INPUT);
  EXPECT_EQ(m.protocol(), 6u);
  EXPECT_EQ(m.dport().lo(), 22u);
  EXPECT_EQ(m.dport().hi(), 22u);
  ASSERT_EQ(m.ct_state_size(), 1);
  EXPECT_EQ(m.ct_state(0), "new");
  EXPECT_EQ(a.fw_add.rule().verdict(), pb::VERDICT_ACCEPT);

  auto i = ok({"fw", "insert", "output", "udp", "sport", "1000-2000", "drop"});
  EXPECT_EQ(i.fw_add.where_case(), pb::CreateRuleRequest::kPosition);
  EXPECT_EQ(i.fw_add.position(), 0u);
  EXPECT_EQ(i.fw_add.rule().hook(), pb::HOOK_OUTPUT);
  EXPECT_EQ(i.fw_add.rule().match().sport().lo(), 1000u);
  EXPECT_EQ(i.fw_add.rule().match().sport().hi(), 2000u);
  EXPECT_EQ(ok({"fw", "insert", "input", "position", "3", "icmp", "reject"}).fw_add.position(), 3u);
  EXPECT_EQ(ok({"fw", "add", "input", "before", "9", "icmp", "drop"}).fw_add.before_handle(), 9u);

  auto d = ok({"fw", "delete", "handle", "7"});
  EXPECT_EQ(d.op, Op::kFwDelete);
  EXPECT_EQ(d.fw_del.handle(), 7u);
  EXPECT_TRUE(ok({"fw", "list", "-a"}).fw_handles);
  EXPECT_EQ(ok({"fw"}).op, Op::kFwList);
  auto p = ok({"fw", "policy", "input", "drop"});
  EXPECT_EQ(p.fw_policy.policy(), pb::VERDICT_DROP);
  EXPECT_NE(bad({"fw", "add", "input", "tcp", "dport", "22"}).find("verdict"), std::string::npos);
  EXPECT_NE(bad({"fw", "add", "dport", "22", "drop"}).find("needs tcp or udp"), std::string::npos);
  EXPECT_NE(bad({"fw", "add", "tcp", "dport", "70000", "drop"}).find("port"), std::string::npos);
  EXPECT_NE(bad({"fw", "add", "tcp", "dport", "9-1", "drop"}).find("range"), std::string::npos);
  EXPECT_NE(bad({"fw", "add", "accept", "drop"}).find("after the verdict"), std::string::npos);
  EXPECT_NE(bad({"fw", "delete", "handle", "x"}).find("expected a number"), std::string::npos);
}

TEST(Grammar, RuleTextRoundTrips) {
  for (const char* text : {
           "tcp dport 22 ct state new accept",
           "iif eth0 ip saddr 10.0.0.0/8 udp sport 53 dport 1024-65535 drop",
           "tcp flags syn / syn,ack reject",
           "icmp type echo-request code 0 log prefix ping continue",
           "protocol 47 drop",
           "ct state established,related accept",
           "ip6 saddr fd00::/64 icmpv6 type echo-request drop",
           "ip6 icmpv6 type nd-neighbor-solicit accept",
           "ip6 daddr 2001:db8::/32 udp dport 7 reject",
       }) {
    std::vector<std::string> words;
    for (size_t b = 0, e; b < std::string(text).size(); b = e + 1) {
      e = std::string(text).find(' ', b);
      if (e == std::string::npos) e = std::string(text).size();
      words.push_back(std::string(text).substr(b, e - b));
    }
    std::string err;
    auto r = parse_rule(words, &err);
    ASSERT_TRUE(r.has_value()) << text << ": " << err;
    EXPECT_EQ(rule_text(*r), text);
  }
}

TEST(Grammar, Ipv6RuleKeywords) {
  std::string err;
  auto r = parse_rule({"meta", "nfproto", "ipv6", "tcp", "dport", "22", "drop"}, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->match().ip_version(), 6u);
  EXPECT_EQ(rule_text(*r), "ip6 tcp dport 22 drop");
  r = parse_rule({"meta", "nfproto", "ipv4", "accept"}, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->match().ip_version(), 4u);
  r = parse_rule({"icmpv6", "type", "echo-reply", "accept"}, &err);  // icmpv6 implies ip6
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->match().protocol(), 58u);
  EXPECT_EQ(r->match().icmp_type(), 129u);
  EXPECT_EQ(r->match().ip_version(), 6u);
  EXPECT_FALSE(parse_rule({"meta", "nfproto", "ipx", "accept"}, &err));
  EXPECT_FALSE(parse_rule({"icmpv6", "type", "bogus-type", "accept"}, &err));
}

TEST(Grammar, ConnFlagsAndSsFilters) {
  auto c = ok({"conn", "-tni", "state", "established", "dport", "=", ":443"});
  EXPECT_EQ(c.op, Op::kConnList);
  EXPECT_TRUE(c.conn.tcp());
  EXPECT_FALSE(c.conn.udp());
  EXPECT_TRUE(c.conn_info);
  ASSERT_EQ(c.conn.state_size(), 1);
  EXPECT_EQ(c.conn.state(0), "established");
  EXPECT_EQ(c.conn.dport(), 443u);
  EXPECT_EQ(ok({"conn", "sport", ":22"}).conn.sport(), 22u);
  EXPECT_TRUE(ok({"conn", "-tuanl"}).conn.listening());
  EXPECT_NE(bad({"conn", "-q"}).find("unknown flag"), std::string::npos);
  EXPECT_NE(bad({"conn", "dport", "=", ":x"}).find(":PORT"), std::string::npos);
}

TEST(Grammar, StatsCaptureMonitorConfig) {
  auto s = ok({"stats", "-z", "--watch", "2"});
  EXPECT_TRUE(s.stats.include_zero());
  EXPECT_DOUBLE_EQ(s.watch_interval, 2.0);
  EXPECT_DOUBLE_EQ(ok({"stats", "--watch"}).watch_interval, 1.0);
  auto c = ok({"capture", "-i", "veth0", "-w", "-", "-c", "5", "tcp", "port", "80"});
  EXPECT_EQ(c.op, Op::kCapture);
  EXPECT_EQ(c.capture.dev(), "veth0");
  EXPECT_EQ(c.capture_file, "-");
  EXPECT_EQ(c.capture.count(), 5u);
  EXPECT_EQ(c.capture.filter(), "tcp port 80");
  EXPECT_EQ(ok({"capture", "-i", "veth0", "tcp port 80"}).capture.filter(), "tcp port 80");
  EXPECT_EQ(ok({"monitor", "route", "neigh"}).monitor, (std::vector<std::string>{"route", "neigh"}));
  EXPECT_EQ(ok({"monitor"}).monitor.size(), 4u);
  EXPECT_NE(bad({"monitor", "x"}).find("monitor"), std::string::npos);
  auto cc = ok({"config", "check", "/etc/stackd/stackd.toml"});
  EXPECT_EQ(cc.op, Op::kConfigCheck);
  EXPECT_EQ(cc.config_file, "/etc/stackd/stackd.toml");
  EXPECT_EQ(ok({"daemon", "reload"}).op, Op::kDaemonReload);
  EXPECT_NE(bad({"config", "check"}).find("needs an argument"), std::string::npos);
}

TEST(Json, SixtyFourBitCountersAreNumbers) {
  pb::ListCountersResponse r;
  auto* c = r.add_counters();
  c->set_name("TcpInSegs");
  c->set_value(18446744073709551615ull);
  EXPECT_EQ(to_json(r), R"({"counters":[{"name":"TcpInSegs","value":18446744073709551615}],"drops":[]})");
  pb::Rule rule;
  rule.mutable_match()->set_protocol(6);
  rule.set_comment("a \"q\"\n");
  const std::string j = to_json(rule);
  EXPECT_NE(j.find(R"("protocol":6)"), std::string::npos) << j;
  EXPECT_EQ(j.find("icmp_type"), std::string::npos) << "unset optionals are omitted: " << j;
  EXPECT_NE(j.find(R"("comment":"a \"q\"\n")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("verdict":"VERDICT_ACCEPT")"), std::string::npos) << j;
}

}  // namespace
}  // namespace stackctl
