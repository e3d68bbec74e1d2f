// Test fixture for the link layer: one Interface with no device, a Link
// over it, a fake L3 that records what it got, a manual clock, and frames
// built from bytes in the field order of the RFC figures (RFC 826 packet
// format, Ethernet II), so these tests check l2 independently of wire/.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <vector>

#include "base/byteorder.h"
#include "buf/pool.h"
#include "l2/link.h"

namespace stackd::l2::test {

using Bytes = std::vector<uint8_t>;

inline const MacAddr kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
inline const MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline const MacAddr kOtherMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
inline const MacAddr kBroadcast = MacAddr::broadcast();
inline const MacAddr kZeroMac{};
inline const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
inline const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
inline const Ipv4Addr kOtherIp = Ipv4Addr::from_octets(10, 0, 0, 3);
inline const Ipv4Addr kSecondIp = Ipv4Addr::from_octets(192, 168, 7, 1);

constexpr uint16_t kTypeIpv4 = 0x0800, kTypeArp = 0x0806, kTypeIpv6 = 0x86dd;
constexpr uint16_t kRequest = 1, kReply = 2;

// Ethernet II: destination, source, type, payload.
struct EthFrame {
  MacAddr dst;
  MacAddr src;
  uint16_t type = kTypeIpv4;
  Bytes payload;

  Bytes bytes() const {
    Bytes b(14);
    std::memcpy(b.data(), dst.b.data(), 6);
    std::memcpy(b.data() + 6, src.b.data(), 6);
    store_be16(b.data() + 12, type);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
  }
  static EthFrame parse(const Bytes& b) {
    EthFrame f;
    EXPECT_GE(b.size(), 14u);
    std::memcpy(f.dst.b.data(), b.data(), 6);
    std::memcpy(f.src.b.data(), b.data() + 6, 6);
    f.type = load_be16(b.data() + 12);
    f.payload.assign(b.begin() + 14, b.end());
    return f;
  }
};

// RFC 826 packet format, Ethernet/IPv4: ar$hrd ar$pro ar$hln ar$pln ar$op
// ar$sha ar$spa ar$tha ar$tpa.
struct ArpPacket {
  uint16_t hrd = 1;
  uint16_t pro = 0x0800;
  uint8_t hln = 6;
  uint8_t pln = 4;
  uint16_t op = kRequest;
  MacAddr sha;
  Ipv4Addr spa;
  MacAddr tha;
  Ipv4Addr tpa;

  Bytes bytes() const {
    Bytes b(28);
    store_be16(b.data(), hrd);
    store_be16(b.data() + 2, pro);
    b[4] = hln;
    b[5] = pln;
    store_be16(b.data() + 6, op);
    std::memcpy(b.data() + 8, sha.b.data(), 6);
    store_be32(b.data() + 14, spa.v);
    std::memcpy(b.data() + 18, tha.b.data(), 6);
    store_be32(b.data() + 24, tpa.v);
    return b;
  }
  static ArpPacket parse(const Bytes& b) {
    ArpPacket a;
    EXPECT_GE(b.size(), 28u);
    if (b.size() < 28) return a;
    a.hrd = load_be16(b.data());
    a.pro = load_be16(b.data() + 2);
    a.hln = b[4];
    a.pln = b[5];
    a.op = load_be16(b.data() + 6);
    std::memcpy(a.sha.b.data(), b.data() + 8, 6);
    a.spa.v = load_be32(b.data() + 14);
    std::memcpy(a.tha.b.data(), b.data() + 18, 6);
    a.tpa.v = load_be32(b.data() + 24);
    return a;
  }
  bool operator==(const ArpPacket&) const = default;
};

// An ARP packet in an Ethernet frame, as it travels.
inline EthFrame arp_frame(const MacAddr& dst, const ArpPacket& a) {
  return {.dst = dst, .src = a.sha, .type = kTypeArp, .payload = a.bytes()};
}

// What L3 was handed.
struct FakeL3 : L3Handler {
  struct Got {
    bool v6;
    Bytes bytes;
    LinkCast cast;
    uint16_t ifindex;
  };
  std::vector<Got> got;
  void ipv4_input(Interface& i, buf::PacketBuf&& p, LinkCast c, Instant) override {
    got.push_back({false, Bytes(p.data(), p.data() + p.size()), c, i.index});
    EXPECT_EQ(p.ifindex, i.index);
  }
  void ipv6_input(Interface& i, buf::PacketBuf&& p, LinkCast c, Instant) override {
    got.push_back({true, Bytes(p.data(), p.data() + p.size()), c, i.index});
  }
};

class L2Test : public ::testing::Test {
 protected:
  stack::NeighbourTimers timers{.reachable = Duration::seconds(30),
                                .retrans = Duration::seconds(1),
                                .max_probes = 3,
                                .pending_per_entry = 4,
                                .cache_size = 16};
  buf::FixedPool pool{128, 2048};
  Counters counters;
  DropStats drops;
  ManualClock clock;
  FakeL3 l3;
  Interface iface;
  std::optional<Link> link;

