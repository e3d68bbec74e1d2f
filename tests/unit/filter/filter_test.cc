// Filter: actions, handles, insert/delete/replace, counters, log, policy,
// conntrack driven by rules.
#include <gtest/gtest.h>

#include "fw_test_util.h"
#include "ip/filter/filter.h"

namespace stackd::ip::filter {
namespace {
using namespace testing;
using namespace wire::tcp_flag;
using K = Verdict::Kind;

Rule dport_rule(Action a, uint16_t port, uint8_t proto = wire::ip_proto::kTcp) {
  Rule r = rule(a, proto);
  r.match.dport = PortRange{port, port};
  return r;
}
const Instant kT = Instant::from_nanos(1'000'000'000);

TEST(Filter, InactiveUntilSomethingIsInstalled) {
  Filter f;
  EXPECT_FALSE(f.active());
  auto h = f.append(Hook::kInput, dport_rule(Action::kDrop, 22));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(f.active());
  ASSERT_TRUE(f.remove(*h).ok());
  EXPECT_FALSE(f.active());  // empty again: the hooks cost nothing
  ASSERT_TRUE(f.set_policy(Hook::kOutput, Action::kDrop).ok());
  EXPECT_TRUE(f.active());
}

TEST(Filter, Actions) {
  Filter f;
  f.append(Hook::kInput, dport_rule(Action::kAccept, 22));
  f.append(Hook::kInput, dport_rule(Action::kDrop, 23));
  f.append(Hook::kInput, dport_rule(Action::kReject, 24));
  f.append(Hook::kInput, dport_rule(Action::kReject, 53, wire::ip_proto::kUdp));
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn), kT).kind, K::kAccept);
  const Verdict d = f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn), kT);
  EXPECT_EQ(d.kind, K::kDrop);
  EXPECT_EQ(d.reason, DropReason::kIpFirewall);
  const Verdict r = f.input(tcp("1.1.1.1", 1, "10.0.0.2", 24, kSyn), kT);
  EXPECT_EQ(r.kind, K::kRejectTcpRst);
  EXPECT_EQ(r.reason, DropReason::kFwReject);
  // Never a RST for a RST.
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 24, kRst), kT).kind, K::kDrop);
  EXPECT_EQ(f.input(udp("1.1.1.1", 1, "10.0.0.2", 53), kT).kind, K::kRejectIcmp);
  // Policy (accept) when nothing matches.
  const Verdict p = f.input(tcp("1.1.1.1", 1, "10.0.0.2", 25, kSyn), kT);
  EXPECT_EQ(p.kind, K::kAccept);
  EXPECT_EQ(p.handle, 0u);
}

TEST(Filter, CounterRuleCountsAndContinues) {
  Filter f;
  Rule count_all = rule(Action::kContinue);
  auto c = f.append(Hook::kInput, count_all);
  auto d = f.append(Hook::kInput, dport_rule(Action::kDrop, 23));
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn, 60), kT).handle, *d);
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn, 40), kT).kind, K::kAccept);
  auto l = f.list(Hook::kInput);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].rule.handle, *c);
  EXPECT_EQ(l[0].counters, (RuleCounters{2, 100}));
  EXPECT_EQ(l[1].counters, (RuleCounters{1, 60}));
}

