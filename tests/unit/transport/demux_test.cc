#include "transport/demux.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace stackd::transport {
namespace {

struct U32Hash {
  size_t operator()(uint32_t k) const noexcept { return k & 0xff; }  // many collisions
};

TEST(FlatTable, RandomAgainstUnorderedMap) {
  FlatTable<uint32_t, uint32_t, U32Hash> t(4);
  std::unordered_map<uint32_t, uint32_t> model;
  std::mt19937 rng(7u);
  for (int i = 0; i < 200000; ++i) {
    uint32_t k = static_cast<uint32_t>(rng() % 2000);
    switch (rng() % 3) {
      case 0: {
        bool fresh = model.emplace(k, static_cast<uint32_t>(i)).second;
        ASSERT_EQ(t.insert(k, static_cast<uint32_t>(i)), fresh);
        break;
      }
      case 1:
        ASSERT_EQ(t.erase(k), model.erase(k) == 1);
        break;
      default: {
        auto it = model.find(k);
        uint32_t* v = t.find(k);
        ASSERT_EQ(v != nullptr, it != model.end());
        if (v) {
          ASSERT_EQ(*v, it->second);
        }
      }
    }
    ASSERT_EQ(t.size(), model.size());
  }
}

TEST(EndpointTable, ExactBeforeWildcard) {
  EndpointTable<int> t;
  IpAddr any = Ipv4Addr::any(), a = Ipv4Addr::from_octets(10, 0, 0, 2),
         b = Ipv4Addr::from_octets(10, 0, 0, 3);
  ASSERT_TRUE(t.insert(any, 53, 1));
  EXPECT_EQ(*t.lookup(AddrKey::of(a), 53), 1);
  ASSERT_TRUE(t.insert(a, 53, 2));
  EXPECT_EQ(*t.lookup(AddrKey::of(a), 53), 2);
  EXPECT_EQ(*t.lookup(AddrKey::of(b), 53), 1);
  EXPECT_EQ(t.lookup(AddrKey::of(a), 54), nullptr);
  EXPECT_FALSE(t.insert(a, 53, 3));
  ASSERT_TRUE(t.erase(any, 53));
  EXPECT_EQ(t.lookup(AddrKey::of(b), 53), nullptr);
  EXPECT_EQ(*t.lookup(AddrKey::of(a), 53), 2);
  // Families do not mix.
  EXPECT_EQ(t.lookup(AddrKey::of(IpAddr(*Ipv6Addr::parse("fd00::2"))), 53), nullptr);
}

TEST(EndpointTable, Conflicts) {
  EndpointTable<int> t;
  IpAddr any = Ipv4Addr::any(), a = Ipv4Addr::from_octets(10, 0, 0, 2),
         b = Ipv4Addr::from_octets(10, 0, 0, 3);
  t.insert(a, 7, 1);
  EXPECT_TRUE(t.conflicts(a, 7));
  EXPECT_FALSE(t.conflicts(b, 7));
  EXPECT_TRUE(t.conflicts(any, 7));  // the wildcard would shadow a's socket
  EXPECT_FALSE(t.conflicts(any, 8));
  t.erase(a, 7);
  EXPECT_FALSE(t.conflicts(any, 7));
  t.insert(any, 9, 1);
  EXPECT_TRUE(t.conflicts(a, 9));
}

TEST(FlowTable, FourTuples) {
  FlowTable<int> t;
  FlowKey k{{AddrKey::of(Ipv4Addr::from_octets(10, 0, 0, 2)), 80},
            {AddrKey::of(Ipv4Addr::from_octets(10, 0, 0, 1)), 40000}};
  ASSERT_TRUE(t.insert(k, 5));
  EXPECT_EQ(*t.find(k), 5);
  FlowKey k2 = k;
  k2.remote.port = 40001;
  EXPECT_EQ(t.find(k2), nullptr);
  EXPECT_TRUE(t.erase(k));
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace stackd::transport
