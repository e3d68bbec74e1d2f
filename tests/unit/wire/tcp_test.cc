#include "wire/tcp.h"

#include <gtest/gtest.h>

#include <vector>

#include "hex.h"

namespace stackd::wire {
namespace {

using test::hex;

const IpAddr kA = Ipv4Addr::from_octets(10, 0, 0, 1);
const IpAddr kB = Ipv4Addr::from_octets(10, 0, 0, 2);

// Linux-style SYN 10.0.0.1:40000 > 10.0.0.2:80, seq 0xfffffff0 (near the
// wrap), [mss 1460,sackOK,TS val 1234567 ecr 0,nop,wscale 7], checksum c5f1.
const char* kSyn =
    "9c40 0050 fffffff0 00000000 a0 02 faf0 c5f1 0000"
    "020405b4 0402 080a 0012d687 00000000 01 030307";

// 10.0.0.2:80 > 10.0.0.1:40000 [P.] with NOP NOP TS, NOP NOP SACK 1 block,
// 18 bytes payload, checksum a48b.
const char* kData =
    "0050 9c40 000003e8 fffffff1 b0 18 01f6 a48b 0000"
    "0101080a 00000064 0012d687 0101050a 00001000 00002000"
    "474554202f20485454502f312e300d0a0d0a";

TEST(Tcp, ParsesLinuxSyn) {
  auto s = hex(kSyn);
  auto r = TcpRepr::parse(s, kA, kB);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src_port, 40000);
  EXPECT_EQ(r->dst_port, 80);
  EXPECT_EQ(r->seq, 0xfffffff0u);
  EXPECT_EQ(r->flags, tcp_flag::kSyn);
  EXPECT_EQ(r->window, 64240);
  EXPECT_EQ(r->options.mss, 1460);
  EXPECT_EQ(r->options.window_scale, 7);
  EXPECT_TRUE(r->options.sack_permitted);
  ASSERT_TRUE(r->options.timestamps);
  EXPECT_EQ(r->options.timestamps->tsval, 1234567u);
  EXPECT_EQ(r->options.timestamps->tsecr, 0u);
  EXPECT_EQ(r->options.sack_count, 0);
  EXPECT_EQ(r->payload_len, 0u);
  // Emitted in our aligned layout (MSS, NOP WS, SACKOK TS): same size,
  // different order, and it parses back to the same repr.
  std::vector<uint8_t> out(r->buffer_len());
  ASSERT_EQ(out.size(), 40u);
  r->emit(out, kA, kB);
  EXPECT_EQ(hex("020405b4 01030307 0402080a 0012d687 00000000"),
            std::vector<uint8_t>(out.begin() + 20, out.end()));
  EXPECT_EQ(*TcpRepr::parse(out, kA, kB), *r);
}

TEST(Tcp, DataSegmentEmitReproducesCapture) {
  auto s = hex(kData);
  auto r = TcpRepr::parse(s, kB, kA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags, tcp_flag::kPsh | tcp_flag::kAck);
  EXPECT_EQ(r->ack, 0xfffffff1u);
  ASSERT_EQ(r->options.sack_count, 1);
  EXPECT_EQ(r->options.sack[0], (TcpSackBlock{0x1000, 0x2000}));
  EXPECT_EQ(r->payload_len, 18u);
  auto v = TcpView<const uint8_t>::checked(s);
  EXPECT_EQ(v->payload()[0], 'G');
  std::vector<uint8_t> out(s);
  std::fill(out.begin(), out.begin() + 44, 0);
  r->emit(out, kB, kA);
  EXPECT_EQ(out, s);
}

TEST(Tcp, Ipv6PseudoHeader) {
  IpAddr a = *Ipv6Addr::parse("2001:db8::1");
  IpAddr b = *Ipv6Addr::parse("2001:db8::2");
  TcpRepr r;
  r.src_port = 1;
  r.dst_port = 2;
  r.flags = tcp_flag::kRst;
  std::vector<uint8_t> out(r.buffer_len());
  r.emit(out, a, b);
  EXPECT_TRUE(TcpRepr::parse(out, a, b));
  // (Swapping src and dst does not change a one's-complement sum.)
  EXPECT_EQ(TcpRepr::parse(out, a, IpAddr(*Ipv6Addr::parse("2001:db8::3"))).error(),
            DropReason::kTcpBadChecksum);
  EXPECT_EQ(TcpRepr::parse(out, kA, kB).error(), DropReason::kTcpBadChecksum);
}

TEST(Tcp, AllOptionsAndFourSackBlocksFallBackToCompact) {
  TcpRepr r;
  r.flags = tcp_flag::kAck;
  r.options.timestamps = TcpTimestamps{5, 6};
  r.options.sack_count = 3;
  r.options.sack = {{{1, 2}, {3, 4}, {5, 6}, {}}};
  // Aligned: 12 + 4 + 24 = 40: fits.
  EXPECT_EQ(r.options.emitted_len(), 40u);
  r.options.sack_count = 4;
  r.options.sack[3] = {7, 8};
  // Aligned 12 + 36 = 48 does not fit; compact 10 + 34 = 44 does not either,
  // so the repr is only valid with three blocks and timestamps... and four
  // blocks alone:
  r.options.timestamps.reset();
  EXPECT_EQ(r.options.emitted_len(), 36u);
  std::vector<uint8_t> out(r.buffer_len());
  r.emit(out, kA, kB);
  auto p = TcpRepr::parse(out, kA, kB);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, r);
  // MSS + WS + SACKOK + TS + unknown 20 bytes: aligned 4+4+12+20 = 40.
  TcpRepr s;
  s.flags = tcp_flag::kSyn;
  s.options.mss = 1400;
  s.options.window_scale = 14;
  s.options.sack_permitted = true;
  s.options.timestamps = TcpTimestamps{1, 0};
  auto blob = hex("00112233445566778899aabbccddeeff0011");  // 18 data bytes
  s.options.unknown_count = 1;
  s.options.unknown[0] = {34, blob};  // TCP Fast Open cookie (RFC 7413)
  EXPECT_EQ(s.options.emitted_len(), 40u);
  // One more byte of unknown data forces the compact layout (4+3+2+10+21 = 40).
  auto blob2 = hex("00112233445566778899aabbccddeeff001122");
  s.options.unknown[0] = {34, blob2};
  EXPECT_EQ(s.options.emitted_len(), 40u);
  std::vector<uint8_t> o2(s.buffer_len());
  s.emit(o2, kA, kB);
  EXPECT_EQ(o2[20], tcp_opt::kMss);
  EXPECT_EQ(o2[24], tcp_opt::kWindowScale);  // no NOP before it
  auto q = TcpRepr::parse(o2, kA, kB);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, s);
}

