#include "wire/print.h"

#include <gtest/gtest.h>

#include <vector>

#include "hex.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"

namespace stackd::wire {
namespace {

using test::hex;

std::vector<uint8_t> tcp_frame(const TcpRepr& t) {
  Ipv4Repr ip;
  ip.src = Ipv4Addr::from_octets(10, 0, 0, 1);
  ip.dst = Ipv4Addr::from_octets(10, 0, 0, 2);
  ip.protocol = ip_proto::kTcp;
  ip.payload_len = static_cast<uint16_t>(t.buffer_len());
  std::vector<uint8_t> f(14 + ip.total_len());
  EthernetRepr{*MacAddr::parse("02:00:00:00:00:02"), *MacAddr::parse("02:00:00:00:00:01"),
               EtherType::kIpv4, std::nullopt}
      .emit(f);
  ip.emit(std::span<uint8_t>(f).subspan(14));
  t.emit(std::span<uint8_t>(f).subspan(34), ip.src, ip.dst);
  return f;
}

TEST(Print, PingFrame) {
  auto f = hex(test::kPingFrame);
  EXPECT_EQ(describe_frame(f), "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 2, length 64");
  EXPECT_EQ(describe_frame(f, true),
            "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98: "
            "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 2, length 64");
}

TEST(Print, Arp) {
  auto f = hex("ffffffffffff 001122334455 0806"
               "0001 0800 06 04 0001 001122334455 c0a80164 000000000000 c0a80101");
  EXPECT_EQ(describe_frame(f), "ARP, Request who-has 192.168.1.1 tell 192.168.1.100, length 28");
  f[21] = 2;
  EXPECT_EQ(describe_frame(f), "ARP, Reply 192.168.1.100 is-at 00:11:22:33:44:55, length 28");
  f[21] = 9;
  EXPECT_EQ(describe_frame(f), "ARP, [|arp: arp_bad_op]");
}

TEST(Print, Udp) {
  EXPECT_EQ(describe_frame(hex(test::kUdpFrame)), "IP 10.0.0.1.5353 > 10.0.0.2.53: UDP, length 12");
}

TEST(Print, TcpSynWithOptionsInWireOrder) {
  auto seg = hex("9c40 0050 fffffff0 00000000 a0 02 faf0 c5f1 0000"
                 "020405b4 0402 080a 0012d687 00000000 01 030307");
  EXPECT_EQ(describe_tcp(seg),
            "Flags [S], seq 4294967280, win 64240, options [mss 1460,sackOK,TS val 1234567 ecr "
            "0,nop,wscale 7], length 0");
}

TEST(Print, TcpFramesAndFlags) {
  TcpRepr t;
  t.src_port = 40000;
  t.dst_port = 80;
  t.seq = 0xfffffffe;
  t.ack = 7;
  t.flags = tcp_flag::kPsh | tcp_flag::kAck;
  t.window = 502;
  t.payload_len = 4;  // wraps: 4294967294:2
  t.options.sack_count = 1;
  t.options.sack[0] = {100, 200};
  EXPECT_EQ(describe_frame(tcp_frame(t)),
            "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 4294967294:2, ack 7, win 502, "
            "options [nop,nop,sack 1 {100:200}], length 4");
  EXPECT_EQ(tcp_flags_string(tcp_flag::kSyn | tcp_flag::kAck), "[S.]");
  EXPECT_EQ(tcp_flags_string(tcp_flag::kFin | tcp_flag::kAck), "[F.]");
  EXPECT_EQ(tcp_flags_string(tcp_flag::kRst), "[R]");
  EXPECT_EQ(tcp_flags_string(tcp_flag::kSyn | tcp_flag::kEce | tcp_flag::kCwr), "[SEW]");
  EXPECT_EQ(tcp_flags_string(0), "[none]");
}

TEST(Print, TcpOptionsOddCases) {
  EXPECT_EQ(describe_tcp_options(hex("0101 1e04abcd 00 ff")), "[nop,nop,opt-30:abcd,eol]");
  EXPECT_EQ(describe_tcp_options(hex("02 00")), "[bad opts]");
  EXPECT_EQ(describe_tcp_options(hex("0204")), "[bad opts]");
}

TEST(Print, Ipv6AndNdp) {
  auto p = hex("60000000 0010 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
               "80008075123400016162636465666768");
  EXPECT_EQ(describe_ipv6(p),
            "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 4660, seq 1, length 16");
  auto ns = hex("8700 7a97 00000000 fe800000000000000000000000000002 0101 020000000001");
  EXPECT_EQ(describe_icmpv6(ns),
            "ICMP6, neighbor solicitation, who has fe80::2, source link-address "
            "02:00:00:00:00:01, length 32");
  auto na = hex("8800 181a 60000000 fe800000000000000000000000000002 0201 020000000002");
  EXPECT_EQ(describe_icmpv6(na),
            "ICMP6, neighbor advertisement, tgt is fe80::2, Flags [solicited, override], target "
            "link-address 02:00:00:00:00:02, length 32");
  auto bad = ns;
  bad[25] = 0;
  EXPECT_EQ(describe_icmpv6(bad), "ICMP6, [|ndp: ndp_bad_option], length 32");
}

TEST(Print, Ipv6ExtensionHeadersAndFragments) {
  Ipv6Repr ip;
  ip.src = *Ipv6Addr::parse("2001:db8::1");
  ip.dst = *Ipv6Addr::parse("2001:db8::2");
  ip.next_header = ip_proto::kHopByHop;
  auto ext = hex("2c00 05020000 0100"   // HBH, Router Alert, next frag
                 "11 00 05a9 00000007"  // frag off 1448 M, next UDP
                 "0102030405060708");
  ip.payload_len = static_cast<uint16_t>(ext.size());
  std::vector<uint8_t> pkt(40);
  ip.emit(pkt);
  pkt.insert(pkt.end(), ext.begin(), ext.end());
  EXPECT_EQ(describe_ipv6(pkt), "IP6 2001:db8::1 > 2001:db8::2: HBH frag (7|1448+) ip-proto-17");
}

TEST(Print, MalformedNeverThrowsAndSaysWhy) {
  auto f = hex(test::kPingFrame);
  EXPECT_EQ(describe_frame(std::span<const uint8_t>(f.data(), 40)), "IP [|ip: ip_bad_total_length]");
  EXPECT_EQ(describe_frame(std::span<const uint8_t>(f.data(), 10)), "[|ether: eth_truncated]");
  auto g = f;
  g[14] = 0x44;
  EXPECT_EQ(describe_frame(g), "IP [|ip: ip_bad_ihl]");
  // Every prefix of every frame prints something without reading past it.
  for (size_t n = 0; n <= f.size(); ++n) EXPECT_FALSE(describe_frame(std::span<const uint8_t>(f.data(), n)).empty());
}

TEST(Print, IcmpErrors) {
  auto m = hex("0304 0000 0000 0578 4500");
  EXPECT_EQ(describe_icmpv4(m), "ICMP unreachable - need to frag (mtu 1400), length 10");
  m = hex("0b00 0000 00000000");
  EXPECT_EQ(describe_icmpv4(m), "ICMP time exceeded in-transit, length 8");
  m = hex("0200 0000 000005dc");
  EXPECT_EQ(describe_icmpv6(m), "ICMP6, packet too big, mtu 1500, length 8");
}

TEST(Print, VlanLinkHeader) {
  auto f = hex("020000000002 020000000001 8100 a07b 0806"
               "0001 0800 06 04 0001 001122334455 c0a80164 000000000000 c0a80101");
  EXPECT_EQ(describe_frame(f, true),
            "02:00:00:00:00:01 > 02:00:00:00:00:02, vlan 123, p 5, ethertype ARP (0x0806), "
            "length 46: ARP, Request who-has 192.168.1.1 tell 192.168.1.100, length 28");
}

}  // namespace
}  // namespace stackd::wire
