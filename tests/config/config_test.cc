// The TOML config parser: every field of the schema, defaults, and one test
// per error class, checking the whole message (file:line:column: key: what).
#include "app/config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace stackd::app {
namespace {

std::vector<std::string> errors_of(std::string_view text) {
  auto res = parse_config(text, "stackd.toml");
  std::vector<std::string> out;
  for (const auto& e : res.errors) out.push_back(e.to_string());
  return out;
}

constexpr std::string_view kIface = R"(
[[interface]]
name = "veth-sd0"
addresses = ["10.0.0.2/24"]
)";

TEST(Config, FullExampleParses) {
  auto res = parse_config(R"(
[daemon]
log_level = "debug"
busy_poll_us = 20
umem_frames = 8192

[[interface]]
name = "veth-sd0"
backend = "af_xdp"
mac = "02:00:00:00:00:02"
mtu = 9000
addresses = ["10.0.0.2/24", "fd00::2/64"]

[[interface]]
name = "tap0"
backend = "tap"
addresses = ["10.9.0.2/24"]

[[route]]
to = "10.1.0.0/16"
via = "10.0.0.1"
dev = "veth-sd0"
metric = 5
mtu = 1400

[[route]]
to = "default"
via = "10.9.0.1"

[[neighbour]]
address = "10.0.0.9"
mac = "02:00:00:00:00:09"
dev = "veth-sd0"

[[service]]
kind = "echo"
proto = "udp"
port = 7007
address = "10.0.0.2"

[[service]]
kind = "discard"
)",
                          "stackd.toml");
  ASSERT_TRUE(res.ok()) << res.errors[0].to_string();
  const auto& c = res.config;
  EXPECT_EQ(c.daemon.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.daemon.busy_poll_us, 20u);
  EXPECT_EQ(c.daemon.umem_frames, 8192u);
  ASSERT_EQ(c.stack.interfaces.size(), 2u);
  const auto& i0 = c.stack.interfaces[0];
  EXPECT_EQ(i0.name, "veth-sd0");
  EXPECT_EQ(i0.backend, stack::Backend::kAfXdp);
  ASSERT_TRUE(i0.mac);
  EXPECT_EQ(i0.mac->to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(i0.mtu, 9000u);
  ASSERT_EQ(i0.addrs.size(), 2u);
  EXPECT_EQ(i0.addrs[0].to_string(), "10.0.0.2/24");
  EXPECT_EQ(i0.addrs[1].to_string(), "fd00::2/64");
  EXPECT_EQ(c.stack.interfaces[1].backend, stack::Backend::kTap);
  EXPECT_FALSE(c.stack.interfaces[1].mac);
  EXPECT_EQ(c.stack.interfaces[1].mtu, 1500u);

  ASSERT_EQ(c.stack.routes.size(), 2u);
  EXPECT_EQ(c.stack.routes[0].dst.to_string(), "10.1.0.0/16");
  ASSERT_TRUE(c.stack.routes[0].via);
  EXPECT_EQ(c.stack.routes[0].via->to_string(), "10.0.0.1");
  EXPECT_EQ(c.stack.routes[0].dev, "veth-sd0");
  EXPECT_EQ(c.stack.routes[0].metric, 5u);
  EXPECT_EQ(c.stack.routes[0].mtu, 1400u);
  EXPECT_EQ(c.stack.routes[1].dst.to_string(), "0.0.0.0/0");
  EXPECT_EQ(c.stack.routes[1].dev, "");

  ASSERT_EQ(c.stack.neighbours.size(), 1u);
  EXPECT_EQ(c.stack.neighbours[0].addr.to_string(), "10.0.0.9");
  EXPECT_EQ(c.stack.neighbours[0].mac.to_string(), "02:00:00:00:00:09");
  EXPECT_EQ(c.stack.neighbours[0].dev, "veth-sd0");

  ASSERT_EQ(c.stack.services.size(), 2u);
  EXPECT_EQ(c.stack.services[0].kind, stack::ServiceKind::kEcho);
  EXPECT_EQ(c.stack.services[0].proto, stack::ServiceProto::kUdp);
  EXPECT_EQ(c.stack.services[0].port, 7007);
  ASSERT_TRUE(c.stack.services[0].addr);
  EXPECT_EQ(c.stack.services[0].addr->to_string(), "10.0.0.2");
  EXPECT_EQ(c.stack.services[1].kind, stack::ServiceKind::kDiscard);
  EXPECT_EQ(c.stack.services[1].port, 9);  // RFC 863 default
  EXPECT_FALSE(c.stack.services[1].addr);
}

