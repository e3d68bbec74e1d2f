// The daemon's TCP secrets come from getrandom(): never the core's fixed
// test values, and different at every start.
#include <gtest/gtest.h>

#include "app/secrets.h"

namespace stackd::app {
namespace {

TEST(TcpSecrets, DrawnFreshFromTheKernel) {
  stack::TcpSecrets a, b;
  std::string err;
  ASSERT_TRUE(fill_tcp_secrets(a, &err)) << err;
  ASSERT_TRUE(fill_tcp_secrets(b, &err)) << err;
  // 256 random bits: equal or zero halves would mean no randomness.
  EXPECT_NE(a.isn, b.isn);
  EXPECT_NE(a.cookie, b.cookie);
  EXPECT_NE(a.isn, a.cookie);
  EXPECT_NE(a.isn[0] | a.isn[1], 0u);
}

}  // namespace
}  // namespace stackd::app
