// Each match kind of Match::matches() and rule validation.
#include <gtest/gtest.h>

#include "fw_test_util.h"
#include "ip/filter/rule.h"

namespace stackd::ip::filter {
namespace {
using namespace testing;
using namespace wire::tcp_flag;

const PacketMeta kSynPkt = tcp("10.0.0.1", 40000, "10.0.0.2", 22, kSyn);
constexpr CtState kU = CtState::kUntracked;

TEST(Match, EmptyMatchesEverything) {
  EXPECT_TRUE(Match{}.matches(kSynPkt, kU));
  EXPECT_TRUE(Match{}.matches(icmp("1.2.3.4", "10.0.0.2", 8, 0), kU));
}

TEST(Match, Interfaces) {
  Match m;
  m.iif = 1;
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  m.iif = 2;
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  Match o;
  o.oif = 3;
  PacketMeta out = kSynPkt;
  out.iif = 0;
  out.oif = 3;
  EXPECT_TRUE(o.matches(out, kU));
  EXPECT_FALSE(o.matches(kSynPkt, kU));
}

TEST(Match, IpVersion) {
  Match m;
  m.ip_version = 6;
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  m.ip_version = 4;
  EXPECT_TRUE(m.matches(kSynPkt, kU));
}

TEST(Match, Protocol) {
  Match m;
  m.proto = wire::ip_proto::kUdp;
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  EXPECT_TRUE(m.matches(udp("1.1.1.1", 1, "2.2.2.2", 53), kU));
}

TEST(Match, Prefixes) {
  Match m;
  m.src = PFX("10.0.0.0/24");
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  m.src = PFX("10.0.1.0/24");
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  Match d;
  d.dst = PFX("10.0.0.2/32");
  EXPECT_TRUE(d.matches(kSynPkt, kU));
  d.dst = PFX("0.0.0.0/0");
  EXPECT_TRUE(d.matches(kSynPkt, kU));
  d.dst = PFX("::/0");  // another family never matches
  EXPECT_FALSE(d.matches(kSynPkt, kU));
}

TEST(Match, PortsAndRanges) {
  Match m;
  m.proto = wire::ip_proto::kTcp;
  m.dport = PortRange{22, 22};
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  m.dport = PortRange{23, 80};
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  m.dport = PortRange{1, 1024};
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  m.sport = PortRange{40000, 40000};
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  m.sport = PortRange{1, 39999};
  EXPECT_FALSE(m.matches(kSynPkt, kU));
  PacketMeta truncated = kSynPkt;
  truncated.has_ports = false;
  m.sport.reset();
  EXPECT_FALSE(m.matches(truncated, kU));
}

TEST(Match, TcpFlagsMaskValue) {
  // tcp flags & (syn|ack) == syn
  Match m;
  m.proto = wire::ip_proto::kTcp;
  m.tcp_flags_mask = kSyn | kAck;
  m.tcp_flags_value = kSyn;
  EXPECT_TRUE(m.matches(kSynPkt, kU));
  EXPECT_FALSE(m.matches(tcp("10.0.0.1", 1, "10.0.0.2", 22, kSyn | kAck), kU));
  EXPECT_FALSE(m.matches(tcp("10.0.0.1", 1, "10.0.0.2", 22, kAck), kU));
  EXPECT_TRUE(m.matches(tcp("10.0.0.1", 1, "10.0.0.2", 22, kSyn | kEce | kCwr), kU));
}

TEST(Match, IcmpTypeCode) {
  Match m;
  m.proto = wire::ip_proto::kIcmp;
  m.icmp_type = 8;
  EXPECT_TRUE(m.matches(icmp("1.1.1.1", "10.0.0.2", 8, 0), kU));
  EXPECT_FALSE(m.matches(icmp("1.1.1.1", "10.0.0.2", 0, 0), kU));
  m.icmp_type = 3;
  m.icmp_code = 3;
  EXPECT_TRUE(m.matches(icmp("1.1.1.1", "10.0.0.2", 3, 3), kU));
  EXPECT_FALSE(m.matches(icmp("1.1.1.1", "10.0.0.2", 3, 1), kU));
}

TEST(Match, CtStateSet) {
  Match m;
  m.ct_states = ct_bit(CtState::kEstablished) | ct_bit(CtState::kRelated);
  EXPECT_TRUE(m.matches(kSynPkt, CtState::kEstablished));
  EXPECT_TRUE(m.matches(kSynPkt, CtState::kRelated));
  EXPECT_FALSE(m.matches(kSynPkt, CtState::kNew));
  EXPECT_FALSE(m.matches(kSynPkt, CtState::kInvalid));
  EXPECT_FALSE(m.matches(kSynPkt, CtState::kUntracked));
}

TEST(Validate, NamesWhatIsWrong) {
  Rule r;
  EXPECT_FALSE(validate(r));
  r.match.dport = PortRange{22, 22};
  EXPECT_TRUE(validate(r));  // port needs tcp/udp
  r.match.proto = wire::ip_proto::kTcp;
  EXPECT_FALSE(validate(r));
  r.match.dport = PortRange{80, 22};
  EXPECT_TRUE(validate(r));
  Rule f = rule(Action::kAccept, wire::ip_proto::kUdp);
  f.match.tcp_flags_mask = kSyn;
  f.match.tcp_flags_value = kSyn;
  EXPECT_TRUE(validate(f));
  f.match.proto = wire::ip_proto::kTcp;
  EXPECT_FALSE(validate(f));
  f.match.tcp_flags_value = kAck;  // outside the mask
  EXPECT_TRUE(validate(f));
  Rule i = rule(Action::kAccept, wire::ip_proto::kTcp);
  i.match.icmp_type = 8;
  EXPECT_TRUE(validate(i));
  Chain c;
  c.policy = Action::kReject;
  EXPECT_TRUE(validate(c));
}

}  // namespace
}  // namespace stackd::ip::filter