TEST(Config, Ipv6AddressesAndTheIpv6Switch) {
  auto res = parse_config(R"([[interface]]
name = "veth-sd0"
addresses = ["fd00::2/64", "10.0.0.2/24"]
[[interface]]
name = "tap0"
ipv6 = false
accept_ra = true
mld = false
addresses = ["10.9.0.2/24"]
)",
                          "x.toml");
  ASSERT_TRUE(res.ok()) << testing::PrintToString(res.errors);
  const auto& i = res.config.stack.interfaces;
  EXPECT_EQ(i[0].addrs[0], (IpPrefix{*Ipv6Addr::parse("fd00::2"), 64}));
  EXPECT_TRUE(i[0].ipv6);  // the default: link-local address, ND
  EXPECT_FALSE(i[1].ipv6);
  EXPECT_FALSE(i[0].accept_ra);  // the default
  EXPECT_TRUE(i[1].accept_ra);
  EXPECT_TRUE(i[0].mld);  // the default: MLD reports (RFC 3810)
  EXPECT_FALSE(i[1].mld);
  auto errs = errors_of(R"([[interface]]
name = "veth-sd0"
ipv6 = "yes"
addresses = ["::1/128"]
)");
  ASSERT_EQ(errs.size(), 2u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0], "stackd.toml:3:1: interface[0].ipv6: expected true or false, got a string");
  EXPECT_EQ(errs[1], "stackd.toml:4:14: interface[0].addresses[0]: expected a unicast address, got \"::1/128\"");
}

TEST(Config, CongestionControlPerServiceAndStackWide) {
  auto res = parse_config(std::string(kIface) + R"([tcp]
congestion = "reno"
[[service]]
kind = "chargen"
proto = "tcp"
congestion = "cubic"
[[service]]
kind = "discard"
proto = "tcp"
)",
                          "x.toml");
  ASSERT_TRUE(res.ok()) << testing::PrintToString(res.errors);
  EXPECT_EQ(res.config.stack.tcp.congestion, "reno");
  EXPECT_EQ(res.config.stack.services[0].congestion, "cubic");
  EXPECT_EQ(res.config.stack.services[1].congestion, "");  // the [tcp] default applies

  auto def = parse_config(std::string(kIface), "x.toml");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def.config.stack.tcp.congestion, "cubic");  // Linux's default

  auto errs = errors_of(std::string(kIface) + R"([tcp]
congestion = "bbr"
window = 1
[[service]]
kind = "echo"
proto = "tcp"
congestion = "vegas"
[[service]]
kind = "echo"
congestion = "reno"
)");
  ASSERT_EQ(errs.size(), 4u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0], "stackd.toml:6:1: tcp.congestion: expected one of reno, cubic, got \"bbr\"");
  EXPECT_EQ(errs[1].substr(0, 32), "stackd.toml:7:1: tcp.window: unk");
  EXPECT_EQ(errs[2],
            "stackd.toml:11:1: service[0].congestion: expected one of reno, cubic, got \"vegas\"");
  EXPECT_EQ(errs[3], "stackd.toml:14:1: service[1].congestion: congestion applies to tcp services only");
}

TEST(Config, Defaults) {
  auto res = parse_config(std::string(kIface) + "[[service]]\nkind = \"echo\"\n", "x.toml");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res.config.daemon.log_level, LogLevel::kInfo);
  EXPECT_EQ(res.config.daemon.busy_poll_us, 50u);
  EXPECT_EQ(res.config.daemon.umem_frames, 2048u);
  EXPECT_EQ(res.config.stack.interfaces[0].backend, stack::Backend::kAuto);
  EXPECT_EQ(res.config.stack.interfaces[0].mtu, 1500u);
  EXPECT_EQ(res.config.stack.services[0].port, 7);  // RFC 862 default
}

