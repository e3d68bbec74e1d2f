#include "ip/fib.h"

#include <gtest/gtest.h>

#include <random>

namespace stackd::ip {
namespace {

IpPrefix P(const char* s) { return *IpPrefix::parse(s); }
IpAddr A(const char* s) { return *IpAddr::parse(s); }

Route on_link(const char* p, uint16_t ifx, uint32_t metric = 0) {
  Route r;
  r.dst = P(p);
  r.ifindex = ifx;
  r.metric = metric;
  return r;
}

TEST(Fib, LongestPrefixWins) {
  Fib f;
  ASSERT_EQ(f.add(on_link("0.0.0.0/0", 1)), FibStatus::kOk);
  ASSERT_EQ(f.add(on_link("10.0.0.0/8", 2)), FibStatus::kOk);
  ASSERT_EQ(f.add(on_link("10.1.0.0/16", 3)), FibStatus::kOk);
  ASSERT_EQ(f.add(on_link("10.1.2.3/32", 4)), FibStatus::kOk);
  EXPECT_EQ(f.lookup(A("10.1.2.3"))->ifindex, 4);
  EXPECT_EQ(f.lookup(A("10.1.2.4"))->ifindex, 3);
  EXPECT_EQ(f.lookup(A("10.2.0.1"))->ifindex, 2);
  EXPECT_EQ(f.lookup(A("192.168.0.1"))->ifindex, 1);
  EXPECT_EQ(f.size(), 4u);
}

TEST(Fib, NoRouteWithoutDefault) {
  Fib f;
  f.add(on_link("10.0.0.0/24", 1));
  EXPECT_EQ(f.lookup(A("10.0.1.1")), nullptr);
  EXPECT_EQ(f.lookup(A("fd00::1")), nullptr);
}

TEST(Fib, LowestMetricWinsAndAddRejectsDuplicates) {
  Fib f;
  ASSERT_EQ(f.add(on_link("10.0.0.0/24", 1, 100)), FibStatus::kOk);
  ASSERT_EQ(f.add(on_link("10.0.0.0/24", 2, 10)), FibStatus::kOk);
  EXPECT_EQ(f.add(on_link("10.0.0.0/24", 3, 10)), FibStatus::kExists);
  EXPECT_EQ(f.lookup(A("10.0.0.9"))->ifindex, 2);
  ASSERT_EQ(f.remove(P("10.0.0.0/24"), 10u), FibStatus::kOk);
  EXPECT_EQ(f.lookup(A("10.0.0.9"))->ifindex, 1);
  EXPECT_EQ(f.remove(P("10.0.0.0/24"), 10u), FibStatus::kNotFound);
  ASSERT_EQ(f.remove(P("10.0.0.0/24")), FibStatus::kOk);
  EXPECT_EQ(f.lookup(A("10.0.0.9")), nullptr);
  EXPECT_EQ(f.size(), 0u);
}

TEST(Fib, ReplaceOverwritesSameMetric) {
  Fib f;
  Route r = on_link("0.0.0.0/0", 1);
  r.gateway = A("10.0.0.1");
  f.add(r);
  r.gateway = A("10.0.0.254");
  ASSERT_EQ(f.replace(r), FibStatus::kOk);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.lookup(A("8.8.8.8"))->next_hop(A("8.8.8.8")), A("10.0.0.254"));
  EXPECT_EQ(f.find(P("0.0.0.0/0"))->gateway, A("10.0.0.254"));
}

TEST(Fib, HostBitsAreClearedAndConnectedRoutes) {
  Fib f;
  ASSERT_EQ(f.add_connected(P("10.0.0.2/24"), 7), FibStatus::kOk);
  const Route* r = f.lookup(A("10.0.0.77"));
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->connected);
  EXPECT_EQ(r->dst, P("10.0.0.0/24"));
  EXPECT_EQ(r->next_hop(A("10.0.0.77")), A("10.0.0.77"));
  // A /32 address needs no route.
  ASSERT_EQ(f.add_connected(P("10.9.9.9/32"), 7), FibStatus::kOk);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.remove_interface(7), 1u);
  EXPECT_EQ(f.size(), 0u);
}

TEST(Fib, RejectsInvalid) {
  Fib f;
  Route r = on_link("10.0.0.0/8", 1);
  r.gateway = A("fd00::1");
  EXPECT_EQ(f.add(r), FibStatus::kInvalid);
}

TEST(Fib, Ipv6) {
  Fib f;
  f.add(on_link("::/0", 1));
  f.add(on_link("fd00::/16", 2));
  f.add(on_link("fd00:1:2::/48", 3));
  f.add(on_link("fd00:1:2:3:4:5:6:7/128", 4));
  f.add(on_link("10.0.0.0/8", 9));
  EXPECT_EQ(f.lookup(A("fd00:1:2:3:4:5:6:7"))->ifindex, 4);
  EXPECT_EQ(f.lookup(A("fd00:1:2:3:4:5:6:8"))->ifindex, 3);
  EXPECT_EQ(f.lookup(A("fd00:9::1"))->ifindex, 2);
  EXPECT_EQ(f.lookup(A("2001:db8::1"))->ifindex, 1);
  EXPECT_EQ(f.lookup(A("10.1.1.1"))->ifindex, 9);  // families do not mix
  EXPECT_EQ(f.list().size(), 5u);
}

// Thousands of random routes against a brute-force model.
TEST(Fib, RandomAgainstBruteForce) {
  std::mt19937 rng(12345u);
  Fib f;
  std::vector<Route> model;
  auto rand_prefix = [&]() {
    // Cluster addresses so that prefixes nest often.
    uint32_t a = static_cast<uint32_t>((10u << 24) | (rng() & 0x00ff0fff));
    uint8_t len = static_cast<uint8_t>(rng() % 33);
    return IpPrefix{Ipv4Addr{a}, len}.network();
  };
  for (int i = 0; i < 5000; ++i) {
    Route r;
    r.dst = rand_prefix();
    r.metric = rng() % 4;
    r.ifindex = static_cast<uint16_t>(i + 1);
    bool exists = false;
    for (const auto& m : model) exists |= m.dst == r.dst && m.metric == r.metric;
    EXPECT_EQ(f.add(r), exists ? FibStatus::kExists : FibStatus::kOk);
    if (!exists) model.push_back(r);
    if (i % 5 == 4) {  // delete a random one now and then
      size_t k = rng() % model.size();
      ASSERT_EQ(f.remove(model[k].dst, model[k].metric), FibStatus::kOk);
      model.erase(model.begin() + static_cast<long>(k));
    }
  }
  ASSERT_EQ(f.size(), model.size());
  for (int i = 0; i < 20000; ++i) {
    Ipv4Addr a{static_cast<uint32_t>((10u << 24) | (rng() & 0x00ff0fff))};
    if (i % 10 == 0) a.v = static_cast<uint32_t>(rng());
    const Route* best = nullptr;
    for (const auto& m : model) {
      if (!m.dst.contains(a)) continue;
      if (!best || m.dst.len > best->dst.len ||
          (m.dst.len == best->dst.len && m.metric < best->metric))
        best = &m;
    }
    const Route* got = f.lookup_v4(a);
    if (best == nullptr) {
      EXPECT_EQ(got, nullptr);
    } else {
      ASSERT_NE(got, nullptr) << a.to_string();
      EXPECT_EQ(got->ifindex, best->ifindex) << a.to_string();
    }
  }
}

}  // namespace
}  // namespace stackd::ip
