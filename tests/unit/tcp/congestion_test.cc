#include "transport/tcp/congestion.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace stackd::tcp {
namespace {

TEST(CongestionRegistry, CreatesByLinuxName) {
  for (std::string_view n : {"reno", "cubic"}) {
    auto cc = make_congestion_control(n);
    ASSERT_NE(cc, nullptr) << n;
    EXPECT_EQ(cc->name(), n);
    CcState s{.mss = 1460};
    cc->init(s, Instant{});
    EXPECT_EQ(s.cwnd, 14600u);
  }
}

TEST(CongestionRegistry, UnknownNameIsNull) {
  EXPECT_EQ(make_congestion_control("bbr"), nullptr);
  EXPECT_EQ(make_congestion_control(""), nullptr);
  EXPECT_EQ(make_congestion_control("Cubic"), nullptr);  // names are case-sensitive, as Linux
}

TEST(CongestionRegistry, AvailableListsEveryCreatableName) {
  const auto names = available_congestion_controls();
  EXPECT_NE(std::find(names.begin(), names.end(), "reno"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cubic"), names.end());
  for (auto n : names) EXPECT_NE(make_congestion_control(n), nullptr) << n;
}

TEST(CongestionRegistry, InstancesAreIndependent) {
  auto a = make_congestion_control("reno");
  auto b = make_congestion_control("reno");
  CcState sa{.mss = 1000}, sb{.mss = 1000};
  a->init(sa, Instant{});
  b->init(sb, Instant{});
  a->on_rto(sa, 20000, Instant{});
  EXPECT_EQ(sa.cwnd, 1000u);
  EXPECT_EQ(sb.cwnd, 10000u);
}

}  // namespace
}  // namespace stackd::tcp