TEST(Config, ControlSection) {
  auto def = parse_config(kIface, "x.toml");
  ASSERT_TRUE(def.ok());
  EXPECT_TRUE(def.config.control.enabled);
  EXPECT_EQ(def.config.control.socket, "/run/stackd/control.sock");
  EXPECT_EQ(def.config.control.group, "stackd");
  EXPECT_EQ(def.config.control.admin_group, "");
  EXPECT_EQ(def.config.control.tcp_port, 0);
  EXPECT_FALSE(def.config.control.configured);
  auto res = parse_config(std::string(kIface) + R"([control]
enabled = false
socket = "/tmp/s.sock"
group = "users"
admin_group = "adm"
tcp_port = 9901
)", "x.toml");
  ASSERT_TRUE(res.ok());
  EXPECT_FALSE(res.config.control.enabled);
  EXPECT_EQ(res.config.control.socket, "/tmp/s.sock");
  EXPECT_EQ(res.config.control.group, "users");
  EXPECT_EQ(res.config.control.admin_group, "adm");
  EXPECT_EQ(res.config.control.tcp_port, 9901);
  EXPECT_TRUE(res.config.control.configured);
  EXPECT_EQ(res.config.control.metrics_listen, "");
  auto m = parse_config(std::string(kIface) + "[control]\nmetrics_listen = \"127.0.0.1:9464\"\n", "x.toml");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.config.control.metrics_listen, "127.0.0.1:9464");
  EXPECT_TRUE(parse_config(std::string(kIface) + "[control]\nmetrics_listen = \"[::1]:80\"\n", "x.toml").ok());
  for (const char* bad : {"10.0.0.2:9464", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:9464", "[2001:db8::1]:1"}) {
    auto r = parse_config(std::string(kIface) + "[control]\nmetrics_listen = \"" + bad + "\"\n", "x.toml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.errors[0].to_string().find("control.metrics_listen: expected a loopback address"), std::string::npos)
        << r.errors[0].to_string();
  }
  EXPECT_EQ(errors_of(R"([control]
socket = "relative.sock"
tcp_port = 70000
port = 1
)"),
            (std::vector<std::string>{
                "stackd.toml:1:1: interface: at least one [[interface]] is required",
                "stackd.toml:2:1: control.socket: expected an absolute path of at most 107 bytes, got \"relative.sock\"",
                "stackd.toml:3:1: control.tcp_port: expected an integer in 0..65535, got 70000",
                "stackd.toml:4:1: control.port: unknown key (expected one of: enabled, socket, group, admin_group, "
                "tcp_port, metrics_listen)"}));
}

TEST(Config, MtuOutOfRangeNamesFileLineKeyAndRange) {
  EXPECT_EQ(errors_of(R"([[interface]]
name = "veth-sd0"
mtu = 70000
)"),
            std::vector<std::string>{
                "stackd.toml:3:1: interface[0].mtu: expected an integer in 68..9000, got 70000"});
}

TEST(Config, WrongTypeSaysWhatWasGiven) {
  EXPECT_EQ(errors_of(R"([[interface]]
name = "veth-sd0"
mtu = "big"
)"),
            std::vector<std::string>{
                "stackd.toml:3:1: interface[0].mtu: expected an integer in 68..9000, got a string"});
}

TEST(Config, UnknownKeysAtEveryLevel) {
  auto errs = errors_of(R"(colour = "blue"
[daemon]
verbose = true
[[interface]]
name = "veth-sd0"
adresses = ["10.0.0.2/24"]
[[route]]
to = "default"
dev = "veth-sd0"
gateway = "10.0.0.1"
)");
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0],
            "stackd.toml:1:1: colour: unknown key (expected one of: daemon, control, interface, route, "
            "neighbour, service, tcp, attach)");
  EXPECT_EQ(errs[1],
            "stackd.toml:3:1: daemon.verbose: unknown key (expected one of: log_level, busy_poll_us, "
            "umem_frames)");
  EXPECT_EQ(errs[2],
            "stackd.toml:6:1: interface[0].adresses: unknown key (expected one of: name, backend, mac, "
            "mtu, addresses, ipv6, accept_ra, mld)");
  EXPECT_EQ(errs[3],
            "stackd.toml:10:1: route[0].gateway: unknown key (expected one of: to, via, dev, metric, mtu)");
}

TEST(Config, ReturnsAllErrorsInFileOrder) {
  auto errs = errors_of(R"([daemon]
log_level = "loud"
busy_poll_us = -1
umem_frames = 1000
[[interface]]
name = "veth-sd0"
backend = "dpdk"
mac = "01:00:5e:00:00:01"
addresses = ["10.0.0.2", "10.0.0.300/24"]
)");
  ASSERT_EQ(errs.size(), 7u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0], "stackd.toml:2:1: daemon.log_level: expected one of error, warn, info, debug, got \"loud\"");
  EXPECT_EQ(errs[1], "stackd.toml:3:1: daemon.busy_poll_us: expected an integer in 0..1000000, got -1");
  EXPECT_EQ(errs[2], "stackd.toml:4:1: daemon.umem_frames: expected a power of two in 256..1048576, got 1000");
  EXPECT_EQ(errs[3], "stackd.toml:7:1: interface[0].backend: expected one of af_xdp, tap, auto, got \"dpdk\"");
  EXPECT_EQ(errs[4],
            "stackd.toml:8:1: interface[0].mac: expected a unicast, non-zero MAC address, got "
            "\"01:00:5e:00:00:01\"");
  EXPECT_EQ(errs[5],
            "stackd.toml:9:14: interface[0].addresses[0]: expected an address with prefix length like "
            "10.0.0.2/24, got \"10.0.0.2\"");
  EXPECT_EQ(errs[6],
            "stackd.toml:9:26: interface[0].addresses[1]: expected an address with prefix length like "
            "10.0.0.2/24, got \"10.0.0.300/24\"");
}

