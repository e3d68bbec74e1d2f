// Multicast Listener Discovery, the listener's side (RFC 3810, MLDv1
// compatibility of §8) through the whole stack: the solicited-node groups
// reported when the interface comes up (and once more), queries answered
// within their Maximum Response Delay, invalid queries dropped, an MLDv1
// querier answered in MLDv1, an address removed reported as a leave.
#include "ipv6_fixture.h"
#include "l2/link.h"
#include "wire/mld.h"

namespace stackd::testsupport {
namespace {

const Ipv6Addr kGroup = A6("ff02::1:ff00:2");  // fe80::ff:fe00:2 and fd00::2 share it
const Ipv6Addr kMldRouters = A6("ff02::16");

struct Report {
  Ipv6Addr src, dst;
  uint8_t type = 0;  // 143 (MLDv2), 131/132 (MLDv1)
  std::vector<wire::MldRecord> records;
  Ipv6Addr v1_group;
};

// The MLD messages among `frames`, each checked for what RFC 3810 §5 asks
// of every MLD message: hop limit 1, a Hop-by-Hop header with Router Alert
// (RFC 2711 value 0) first, a valid ICMPv6 checksum, Ethernet 33:33.
std::vector<Report> mld_reports(const std::vector<Bytes>& frames) {
  std::vector<Report> out;
  for (const auto& f : frames) {
    auto p = parse6(f);
    if (!p || p->upper != wire::ip_proto::kIcmpv6 || p->l4.empty()) continue;
    const uint8_t t = p->l4[0];
    if (t != wire::icmpv6_type::kMldv2Report && t != wire::icmpv6_type::kMldReport &&
        t != wire::icmpv6_type::kMldDone)
      continue;
    EXPECT_EQ(p->ip.hop_limit, 1);
    EXPECT_EQ(p->ip.next_header, wire::ip_proto::kHopByHop);
    const uint8_t* hbh = f.data() + 14 + 40;
    EXPECT_EQ(hbh[0], wire::ip_proto::kIcmpv6);
    EXPECT_EQ(hbh[2], 0x05) << "Router Alert";
    EXPECT_EQ(hbh[3], 0x02);
    EXPECT_EQ(hbh[4] << 8 | hbh[5], 0) << "value 0: MLD";
    EXPECT_TRUE(wire::Icmpv6View<const uint8_t>(p->l4).verify_checksum(p->ip.src, p->ip.dst));
    EXPECT_EQ(p->eth_dst, mcast_mac6(p->ip.dst));
    Report r{p->ip.src, p->ip.dst, t, {}, {}};
    if (t == wire::icmpv6_type::kMldv2Report) {
      const size_t n = load_be16(p->l4.data() + 6);
      EXPECT_EQ(p->l4.size(), wire::mldv2_report_len(n));
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* rec = p->l4.data() + 8 + i * wire::kMldv2RecordLen;
        EXPECT_EQ(rec[1], 0);                      // aux data
        EXPECT_EQ(load_be16(rec + 2), 0u);   // sources
        r.records.push_back({rec[0], wire::load_ipv6(rec + 4)});
      }
    } else {
      EXPECT_EQ(p->l4.size(), wire::kMldv1Len);
      r.v1_group = wire::load_ipv6(p->l4.data() + 8);
    }
    out.push_back(r);
  }
  return out;
}

// A query from the peer's link-local address: MLDv2 (28 bytes) or MLDv1 (24).
Bytes query(const Ipv6Addr& group, uint16_t max_resp_code, bool v1 = false, uint8_t hop_limit = 1,
            const Ipv6Addr& src = kPeerLl, const Ipv6Addr& dst = l2::kAllNodes) {
  Bytes icmp(v1 ? wire::kMldv1Len : wire::kMldv2QueryMinLen, 0);
  icmp[0] = wire::icmpv6_type::kMldQuery;
  store_be16(icmp.data() + 4, max_resp_code);
  std::copy(group.b.begin(), group.b.end(), icmp.begin() + 8);
  wire::Icmpv6View<uint8_t>(std::span<uint8_t>(icmp)).fill_checksum(src, dst);
  const uint8_t ra[] = {0x05, 0x02, 0x00, 0x00};
  const Bytes ip = ipv6_packet({src, dst, wire::ip_proto::kHopByHop, hop_limit, 0, 0, 0},
                               cat({options_header(wire::ip_proto::kIcmpv6, ra), icmp}));
  return eth_ipv6(kPeerMac, mcast_mac6(dst), ip);
}

class Mld : public Ipv6Test {
 protected:
  void SetUp() override {
    Ipv6Test::SetUp();
    cfg.interfaces[0].mld = true;
  }
  // Advance in 50 ms steps for `d`; the MLD messages sent meanwhile, with
  // the time of the first one.
  std::vector<Report> watch(Duration d, Instant* first = nullptr) {
    std::vector<Report> all;
    for (Duration t = Duration::zero(); t < d; t = t + Duration::millis(50)) {
      advance(Duration::millis(50));
      auto r = mld_reports(take_tx());
      if (!r.empty() && all.empty() && first != nullptr) *first = now();
      all.insert(all.end(), r.begin(), r.end());
    }
    return all;
  }
};

TEST_F(Mld, JoinIsReportedAtOnceThenOnceMoreWithinOneSecond) {
  boot();
  auto r = mld_reports(dad);
  ASSERT_EQ(r.size(), 1u) << "the State Change Report goes with the interface coming up";
  EXPECT_TRUE(r[0].src.is_unspecified()) << "RFC 3590: no usable link-local address yet";
  EXPECT_EQ(r[0].dst, kMldRouters);
  ASSERT_EQ(r[0].type, wire::icmpv6_type::kMldv2Report);
  // One group: both addresses end in ::2. Never ff02::1 (RFC 3810 §6).
  EXPECT_EQ(r[0].records, (std::vector<wire::MldRecord>{{wire::mld_record::kChangeToExclude, kGroup}}));
  auto again = watch(Duration::seconds(1));
  ASSERT_EQ(again.size(), 1u) << "Robustness Variable 2: one repetition within 1 s";
  EXPECT_EQ(again[0].records, r[0].records);
  EXPECT_TRUE(watch(Duration::seconds(5)).empty()) << "nothing more unasked";
  EXPECT_EQ(counter(Counter::Icmp6OutMLDv2Reports), 2u);
}

TEST_F(Mld, GeneralQueryIsAnsweredWithinItsMaximumResponseDelay) {
  ready();
  watch(Duration::seconds(2));  // the join and its repetition
  const Instant t0 = now();
  send(query(Ipv6Addr{}, 1000));
  run();
  Instant at = Instant::never();
  auto r = watch(Duration::millis(1500), &at);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_LE(at - t0, Duration::millis(1050));
  EXPECT_EQ(r[0].src, kStackLl);
  EXPECT_EQ(r[0].dst, kMldRouters);
  EXPECT_EQ(r[0].records, (std::vector<wire::MldRecord>{{wire::mld_record::kModeIsExclude, kGroup}}));
  EXPECT_EQ(counter(Counter::Icmp6InGroupMembQueries), 1u);
}

TEST_F(Mld, AddressSpecificQueryOnlyForOurGroup) {
  ready();
  watch(Duration::seconds(2));
  send(query(A6("ff02::1:ff00:99"), 500, false, 1, kPeerLl, A6("ff02::1:ff00:99")));
  run();
  EXPECT_TRUE(watch(Duration::seconds(1)).empty()) << "not a member: no answer (and not received)";
  send(query(kGroup, 500, false, 1, kPeerLl, kGroup));
  run();
  auto r = watch(Duration::seconds(1));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].records, (std::vector<wire::MldRecord>{{wire::mld_record::kModeIsExclude, kGroup}}));
}

