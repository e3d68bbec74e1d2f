// Helpers for IPv4-layer tests: a fake L2Output that records what IP sends,
// a recording protocol handler, and packet builders over the wire reprs.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/time.h"
#include "buf/pool.h"
#include "ip/ipv4.h"
#include "l2/l3_handler.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace stackd::ip::testing {

struct FakeL2 final : l2::L2Output {
  struct Sent {
    uint16_t ifindex;
    Ipv4Addr next_hop;
    buf::PacketBuf pkt;
  };
  std::vector<Sent> sent;
  void output_ipv4(l2::Interface& iface, Ipv4Addr next_hop, buf::PacketBuf&& pkt,
                   Instant) override {
    sent.push_back({iface.index, next_hop, std::move(pkt)});
  }
  struct Sent6 {
    uint16_t ifindex;
    Ipv6Addr next_hop;
    buf::PacketBuf pkt;
  };
  std::vector<Sent6> sent6;
  void output_ipv6(l2::Interface& iface, const Ipv6Addr& next_hop, buf::PacketBuf&& pkt,
                   Instant) override {
    sent6.push_back({iface.index, next_hop, std::move(pkt)});
  }
  std::vector<std::vector<uint8_t>> nd;  // ND messages handed down
  void nd_input(l2::Interface&, const l2::NdRx& rx, Instant) override {
    nd.emplace_back(rx.icmp.begin(), rx.icmp.end());
  }
};

struct RecordingHandler final : Ipv4ProtocolHandler {
  struct In {
    Ipv4RxMeta meta;
    std::vector<uint8_t> payload;
  };
  std::vector<In> inputs;
  std::vector<IcmpErrorIn> errors;
  std::vector<std::vector<uint8_t>> error_l4;
  void input(const Ipv4RxMeta& m, buf::PacketBuf&& p, Instant) override {
    In in{m, {p.bytes().begin(), p.bytes().end()}};
    in.meta.quote = {};
    inputs.push_back(std::move(in));
  }
  void error(const IcmpErrorIn& e, Instant) override {
    errors.push_back(e);
    error_l4.emplace_back(e.l4.begin(), e.l4.end());
  }
};

inline Ipv4Addr A(const char* s) { return *Ipv4Addr::parse(s); }

// A stack of one (or two) interfaces with a fake L2 under the IPv4 layer.
class IpFixture : public ::testing::Test {
 protected:
  IpFixture() {
    eth.index = 1;
    eth.name = "eth0";
    eth.up = true;
    eth.mtu = 1500;
    eth.addrs.push_back(*IpPrefix::parse("10.0.0.2/24"));
    eth2.index = 2;
    eth2.name = "eth1";
    eth2.up = true;
    eth2.mtu = 1500;
    eth2.addrs.push_back(*IpPrefix::parse("192.168.1.2/24"));
  }
  Ipv4Layer& ip() {
    if (!ip_) {
      ip_ = std::make_unique<Ipv4Layer>(cfg, counters, drops, l2, fib, pool, heap);
      ip_->add_interface(eth);
      ip_->add_interface(eth2);
    }
    return *ip_;
  }

  // An IPv4 packet (header emitted by the repr) around `payload`.
  buf::PacketBuf packet(wire::Ipv4Repr h, std::span<const uint8_t> payload,
                        uint32_t padding = 0) {
    h.payload_len = static_cast<uint16_t>(payload.size());
    buf::PacketBuf b = heap.alloc(static_cast<uint32_t>(20 + payload.size() + padding));
    EXPECT_TRUE(b.append(static_cast<uint32_t>(20 + payload.size() + padding)));
    h.emit(b.bytes());
    std::copy(payload.begin(), payload.end(), b.data() + 20);
    for (uint32_t i = 0; i < padding; ++i) b.data()[20 + payload.size() + i] = 0;
    b.ifindex = 1;
    return b;
  }
  static wire::Ipv4Repr hdr(uint8_t proto, Ipv4Addr src = A("10.0.0.1"),
                            Ipv4Addr dst = A("10.0.0.2")) {
    wire::Ipv4Repr h;
    h.src = src;
    h.dst = dst;
    h.protocol = proto;
    h.ttl = 64;
    h.ident = 0x1234;
    return h;
  }
  static std::vector<uint8_t> icmp_bytes(const wire::Icmpv4Repr& r) {
    std::vector<uint8_t> v(r.buffer_len());
    r.emit(v);
    return v;
  }
  static std::vector<uint8_t> echo_request(uint16_t id, uint16_t seq, size_t data_len) {
    std::vector<uint8_t> data(data_len);
    for (size_t i = 0; i < data_len; ++i) data[i] = static_cast<uint8_t>(i * 13 + 1);
    wire::Icmpv4Repr r{wire::Icmpv4Echo{false, id, seq, data}};
    return icmp_bytes(r);
  }
  void rx(buf::PacketBuf&& p, l2::LinkCast cast = l2::LinkCast::kUnicast) {
    ip().ipv4_input(eth, std::move(p), cast, clock.now());
  }
  // Parse what was sent: IP header (checksum verified) and payload copy.
  struct Out {
    wire::Ipv4Repr ip;
    std::vector<uint8_t> payload;
    uint16_t ifindex;
    Ipv4Addr next_hop;
  };
  Out sent(size_t i) {
    EXPECT_LT(i, l2.sent.size());
    auto& s = l2.sent.at(i);
    auto r = wire::Ipv4Repr::parse(s.pkt.bytes());
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    auto pl = s.pkt.bytes().subspan(20, r->payload_len);
    return {*r, {pl.begin(), pl.end()}, s.ifindex, s.next_hop};
  }

  // Pools first: they outlive every buffer the other members hold.
  buf::FixedPool pool{4096, 2048};
  buf::HeapPool heap;
  stack::IpConfig cfg;
  Counters counters;
  DropStats drops;
  FakeL2 l2;
  Fib fib;
  l2::Interface eth, eth2;
  ManualClock clock;
  std::unique_ptr<Ipv4Layer> ip_;
};

}  // namespace stackd::ip::testing
