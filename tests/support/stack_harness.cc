#include "support/stack_harness.h"

#include "wire/arp.h"
#include "support/frames6.h"
#include "wire/ethernet.h"
#include "wire/icmpv6.h"
#include "wire/ndp.h"

namespace stackd::testsupport {

stack::StackConfig default_config() {
  stack::StackConfig c;
  stack::InterfaceConfig eth;
  eth.name = "eth0";
  eth.mac = kStackMac;
  eth.addrs.push_back(IpPrefix{kStackIp, 24});
  // No MLD reports (their random repeats would land among what the other
  // tests expect); tests/packet/ipv6_mld_test.cc turns them on.
  eth.mld = false;
  c.interfaces.push_back(eth);
  c.services.push_back({stack::ServiceKind::kEcho, stack::ServiceProto::kUdp, std::nullopt, 7});
  c.services.push_back({stack::ServiceKind::kDiscard, stack::ServiceProto::kUdp, std::nullopt, 9});
  return c;
}

StackHarness::StackHarness()
    : cfg(default_config()), dev(nic::DeviceInfo{"eth0", kStackMac, 1500}) {
  peers[kPeerIp] = kPeerMac;
}

StackHarness::~StackHarness() {
  // Frames waiting in the device may come from the stack's own pools.
  take_tx();
  stack_.reset();
}

void StackHarness::start(std::optional<nic::FaultInjectorConfig> fault_cfg) {
  stack_ = std::make_unique<stack::Stack>(cfg);
  nic::Device* d = &dev;
  if (fault_cfg) {
    faults = std::make_unique<nic::FaultInjector>(dev, *fault_cfg);
    d = faults.get();
  }
  stack_->attach(0, *d, clock.now());
}

void StackHarness::send(std::span<const uint8_t> frame) {
  ASSERT_TRUE(dev.inject(frame)) << "device receive queue or pool full";
}

void StackHarness::send_all(const std::vector<Bytes>& frames) {
  for (const auto& f : frames) send(f);
}

size_t StackHarness::poll() { return stack_->poll(clock.now()); }

void StackHarness::advance(Duration d) {
  clock.advance(d);
  poll();
}

std::vector<Bytes> StackHarness::take_tx() {
  std::vector<Bytes> out;
  for (auto& p : dev.take_all_tx()) out.emplace_back(p.bytes().begin(), p.bytes().end());
  return out;
}

namespace {
// (source, target) of a neighbor solicitation the stack sent.
std::optional<std::pair<Ipv6Addr, Ipv6Addr>> neighbor_solicitation(std::span<const uint8_t> f) {
  auto p = parse6(f);
  if (!p || p->upper != wire::ip_proto::kIcmpv6 || p->l4.size() < 24 ||
      p->l4[0] != wire::icmpv6_type::kNeighborSolicit || p->ip.src.is_unspecified())
    return std::nullopt;
  return std::pair{p->ip.src, wire::load_ipv6(p->l4.data() + 8)};
}
}  // namespace

std::vector<Bytes> StackHarness::run() {
  std::vector<Bytes> out;
  for (int round = 0; round < 10000; ++round) {
    size_t work = poll();
    auto tx = take_tx();
    bool answered = false;
    for (auto& f : tx) {
      auto eth = wire::EthernetRepr::parse(f);
      if (eth && eth->ethertype == wire::EtherType::kArp) {
        auto a = wire::ArpRepr::parse(std::span<const uint8_t>(f).subspan(eth->header_len()));
        if (a && a->op == wire::ArpOp::kRequest && peers.contains(a->target_ip)) {
          send(eth_arp_reply(peers[a->target_ip], a->target_ip, a->sender_mac, a->sender_ip));
          answered = true;
          continue;
        }
      }
      if (auto ns = neighbor_solicitation(f); ns && peers6.contains(ns->second)) {
        // RFC 4861 §7.2.4: a solicited advertisement to the solicitor.
        send(eth_na(peers6[ns->second], kStackMac, ns->second, ns->first, ns->second, true, true,
                    peers6[ns->second]));
        answered = true;
        continue;
      }
      out.push_back(std::move(f));
    }
    if (work == 0 && tx.empty() && !answered && dev.rx_pending() == 0 &&
        stack_->poll_at() > clock.now())
      break;
  }
  return out;
}

::testing::AssertionResult StackHarness::finish() {
  take_tx();
  stack_.reset();
  faults.reset();
  size_t tx = dev.tx_pool().in_use();
  size_t rx = dev.rx_pool().in_use() - dev.rx_pending();
  if (tx == 0 && rx == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "leaked frames: " << tx << " from the tx pool, " << rx
                                       << " from the rx pool";
}

}  // namespace stackd::testsupport