TEST_F(Mld, QueriesNotFromALinkLocalSourceOrWithHopLimitAboveOneAreDropped) {
  ready();
  watch(Duration::seconds(2));
  send(query(Ipv6Addr{}, 100, false, 2));               // RFC 3810 §5: hop limit 1
  send(query(Ipv6Addr{}, 100, false, 1, kPeerIp6));     // §6.2: link-local source
  run();
  EXPECT_EQ(dropped(DropReason::kMldInvalid), 2u);
  EXPECT_TRUE(watch(Duration::seconds(1)).empty());
}

TEST_F(Mld, AnMldv1QuerierIsAnsweredInMldv1) {
  ready();
  watch(Duration::seconds(2));
  send(query(Ipv6Addr{}, 300, true));  // 24 bytes: MLDv1 (RFC 3810 §8.1)
  run();
  auto r = watch(Duration::millis(500));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, wire::icmpv6_type::kMldReport);
  EXPECT_EQ(r[0].v1_group, kGroup);
  EXPECT_EQ(r[0].dst, kGroup) << "RFC 2710 §4: a report goes to the group itself";
  EXPECT_EQ(counter(Counter::Icmp6OutGroupMembResponses), 1u);
}

TEST_F(Mld, AnAddressRemovedIsReportedAsALeave) {
  cfg.interfaces[0].addrs.push_back(IpPrefix{A6("fd00::abcd"), 64});
  ready();
  const Ipv6Addr other = A6("ff02::1:ff00:abcd");
  watch(Duration::seconds(2));
  EXPECT_EQ(stack().link().mld().groups(1), (std::vector<Ipv6Addr>{kGroup, other}));
  std::erase_if(stack().interfaces()[0]->addrs6, [](const auto& a) { return a.addr == A6("fd00::abcd"); });
  auto r = watch(Duration::millis(1100));  // the once-a-second check finds it
  ASSERT_GE(r.size(), 1u);
  EXPECT_EQ(r[0].records, (std::vector<wire::MldRecord>{{wire::mld_record::kChangeToInclude, other}}));
  EXPECT_EQ(stack().link().mld().groups(1), (std::vector<Ipv6Addr>{kGroup}));
}

TEST(MldWire, MaximumResponseCodeIsExponentialFrom32768) {
  EXPECT_EQ(wire::mld_max_response(1000), Duration::millis(1000));
  EXPECT_EQ(wire::mld_max_response(32767), Duration::millis(32767));
  // 1 | exp 0 | mant 0: 0x1000 << 3 = 32768 ms; 0xffff: 0x1fff << 10.
  EXPECT_EQ(wire::mld_max_response(0x8000), Duration::millis(32768));
  EXPECT_EQ(wire::mld_max_response(0xffff), Duration::millis(int64_t{0x1fff} << 10));
}

}  // namespace
}  // namespace stackd::testsupport
