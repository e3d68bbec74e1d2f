// `config show`: the running state rendered on the file as last loaded.
// The result must load (app::parse_config) into exactly the running
// addresses, static routes and PERMANENT neighbours, keep every other
// section, and drop the file's routes that no longer run.
#include "control/config_render.h"

#include <gtest/gtest.h>

#include "app/config.h"

namespace stackd::control {
namespace {

namespace pb = ::stackd::v1;

constexpr std::string_view kFile = R"(# comment
[daemon]
log_level = "debug"

[[interface]]
name = "veth0"
backend = "tap"
addresses = ["10.0.0.2/24"]

[[route]]
to = "10.9.0.0/16"
via = "10.0.0.1"

[[neighbour]]
address = "10.0.0.7"
mac = "02:00:00:00:00:07"
dev = "veth0"

[[service]]
kind = "echo"
proto = "tcp"
port = 7
)";

pb::Route route(std::string dst, std::string via, std::string dev, uint32_t metric) {
  pb::Route r;
  r.set_dst(std::move(dst));
  r.set_via(std::move(via));
  r.set_dev(std::move(dev));
  r.set_metric(metric);
  return r;
}

TEST(ConfigRender, RunningStateReplacesTheFilesRoutesNeighboursAndAddresses) {
  RunningConfig run;
  run.addresses["veth0"] = {"10.0.0.2/24", "2001:db8::2/64"};
  run.routes = {route("10.1.0.0/16", "10.0.0.1", "veth0", 0), route("0.0.0.0/0", "10.0.0.254", "veth0", 5),
                route("2001:db8:1::/48", "2001:db8::1", "veth0", 0)};
  pb::Neighbour n;
  n.set_addr("10.0.0.8");
  n.set_lladdr("02:00:00:00:00:08");
  n.set_dev("veth0");
  run.neighbours = {n};
  std::string err;
  auto text = running_config_text(kFile, "stackd.toml", run, &err);
  ASSERT_TRUE(text) << err;
  auto res = app::parse_config(*text, "shown.toml");
  ASSERT_TRUE(res.ok()) << (res.errors.empty() ? "" : res.errors[0].to_string()) << "\n" << *text;
  const auto& sc = res.config.stack;
  ASSERT_EQ(sc.interfaces.size(), 1u);
  ASSERT_EQ(sc.interfaces[0].addrs.size(), 2u);
  EXPECT_EQ(sc.interfaces[0].addrs[1].to_string(), "2001:db8::2/64");
  ASSERT_EQ(sc.routes.size(), 3u);  // 10.9.0.0/16 is gone: it no longer runs
  EXPECT_EQ(sc.routes[0].dst.to_string(), "10.1.0.0/16");
  EXPECT_EQ(sc.routes[1].dst.to_string(), "0.0.0.0/0");
  EXPECT_EQ(sc.routes[1].metric, 5u);
  EXPECT_EQ(sc.routes[2].dst.to_string(), "2001:db8:1::/48");
  EXPECT_EQ(sc.routes[2].via->to_string(), "2001:db8::1");
  ASSERT_EQ(sc.neighbours.size(), 1u);
  EXPECT_EQ(sc.neighbours[0].addr.to_string(), "10.0.0.8");
  EXPECT_EQ(res.config.daemon.log_level, app::LogLevel::kDebug);  // other sections stay
  EXPECT_EQ(sc.services.size(), 1u);
  EXPECT_EQ(text->find("10.9.0.0"), std::string::npos);
}

TEST(ConfigRender, NoRunningRoutesOrNeighboursLeavesNoTables) {
  RunningConfig run;
  std::string err;
  auto text = running_config_text(kFile, "stackd.toml", run, &err);
  ASSERT_TRUE(text) << err;
  EXPECT_EQ(text->find("[[route]]"), std::string::npos);
  EXPECT_EQ(text->find("[[neighbour]]"), std::string::npos);
  // An interface the running state does not mention keeps its addresses.
  EXPECT_NE(text->find("10.0.0.2/24"), std::string::npos);
}

TEST(ConfigRender, BrokenFileIsAnError) {
  std::string err;
  EXPECT_FALSE(running_config_text("[daemon\n", "x.toml", {}, &err));
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace stackd::control
