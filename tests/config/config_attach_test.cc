// [attach]: the client attach socket and its admission (daemon/ipc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/config.h"

namespace stackd::app {
namespace {

constexpr std::string_view kIface = R"(
[[interface]]
name = "veth-sd0"
addresses = ["10.0.0.2/24"]
)";

ConfigResult parse(const std::string& attach) {
  return parse_config(std::string(kIface) + "\n[attach]\n" + attach, "stackd.toml");
}

TEST(ConfigAttach, DefaultsWithoutTheSection) {
  auto r = parse_config(kIface, "stackd.toml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config.attach.enabled);
  EXPECT_EQ(r.config.attach.socket, "/run/stackd/stackd.sock");
  EXPECT_EQ(r.config.attach.mode, 0660u);
  EXPECT_TRUE(r.config.attach.allow_uids.empty());
}

TEST(ConfigAttach, EveryKey) {
  auto r = parse(R"(socket = "/tmp/x/s.sock"
group = "stackd"
mode = "0600"
allow_uids = [1000, 1001]
allow_gids = [42]
raw_uids = [1001]
raw_gids = [43, 44]
max_sockets = 128
max_channels = 8
ring_kib = 64
enabled = false
)");
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  const auto& a = r.config.attach;
  EXPECT_EQ(a.socket, "/tmp/x/s.sock");
  EXPECT_EQ(a.group, "stackd");
  EXPECT_EQ(a.mode, 0600u);
  EXPECT_EQ(a.allow_uids, (std::vector<uint32_t>{1000, 1001}));
  EXPECT_EQ(a.allow_gids, (std::vector<uint32_t>{42}));
  EXPECT_EQ(a.raw_uids, (std::vector<uint32_t>{1001}));
  EXPECT_EQ(a.raw_gids, (std::vector<uint32_t>{43, 44}));
  EXPECT_EQ(a.max_sockets, 128u);
  EXPECT_EQ(a.max_channels, 8u);
  EXPECT_EQ(a.ring_kib, 64u);
  EXPECT_FALSE(a.enabled);
}

TEST(ConfigAttach, ErrorsNameFileLineAndKey) {
  auto r = parse("mode = \"0999\"\nring_kib = 100\nsocket = \"relative\"\nallow_uids = [-1]\nbogus = 1\n");
  ASSERT_EQ(r.errors.size(), 5u);
  EXPECT_EQ(r.errors[0].to_string(), "stackd.toml:7:1: attach.mode: expected an octal mode like \"0660\", got \"0999\"");
  EXPECT_EQ(r.errors[1].to_string(), "stackd.toml:8:1: attach.ring_kib: expected a power of two in 4..16384, got 100");
  EXPECT_NE(r.errors[2].to_string().find("attach.socket: expected an absolute path"), std::string::npos);
  EXPECT_NE(r.errors[3].to_string().find("attach.allow_uids[0]: expected an integer in 0..4294967294, got -1"),
            std::string::npos);
  EXPECT_NE(r.errors[4].to_string().find("attach.bogus: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace stackd::app
