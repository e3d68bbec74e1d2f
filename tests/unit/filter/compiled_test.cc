// The compiled chain against the linear reference: same verdicts, same
// counters, on randomized rulesets and packets; and its bucket shape.
#include <gtest/gtest.h>

#include <random>

#include "fw_test_util.h"
#include "ip/filter/compiled.h"

namespace stackd::ip::filter {
namespace {
using namespace testing;

constexpr uint16_t kPorts[] = {22, 53, 80, 443, 8080, 9, 7, 1000, 2000, 3000, 5000, 65535};
const char* const kAddrs[] = {"10.0.0.1", "10.0.0.2", "10.0.1.7", "192.168.1.9", "172.16.3.4"};
const char* const kPrefixes[] = {"10.0.0.0/8", "10.0.0.0/24", "10.0.1.0/24", "192.168.0.0/16",
                                 "10.0.0.1/32", "0.0.0.0/0", "10.0.0.0/23", "172.16.3.4/32"};
// IPv6 packets and prefixes too (the prefix index keys on the family).
const char* const kAddrs6[] = {"fd00::1", "fd00::2", "fd00:0:0:1::7", "2001:db8::9"};
const char* const kPrefixes6[] = {"fd00::/16", "fd00::/64", "fd00:0:0:1::/64", "fd00::1/128", "::/0",
                                  "2001:db8::/32", "fd00::/63"};

struct Gen {
  std::mt19937 rng;
  explicit Gen(uint32_t seed) : rng(seed) {}
  uint32_t below(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); }
  bool chance(uint32_t pct) { return below(100) < pct; }
  uint16_t port() { return chance(90) ? kPorts[below(std::size(kPorts))] : uint16_t(below(65536)); }

  Rule rule(uint64_t handle) {
    Rule r;
    r.handle = handle;
    const uint32_t p = below(10);
    r.match.proto = p < 4 ? wire::ip_proto::kTcp : p < 7 ? wire::ip_proto::kUdp
                  : p < 8 ? wire::ip_proto::kIcmp : -1;
    if (r.match.proto == wire::ip_proto::kTcp || r.match.proto == wire::ip_proto::kUdp) {
      if (chance(70)) {
        const uint16_t d = port();
        r.match.dport = PortRange{d, d};
      } else if (chance(50)) {
        const uint16_t a = port(), b = port();
        r.match.dport = PortRange{std::min(a, b), std::max(a, b)};
      }
      if (chance(15)) {
        const uint16_t a = port(), b = port();
        r.match.sport = PortRange{std::min(a, b), std::max(a, b)};
      }
    }
    if (r.match.proto == wire::ip_proto::kTcp && chance(30)) {
      r.match.tcp_flags_mask = uint8_t(below(256));
      r.match.tcp_flags_value = uint8_t(below(256)) & r.match.tcp_flags_mask;
    }
    if (r.match.proto == wire::ip_proto::kIcmp) {
      if (chance(60)) r.match.icmp_type = int16_t(below(2) ? 8 : 3);
      if (chance(20)) r.match.icmp_code = int16_t(below(4));
    }
    if (chance(20)) {
      if (chance(35)) r.match.src = PFX(kPrefixes6[below(std::size(kPrefixes6))]);
      if (chance(25)) r.match.dst = PFX(kPrefixes6[below(std::size(kPrefixes6))]);
    } else {
      if (chance(35)) r.match.src = PFX(kPrefixes[below(std::size(kPrefixes))]);
      if (chance(25)) r.match.dst = PFX(kPrefixes[below(std::size(kPrefixes))]);
    }
    if (chance(10)) r.match.iif = uint16_t(1 + below(2));
    if (chance(20)) r.match.ct_states = uint8_t(1 + below(31));
    r.action = static_cast<Action>(below(4));  // continue, accept, drop, reject
    return r;
  }