  void SetUp() override {
    iface.index = 1;
    iface.name = "eth0";
    iface.mac = kOurMac;
    iface.addrs = {*IpPrefix::parse("10.0.0.2/24")};
    iface.up = true;
    make_link();
  }
  void make_link() {
    link.emplace(timers, counters, drops, &pool);
    link->set_l3_handler(&l3);
    link->attach(iface);
  }
  void TearDown() override {
    iface.tx_queue.clear();
    link->detach(iface.index);
    EXPECT_EQ(pool.in_use(), 0u) << "leaked packet buffers";
  }

  buf::PacketBuf buffer(const Bytes& b, uint32_t headroom = buf::kDefaultHeadroom) {
    auto p = pool.alloc(static_cast<uint32_t>(b.size()), headroom);
    EXPECT_TRUE(p.append(static_cast<uint32_t>(b.size())));
    std::memcpy(p.data(), b.data(), b.size());
    return p;
  }
  // A frame arrives from the wire.
  void receive(const Bytes& frame) { link->input(iface, buffer(frame), clock.now()); }
  void receive(const EthFrame& f) { receive(f.bytes()); }
  // IP hands a packet (a recognisable 20-byte stand-in for an IPv4 header).
  static Bytes ip_packet(uint8_t tag) {
    Bytes b(20, 0);
    b[0] = 0x45;
    b[19] = tag;
    return b;
  }
  void send_ip(Ipv4Addr next_hop, uint8_t tag = 0) {
    link->output_ipv4(iface, next_hop, buffer(ip_packet(tag)), clock.now());
  }
  // Frames l2 queued for transmission, oldest first (drains the queue).
  std::vector<EthFrame> transmitted() {
    std::vector<EthFrame> out;
    for (auto& p : iface.tx_queue) out.push_back(EthFrame::parse(Bytes(p.data(), p.data() + p.size())));
    iface.tx_queue.clear();
    return out;
  }
  void expect_no_emit() { EXPECT_TRUE(transmitted().empty()); }
  // Exactly one ARP frame went out: return it.
  std::pair<EthFrame, ArpPacket> expect_arp() {
    auto tx = transmitted();
    EXPECT_EQ(tx.size(), 1u);
    if (tx.empty()) return {};
    EXPECT_EQ(tx[0].type, kTypeArp);
    EXPECT_EQ(tx[0].src, kOurMac);
    return {tx[0], ArpPacket::parse(tx[0].payload)};
  }
  std::optional<NeighInfo> neighbour(Ipv4Addr a) { return link->neighbours().find(iface.index, a); }
  void advance(Duration d) {
    Instant end = clock.now() + d;
    while (link->poll_at() <= end) {
      clock.set(link->poll_at());
      link->on_timer(clock.now());
    }
    clock.set(end);
  }
};

}  // namespace stackd::l2::test