TEST(Filter, HandlesInsertPositionBeforeDelete) {
  Filter f;
  auto a = f.append(Hook::kInput, dport_rule(Action::kAccept, 1));
  auto b = f.append(Hook::kInput, dport_rule(Action::kAccept, 2));
  auto c = f.insert(Hook::kInput, 0, dport_rule(Action::kAccept, 3));
  auto d = f.insert_before(*b, dport_rule(Action::kAccept, 4));
  auto e = f.insert(Hook::kInput, 100, dport_rule(Action::kAccept, 5));  // past the end: append
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok() && e.ok());
  auto order = [&] {
    std::vector<uint64_t> v;
    for (auto& i : f.list(Hook::kInput)) v.push_back(i.rule.handle);
    return v;
  };
  EXPECT_EQ(order(), (std::vector<uint64_t>{*c, *a, *d, *b, *e}));
  ASSERT_TRUE(f.remove(*d).ok());
  EXPECT_EQ(order(), (std::vector<uint64_t>{*c, *a, *b, *e}));
  // Handles are never reused.
  auto g = f.append(Hook::kInput, dport_rule(Action::kAccept, 6));
  EXPECT_GT(*g, *e);
  EXPECT_FALSE(f.remove(*d).ok());
  EXPECT_FALSE(f.insert_before(12345, rule(Action::kAccept)).ok());
  // An invalid rule changes nothing.
  Rule bad = rule(Action::kAccept);
  bad.match.dport = PortRange{1, 1};
  EXPECT_FALSE(f.append(Hook::kInput, bad).ok());
  EXPECT_EQ(order().size(), 5u);
}

TEST(Filter, CountersFollowTheirRuleAcrossEdits) {
  Filter f;
  auto a = f.append(Hook::kInput, dport_rule(Action::kAccept, 22));
  f.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn, 50), kT);
  f.insert(Hook::kInput, 0, dport_rule(Action::kDrop, 99));
  auto l = f.list(Hook::kInput);
  ASSERT_EQ(l[1].rule.handle, *a);
  EXPECT_EQ(l[1].counters, (RuleCounters{1, 50}));
  EXPECT_EQ(l[0].counters, (RuleCounters{0, 0}));
}

TEST(Filter, AtomicReplace) {
  Filter f;
  f.append(Hook::kInput, dport_rule(Action::kDrop, 22));
  Ruleset rs;
  rs.input.policy = Action::kDrop;
  rs.input.rules.push_back(dport_rule(Action::kAccept, 80));
  Rule keep = dport_rule(Action::kAccept, 443);
  keep.handle = 500;
  rs.input.rules.push_back(keep);
  const CompiledRuleset* before = f.compiled();
  auto n = f.replace(rs);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_NE(f.compiled(), before);
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn), kT).kind, K::kDrop);  // policy
  EXPECT_EQ(f.input(tcp("1.1.1.1", 1, "10.0.0.2", 80, kSyn), kT).kind, K::kAccept);
  EXPECT_EQ(f.list(Hook::kInput)[1].rule.handle, 500u);
  EXPECT_GT(f.append(Hook::kInput, rule(Action::kAccept)).value(), 500u);
  // A replacement that does not validate leaves the old rules in place.
  Ruleset bad;
  bad.input.rules.push_back(keep);
  bad.input.rules.push_back(keep);  // duplicate handle
  const CompiledRuleset* cur = f.compiled();
  EXPECT_FALSE(f.replace(bad).ok());
  EXPECT_EQ(f.compiled(), cur);
  EXPECT_EQ(f.list(Hook::kInput).size(), 3u);
}

TEST(Filter, CompileThenInstallSwapsAndReturnsTheOld) {
  Filter f;
  Ruleset rs;
  rs.output.rules.push_back(dport_rule(Action::kDrop, 25));
  rs.output.rules.back().handle = 7;
  auto c = Filter::compile(rs);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(f.install(std::move(*c)), nullptr);
  PacketMeta out = tcp("10.0.0.2", 1, "1.1.1.1", 25, kSyn);
  EXPECT_EQ(f.output(out, kT).handle, 7u);
  EXPECT_EQ(f.input(out, kT).kind, K::kAccept);  // input chain untouched
}