  PacketMeta packet() {
    const bool v6 = chance(20);
    const char* s = v6 ? kAddrs6[below(std::size(kAddrs6))] : kAddrs[below(std::size(kAddrs))];
    const char* d = v6 ? kAddrs6[below(std::size(kAddrs6))] : kAddrs[below(std::size(kAddrs))];
    PacketMeta m;
    switch (below(4)) {
      case 0: m = tcp(s, port(), d, port(), uint8_t(below(256)), 40 + below(1460)); break;
      case 1: m = udp(s, port(), d, port(), 28 + below(1472)); break;
      case 2: m = icmp(s, d, below(2) ? 8 : 3, uint8_t(below(4)), 0, 28 + below(100)); break;
      default:
        m.src = IP(s);
        m.dst = IP(d);
        m.proto = 47;  // GRE: no ports
        m.len = 100;
        break;
    }
    m.iif = uint16_t(1 + below(2));
    m.ip_version = v6 ? 6 : 4;
    return m;
  }
};

class Equivalence : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Equivalence, SameVerdictsAndCounters) {
  Gen g(GetParam());
  Chain c;
  c.policy = g.chance(50) ? Action::kAccept : Action::kDrop;
  const size_t n = 100 + g.below(400);
  for (size_t i = 0; i < n; ++i) c.rules.push_back(g.rule(i + 1));
  ASSERT_FALSE(validate(c));
  LinearChain lin(c);
  CompiledChain comp(c);
  LogRing log1(16), log2(16);
  size_t decided_by_rule = 0;
  for (int k = 0; k < 5000; ++k) {
    const PacketMeta m = g.packet();
    const auto ct = static_cast<CtState>(g.below(5));
    const Instant now = Instant::from_nanos(k);
    const Verdict a = lin.evaluate(m, ct, {Hook::kInput, now, &log1});
    const Verdict b = comp.evaluate(m, ct, {Hook::kInput, now, &log2});
    ASSERT_EQ(a.kind, b.kind) << "packet " << k;
    ASSERT_EQ(a.handle, b.handle) << "packet " << k;
    ASSERT_EQ(a.reason, b.reason);
    if (a.handle != 0) ++decided_by_rule;
  }
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(lin.counters(i), comp.counters(i)) << "rule " << i;
  EXPECT_EQ(lin.policy_packets(), comp.policy_packets());
  EXPECT_GT(decided_by_rule, 500u);  // the rules were actually exercised
  EXPECT_GT(comp.exact_buckets(), 5u);
  EXPECT_GT(comp.source_prefix_rules(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Equivalence, ::testing::Range(1u, 9u));

TEST(Compiled, ManyExactPortRulesLandInBuckets) {
  Chain c;
  for (uint16_t p = 1000; p < 1500; ++p) {
    Rule r = rule(Action::kAccept, wire::ip_proto::kTcp);
    r.handle = p;
    r.match.dport = PortRange{p, p};
    c.rules.push_back(r);
  }
  Rule gen = rule(Action::kDrop);
  gen.handle = 9999;
  gen.match.src = PFX("10.9.0.0/16");
  c.rules.push_back(gen);
  CompiledChain comp(c);
  EXPECT_EQ(comp.exact_buckets(), 500u);
  EXPECT_EQ(comp.general_rules(), 0u);
  EXPECT_EQ(comp.source_prefix_rules(), 1u);  // a source prefix: the prefix index
  const Verdict v = comp.evaluate(tcp("10.0.0.1", 5, "10.0.0.2", 1499, 0), CtState::kUntracked, {});
  EXPECT_EQ(v.handle, 1499u);
  const Verdict u = comp.evaluate(udp("10.0.0.1", 5, "10.0.0.2", 1499), CtState::kUntracked, {});
  EXPECT_EQ(u.handle, 0u);  // UDP is another bucket: policy
  const Verdict w = comp.evaluate(tcp("10.9.0.1", 5, "10.0.0.2", 1, 0), CtState::kUntracked, {});
  EXPECT_EQ(w.handle, 9999u);
}

TEST(Compiled, OrderAcrossBucketsIsRuleOrder) {
  // A general rule before an exact one decides first; after it, it does not.
  Chain c;
  Rule gen = rule(Action::kDrop);
  gen.handle = 1;
  gen.match.src = PFX("10.0.0.0/8");
  Rule ex = rule(Action::kAccept, wire::ip_proto::kTcp);
  ex.handle = 2;
  ex.match.dport = PortRange{22, 22};
  c.rules = {gen, ex};
  const PacketMeta m = tcp("10.0.0.1", 5, "10.0.0.2", 22, 0);
  EXPECT_EQ(CompiledChain(c).evaluate(m, CtState::kUntracked, {}).handle, 1u);
  c.rules = {ex, gen};
  EXPECT_EQ(CompiledChain(c).evaluate(m, CtState::kUntracked, {}).handle, 2u);
}

}  // namespace
}  // namespace stackd::ip::filter