TEST(Config, SyntaxErrorHasPosition) {
  auto res = parse_config("[daemon]\nlog_level = \n", "bad.toml");
  ASSERT_EQ(res.errors.size(), 1u);
  EXPECT_EQ(res.errors[0].file, "bad.toml");
  EXPECT_EQ(res.errors[0].line, 2u);
  EXPECT_TRUE(res.errors[0].key.empty());
  EXPECT_EQ(res.errors[0].to_string().rfind("bad.toml:2:", 0), 0u) << res.errors[0].to_string();
}

TEST(Config, AtLeastOneInterface) {
  EXPECT_EQ(errors_of("[daemon]\n"),
            std::vector<std::string>{"stackd.toml:1:1: interface: at least one [[interface]] is required"});
}

TEST(Config, SingleTableWhereArrayOfTablesExpected) {
  auto errs = errors_of(std::string(kIface) + "[service]\nkind = \"echo\"\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("service: expected an array of tables ([[service]]), got a table"),
            std::string::npos)
      << errs[0];
}

TEST(Config, MissingRequiredKeys) {
  auto errs = errors_of(R"([[interface]]
mtu = 1500
[[neighbour]]
dev = "x"
)");
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0], "stackd.toml:1:1: interface[0].name: missing required key");
  EXPECT_EQ(errs[1], "stackd.toml:3:1: neighbour[0].address: missing required key");
  EXPECT_EQ(errs[2], "stackd.toml:3:1: neighbour[0].mac: missing required key");
  EXPECT_EQ(errs[3], "stackd.toml:4:1: neighbour[0].dev: no [[interface]] named \"x\"");
}

TEST(Config, InterfaceNameRules) {
  auto errs = errors_of("[[interface]]\nname = \"a-very-long-interface-name\"\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("interface[0].name: expected an interface name of 1..15 characters"),
            std::string::npos);
}

TEST(Config, DuplicateInterfacesAndAddresses) {
  auto errs = errors_of(R"([[interface]]
name = "eth0"
addresses = ["10.0.0.2/24"]
[[interface]]
name = "eth0"
addresses = ["10.0.0.2/16"]
)");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0], "stackd.toml:5:1: interface[1].name: duplicate interface \"eth0\" (also interface[0])");
  EXPECT_EQ(errs[1],
            "stackd.toml:6:14: interface[1].addresses[0]: duplicate address 10.0.0.2 (also "
            "interface[0].addresses[0])");
}

TEST(Config, RouteDevMustBeAConfiguredInterface) {
  auto errs = errors_of(std::string(kIface) + R"([[route]]
to = "10.1.0.0/16"
via = "10.0.0.1"
dev = "eth7"
)");
  EXPECT_EQ(errs, std::vector<std::string>{
                      "stackd.toml:8:1: route[0].dev: no [[interface]] named \"eth7\""});
}

TEST(Config, RouteChecks) {
  auto errs = errors_of(std::string(kIface) + R"([[route]]
to = "10.1.0.1/16"
dev = "veth-sd0"
[[route]]
to = "10.2.0.0/16"
[[route]]
to = "10.3.0.0/16"
via = "192.168.1.1"
[[route]]
to = "10.4.0.0/16"
via = "fd00::1"
dev = "veth-sd0"
[[route]]
to = "10.5.0.0/16"
dev = "veth-sd0"
[[route]]
to = "10.5.0.0/16"
via = "10.0.0.1"
[[route]]
to = "nowhere"
dev = "veth-sd0"
)");
  ASSERT_EQ(errs.size(), 6u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0],
            "stackd.toml:6:1: route[0].to: \"10.1.0.1/16\" has host bits set; did you mean "
            "\"10.1.0.0/16\"?");
  EXPECT_EQ(errs[1], "stackd.toml:8:1: route[1]: an on-link route needs \"dev\" (or give \"via\")");
  EXPECT_EQ(errs[2],
            "stackd.toml:12:1: route[2].via: gateway 192.168.1.1 is on no configured interface's "
            "subnet; add \"dev\"");
  EXPECT_EQ(errs[3],
            "stackd.toml:15:1: route[3].via: gateway fd00::1 is not in the same address family as "
            "10.4.0.0/16");
  EXPECT_EQ(errs[4],
            "stackd.toml:21:1: route[5].to: duplicate route to 10.5.0.0/16 metric 0 (also route[4])");
  EXPECT_EQ(errs[5],
            "stackd.toml:24:1: route[6].to: expected a prefix like 10.1.0.0/16 or \"default\", got "
            "\"nowhere\"");
}

