// The shim's loopback decision: which bind/connect addresses hand the
// socket over to the kernel (STACKD_LOOPBACK=kernel, the default).
#include "policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <cstddef>

namespace stackd::shim {
namespace {

bool v4(const char* a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, a, &s.sin_addr), 1) << a;
  return is_loopback(reinterpret_cast<const sockaddr*>(&s), sizeof(s));
}

bool v6(const char* a, socklen_t len = sizeof(sockaddr_in6)) {
  sockaddr_in6 s{};
  s.sin6_family = AF_INET6;
  s.sin6_port = htons(80);
  EXPECT_EQ(inet_pton(AF_INET6, a, &s.sin6_addr), 1) << a;
  return is_loopback(reinterpret_cast<const sockaddr*>(&s), len);
}

TEST(ShimPolicy, Ipv4LoopbackIs127Slash8) {
  EXPECT_TRUE(v4("127.0.0.1"));
  EXPECT_TRUE(v4("127.255.1.2"));
  EXPECT_FALSE(v4("10.0.0.1"));
  EXPECT_FALSE(v4("0.0.0.0"));
  EXPECT_FALSE(v4("128.0.0.1"));
}

TEST(ShimPolicy, Ipv6LoopbackAndV4MappedLoopbackGoToTheKernel) {
  EXPECT_TRUE(v6("::1"));
  EXPECT_TRUE(v6("::ffff:127.0.0.1"));
  EXPECT_TRUE(v6("::ffff:127.9.8.7"));
}

TEST(ShimPolicy, OtherIpv6AddressesGoToStackd) {
  EXPECT_FALSE(v6("::"));               // a dual-stack wildcard bind
  EXPECT_FALSE(v6("fd00::1"));
  EXPECT_FALSE(v6("::ffff:10.0.0.1"));  // v4-mapped, not loopback
  EXPECT_FALSE(v6("::ffff:0.0.0.0"));
  EXPECT_FALSE(v6("::127.0.0.1"));      // v4-compatible (deprecated), not v4-mapped
  EXPECT_FALSE(v6("fe80::1"));
  EXPECT_FALSE(v6("::2"));
}

TEST(ShimPolicy, Ipv6LengthWithoutScopeIdIsEnough) {
  // Linux SIN6_LEN_RFC2133 (24 bytes) is a valid sockaddr_in6 length.
  EXPECT_TRUE(v6("::1", offsetof(sockaddr_in6, sin6_scope_id)));
  EXPECT_FALSE(v6("::1", offsetof(sockaddr_in6, sin6_scope_id) - 1));
  EXPECT_FALSE(v6("::1", sizeof(sockaddr_in)));
}

TEST(ShimPolicy, ShortOrForeignAddressesAreNotLoopback) {
  EXPECT_FALSE(is_loopback(nullptr, 0));
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_FALSE(is_loopback(reinterpret_cast<const sockaddr*>(&s), sizeof(s) - 1));
  sockaddr_in6 s6{};
  s6.sin6_family = AF_UNIX;
  s6.sin6_addr = in6addr_loopback;
  EXPECT_FALSE(is_loopback(reinterpret_cast<const sockaddr*>(&s6), sizeof(s6)));
}

}  // namespace
}  // namespace stackd::shim