TEST(Tcp, UnknownOptionsArePreservedAndSkipped) {
  // NOP, kind 30 (MPTCP) len 4, kind 19 (MD5) len 18, then MSS, EOL.
  auto o = hex("01 1e04abcd 1312 000102030405060708090a0b0c0d0e0f 020405dc 00 000000");
  auto p = TcpOptions::parse(o);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->mss, 1500);
  ASSERT_EQ(p->unknown_count, 2);
  EXPECT_EQ(p->unknown[0].kind, 30);
  EXPECT_EQ(p->unknown[0].data.size(), 2u);
  EXPECT_EQ(p->unknown[1].kind, 19);
  EXPECT_EQ(p->unknown[1].data.size(), 16u);
  // After EOL nothing is read, even garbage.
  auto e = hex("00 02 ff ff");
  auto pe = TcpOptions::parse(e);
  ASSERT_TRUE(pe);
  EXPECT_FALSE(pe->mss);
}

TEST(Tcp, MalformedOptionLengths) {
  const char* bad[] = {
      "02",              // kind without a length byte
      "0200",            // length 0
      "0201",            // length 1
      "020405",          // MSS runs past the end
      "0205050505",      // MSS with length 5
      "030203",          // window scale length 2
      "0403",            // SACK-permitted length 3
      "05 02",           // SACK with no block
      "05 0b 0000000000000000 00",  // SACK 9 bytes of blocks
      "080c 00000000 00000000 0000",  // timestamps length 12
      "1e ff 00",        // unknown kind, length past the end
  };
  for (const char* b : bad) {
    auto o = hex(b);
    auto p = TcpOptions::parse(o);
    ASSERT_FALSE(p) << b;
    EXPECT_EQ(p.error(), DropReason::kTcpBadOptions) << b;
  }
  // Inside a segment, with its checksum right.
  auto s = hex(kSyn);
  s[20 + 1] = 0;  // MSS length 0
  TcpView<uint8_t>(std::span<uint8_t>(s)).fill_checksum(kA, kB);
  EXPECT_EQ(TcpRepr::parse(s, kA, kB).error(), DropReason::kTcpBadOptions);
}

TEST(Tcp, OffsetAndTruncation) {
  auto s = hex(kSyn);
  for (size_t n = 0; n < 20; ++n)
    EXPECT_EQ(TcpRepr::parse(std::span<const uint8_t>(s.data(), n), kA, kB).error(),
              DropReason::kTcpTruncated);
  for (size_t n = 20; n < 40; ++n)  // the 40-byte header does not fit
    EXPECT_EQ(TcpRepr::parse(std::span<const uint8_t>(s.data(), n), kA, kB).error(),
              DropReason::kTcpTruncated);
  for (uint8_t off = 0; off < 5; ++off) {
    auto b = s;
    b[12] = static_cast<uint8_t>(off << 4);
    EXPECT_EQ(TcpRepr::parse(b, kA, kB).error(), DropReason::kTcpBadOffset) << int(off);
  }
  auto b = s;
  b[12] = 0xf0;  // 60 bytes > 40
  EXPECT_EQ(TcpRepr::parse(b, kA, kB).error(), DropReason::kTcpTruncated);
}

TEST(Tcp, BadChecksumUnlessSkipped) {
  auto s = hex(kData);
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 12) continue;  // data offset
    auto b = s;
    b[i] ^= 0x04;
    EXPECT_EQ(TcpRepr::parse(b, kB, kA).error(), DropReason::kTcpBadChecksum) << i;
  }
  auto b = s;
  b[0] ^= 1;
  EXPECT_TRUE(TcpRepr::parse(b, kB, kA, ChecksumCheck::kSkip));
}

TEST(Tcp, ViewSetters) {
  auto s = hex(kData);
  TcpView<uint8_t> v{std::span<uint8_t>(s)};
  v.set_seq(0xffffffff);
  v.set_ack(1);
  v.set_window(0);
  v.set_flags(tcp_flag::kFin | tcp_flag::kAck);
  v.fill_checksum(kB, kA);
  auto r = TcpRepr::parse(s, kB, kA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq, 0xffffffffu);
  EXPECT_EQ(r->ack, 1u);
  EXPECT_EQ(r->window, 0);
  EXPECT_TRUE(TcpView<const uint8_t>(s).fin());
}

}  // namespace
}  // namespace stackd::wire