TEST(Config, RouteViaOnLinkWithoutDevIsAccepted) {
  auto res = parse_config(std::string(kIface) + "[[route]]\nto = \"default\"\nvia = \"10.0.0.1\"\n",
                          "stackd.toml");
  EXPECT_TRUE(res.ok());
}

TEST(Config, NeighbourChecks) {
  auto errs = errors_of(std::string(kIface) + R"([[neighbour]]
address = "10.0.0.9"
mac = "02:00:00:00:00:09"
dev = "veth-sd0"
[[neighbour]]
address = "10.0.0.9"
mac = "02:00:00:00:00:0a"
dev = "veth-sd0"
[[neighbour]]
address = "10.0.0.10"
mac = "zz:00:00:00:00:09"
dev = "veth-sd0"
)");
  ASSERT_EQ(errs.size(), 2u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0],
            "stackd.toml:10:1: neighbour[1].address: duplicate neighbour 10.0.0.9 on veth-sd0 (also "
            "neighbour[0])");
  EXPECT_EQ(errs[1],
            "stackd.toml:15:1: neighbour[2].mac: expected a MAC address like 02:00:00:00:00:01, got "
            "\"zz:00:00:00:00:09\"");
}

TEST(Config, ServiceChecks) {
  auto errs = errors_of(std::string(kIface) + R"([[service]]
kind = "echo"
proto = "tcp"
[[service]]
kind = "chargen"
port = 0
[[service]]
kind = "discard"
address = "10.0.0.3"
[[service]]
kind = "echo"
[[service]]
kind = "echo"
address = "10.0.0.2"
[[service]]
port = 5
)");
  // An entry with an error of its own takes no part in duplicate checks;
  // service[0] (echo/tcp on 7) does not collide with the udp echoes.
  ASSERT_EQ(errs.size(), 5u) << testing::PrintToString(errs);
  EXPECT_EQ(errs[0],
            "stackd.toml:8:1: service[1].proto: chargen is a tcp service (RFC 864 over UDP is not "
            "provided)");
  EXPECT_EQ(errs[1], "stackd.toml:10:1: service[1].port: expected an integer in 1..65535, got 0");
  EXPECT_EQ(errs[2], "stackd.toml:13:1: service[2].address: 10.0.0.3 is not an address of any [[interface]]");
  EXPECT_EQ(errs[3], "stackd.toml:16:1: service[4].port: port 7/udp is already used by service[3]");
  EXPECT_EQ(errs[4], "stackd.toml:19:1: service[5].kind: missing required key");
}

TEST(Config, LoadConfigReadsFileAndReportsUnreadable) {
  auto missing = load_config("/nonexistent/stackd.toml");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string(),
            "/nonexistent/stackd.toml: cannot open: No such file or directory");

  char path[] = "/tmp/stackd-config-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    std::ofstream out(path);
    out << kIface;
  }
  auto res = load_config(path);
  std::remove(path);
  close(fd);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res.config.stack.interfaces[0].name, "veth-sd0");
}

TEST(Config, LogLevelNamesRoundTrip) {
  for (auto l : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug})
    EXPECT_EQ(parse_log_level(log_level_name(l)), l);
  EXPECT_FALSE(parse_log_level("trace"));
}

}  // namespace
}  // namespace stackd::app

namespace stackd::app {
namespace {

// The documented example must stay valid as the schema changes.
TEST(Config, DeployExampleIsValid) {
  auto res = load_config(STACKD_EXAMPLE_CONFIG);
  for (const auto& e : res.errors) ADD_FAILURE() << e.to_string();
  EXPECT_EQ(res.config.stack.interfaces.size(), 1u);
  EXPECT_EQ(res.config.stack.services.size(), 2u);
}

}  // namespace
}  // namespace stackd::app