TEST(Filter, LogIsRateLimitedIntoTheRing) {
  FilterConfig cfg;
  cfg.log_ring = 8;
  Filter f(cfg);
  Rule r = dport_rule(Action::kDrop, 23);
  r.log = true;
  r.log_spec = {"ssh-drop: ", 2, 3};  // 2/s, burst 3
  auto h = f.append(Hook::kInput, r);
  Instant t = kT;
  for (int i = 0; i < 10; ++i) f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn), t);
  EXPECT_EQ(f.log().size(), 3u);  // the burst
  EXPECT_EQ(f.log().suppressed(), 7u);
  t += Duration::millis(500);  // one more token at 2/s
  f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn), t);
  f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn), t);
  EXPECT_EQ(f.log().size(), 4u);
  auto rec = f.log().pop();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->handle, *h);
  EXPECT_EQ(std::string(rec->prefix.data()), "ssh-drop: ");
  EXPECT_EQ(rec->action, Action::kDrop);
  EXPECT_EQ(rec->pkt.dport, 23);
  // The ring is bounded: overflow is counted as lost.
  t += Duration::seconds(100);
  for (int i = 0; i < 20; ++i) {
    t += Duration::seconds(1);
    f.input(tcp("1.1.1.1", 1, "10.0.0.2", 23, kSyn), t);
  }
  EXPECT_EQ(f.log().size(), 8u);
  EXPECT_EQ(f.log().lost(), 20u - 5u);
}

TEST(Filter, CtStateRulesTrackConnections) {
  // input: ct state established,related accept; tcp dport 22 ct state new accept; policy drop
  Filter f;
  Rule est = rule(Action::kAccept);
  est.match.ct_states = ct_bit(CtState::kEstablished) | ct_bit(CtState::kRelated);
  Rule ssh = dport_rule(Action::kAccept, 22);
  ssh.match.ct_states = ct_bit(CtState::kNew);
  f.append(Hook::kInput, est);
  f.append(Hook::kInput, ssh);
  f.set_policy(Hook::kInput, Action::kDrop);
  // Outgoing connection: replies come in as established.
  const PacketMeta syn = tcp("10.0.0.2", 40000, "1.1.1.1", 80, kSyn);
  EXPECT_EQ(f.output(syn, kT).kind, K::kAccept);
  EXPECT_EQ(f.input(reverse(syn, kSyn | kAck), kT).kind, K::kAccept);
  // A new inbound connection elsewhere is dropped and leaves no entry.
  const size_t before = f.conntrack().size();
  EXPECT_EQ(f.input(tcp("1.1.1.1", 5, "10.0.0.2", 8080, kSyn), kT).kind, K::kDrop);
  EXPECT_EQ(f.conntrack().size(), before);
  EXPECT_EQ(f.input(tcp("1.1.1.1", 5, "10.0.0.2", 22, kSyn), kT).kind, K::kAccept);
  EXPECT_EQ(f.conntrack().size(), before + 1);
  EXPECT_FALSE(f.poll_at().is_never());
}

TEST(Filter, ConntrackFullDropsWithItsReason) {
  FilterConfig cfg;
  cfg.ct.max_entries = 1;
  Filter f(cfg);
  Rule any = rule(Action::kAccept);
  any.match.ct_states = ct_bit(CtState::kNew) | ct_bit(CtState::kEstablished);
  f.append(Hook::kInput, any);
  EXPECT_TRUE(f.input(udp("1.1.1.1", 1, "10.0.0.2", 9), kT).accepted());
  const Verdict v = f.input(udp("1.1.1.1", 2, "10.0.0.2", 9), kT);
  EXPECT_EQ(v.kind, K::kDrop);
  EXPECT_EQ(v.reason, DropReason::kConntrackFull);
  EXPECT_EQ(f.conntrack().full_drops(), 1u);
}

TEST(Filter, NoConntrackWithoutCtRules) {
  Filter f;
  f.append(Hook::kInput, dport_rule(Action::kAccept, 22));
  f.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn), kT);
  EXPECT_EQ(f.conntrack().size(), 0u);
  FilterConfig cfg;
  cfg.always_track = true;
  Filter g(cfg);
  EXPECT_TRUE(g.active());
  g.input(tcp("1.1.1.1", 1, "10.0.0.2", 22, kSyn), kT);
  EXPECT_EQ(g.conntrack().size(), 1u);
}

}  // namespace
}  // namespace stackd::ip::filter
