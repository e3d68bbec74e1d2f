// stackctl's tables: ss -p/-e owner columns, inet/inet6 address lines with
// IPv6 flags, IPv6 default routes, and `config show` with the rule set as
// commands.
#include "render.h"

#include <gtest/gtest.h>

namespace stackctl {
namespace {

pb::Connection conn() {
  pb::Connection c;
  c.set_netid("tcp");
  c.set_state("ESTAB");
  c.set_local("10.0.0.2:40000");
  c.set_peer("10.0.0.1:7100");
  c.set_index(3);
  return c;
}

TEST(Render, ConnectionOwnerAsSsPrintsIt) {
  pb::Connection c = conn();
  c.set_pid(4242);
  c.set_comm("nginx");
  c.set_uid(33);
  EXPECT_NE(render(c, false, false, true).find(R"( users:(("nginx",pid=4242)))"), std::string::npos);
  EXPECT_EQ(render(c, false, false, false).find("users:"), std::string::npos);
  EXPECT_NE(render(c, false, true, false).find(" uid:33 ino:3"), std::string::npos);
  // No owner (an orphan): no users, no uid.
  pb::Connection o = conn();
  EXPECT_EQ(render(o, false, true, true).find("users:"), std::string::npos);
  EXPECT_EQ(render(o, false, true, true).find("uid:"), std::string::npos);
}

TEST(Render, AddressesByFamilyWithFlags) {
  pb::ListAddressesResponse r;
  auto* a = r.add_addresses();
  a->set_dev("veth0");
  a->set_prefix("10.0.0.2/24");
  a = r.add_addresses();
  a->set_dev("veth0");
  a->set_prefix("2001:db8::2/64");
  a->set_flags("tentative");
  EXPECT_EQ(render(r), "veth0: inet 10.0.0.2/24\nveth0: inet6 2001:db8::2/64 tentative\n");
}

TEST(Render, Ipv6DefaultRoute) {
  pb::Route r;
  r.set_dst("::/0");
  r.set_via("fe80::1");
  r.set_dev("veth0");
  r.set_metric(1024);
  EXPECT_EQ(render(r), "default via fe80::1 dev veth0 metric 1024");
}

TEST(Render, ConfigShowAppendsTheRulesAsCommands) {
  pb::ConfigShowResponse r;
  r.set_text("[daemon]\n");
  EXPECT_EQ(render(r), "[daemon]\n");  // no rules, accept policies: the file alone
  auto* x = r.mutable_firewall()->add_rules();
  x->set_hook(pb::HOOK_INPUT);
  x->mutable_match()->set_protocol(6);
  x->mutable_match()->mutable_dport()->set_lo(22);
  x->mutable_match()->mutable_dport()->set_hi(22);
  x->set_verdict(pb::VERDICT_DROP);
  const std::string o = render(r);
  EXPECT_NE(o.find("#   stackctl fw add input tcp dport 22 drop\n"), std::string::npos) << o;
  EXPECT_NE(o.find("#   stackctl fw policy input accept\n"), std::string::npos) << o;
}

}  // namespace
}  // namespace stackctl
