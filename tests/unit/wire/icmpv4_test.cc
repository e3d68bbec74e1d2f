#include "wire/icmpv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "hex.h"

namespace stackd::wire {
namespace {

using test::hex;

std::vector<uint8_t> ping_icmp() {
  auto f = hex(test::kPingFrame);
  return {f.begin() + 34, f.end()};
}

TEST(Icmpv4, ParsesCapturedEcho) {
  auto m = ping_icmp();
  auto r = Icmpv4Repr::parse(m);
  ASSERT_TRUE(r);
  const auto* e = std::get_if<Icmpv4Echo>(&r->msg);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->reply);
  EXPECT_EQ(e->id, 1);
  EXPECT_EQ(e->seq, 2);
  ASSERT_EQ(e->data.size(), 56u);
  EXPECT_EQ(e->data[0], 0x10);
  EXPECT_EQ(r->type(), icmpv4_type::kEchoRequest);
  EXPECT_EQ(r->buffer_len(), m.size());
}

TEST(Icmpv4, EmitReproducesCaptureAndReplyChecksum) {
  auto m = ping_icmp();
  auto r = Icmpv4Repr::parse(m);
  ASSERT_TRUE(r);
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out);
  EXPECT_EQ(out, m);  // checksum 0x3f28
  // The reply differs only in type: checksum 0x3f28 + 0x0800 = 0x4728.
  std::get<Icmpv4Echo>(r->msg).reply = true;
  r->emit(out);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(load_be16(&out[2]), 0x4728);
  EXPECT_EQ(*Icmpv4Repr::parse(out), *r);
}

TEST(Icmpv4, EmitInPlaceKeepsData) {
  auto m = ping_icmp();
  auto r = Icmpv4Repr::parse(m);
  ASSERT_TRUE(r);
  std::get<Icmpv4Echo>(r->msg).reply = true;
  r->emit(m);  // data span points into m itself
  auto again = Icmpv4Repr::parse(m);
  ASSERT_TRUE(again);
  EXPECT_EQ(std::get<Icmpv4Echo>(again->msg).data[55], 0x47);
}

TEST(Icmpv4, FragNeededCarriesMtu) {
  auto invoking = hex("4500 05dc 0000 4000 4011 0000 0a000001 0a000002 14e90035 05c80000");
  Icmpv4Repr r{Icmpv4DestUnreachable{icmpv4_unreach::kFragNeeded, 1400, invoking}};
  std::vector<uint8_t> out(r.buffer_len());
  r.emit(out);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 4);
  EXPECT_EQ(load_be32(&out[4]), 1400u);
  EXPECT_TRUE(checksum_ok(out));
  auto p = Icmpv4Repr::parse(out);
  ASSERT_TRUE(p);
  const auto& u = std::get<Icmpv4DestUnreachable>(p->msg);
  EXPECT_EQ(u.next_hop_mtu, 1400);
  EXPECT_EQ(u.invoking.size(), invoking.size());
  EXPECT_EQ(u.invoking.data(), out.data() + 8);
  // Port unreachable: the field is unused and ignored.
  out[1] = icmpv4_unreach::kPort;
  Icmpv4View<uint8_t>(std::span<uint8_t>(out)).fill_checksum();
  EXPECT_EQ(std::get<Icmpv4DestUnreachable>(Icmpv4Repr::parse(out)->msg).next_hop_mtu, 0);
}

TEST(Icmpv4, TimeExceededAndParamProblem) {
  auto invoking = hex("4500001c00000000 0111 0000 0a000001 0a000002 0000000000000000");
  Icmpv4Repr te{Icmpv4TimeExceeded{icmpv4_time_exceeded::kTtl, invoking}};
  std::vector<uint8_t> out(te.buffer_len());
  te.emit(out);
  EXPECT_EQ(out[0], 11);
  EXPECT_EQ(*Icmpv4Repr::parse(out), te);
  Icmpv4Repr pp{Icmpv4ParamProblem{0, 9, invoking}};
  pp.emit(out);
  EXPECT_EQ(out[0], 12);
  EXPECT_EQ(out[4], 9);
  EXPECT_EQ(*Icmpv4Repr::parse(out), pp);
}

TEST(Icmpv4, OtherTypesStayRaw) {
  auto m = hex("0d00 0000 12345678 0000000100000002 00000003");  // timestamp
  Icmpv4View<uint8_t>(std::span<uint8_t>(m)).fill_checksum();
  auto r = Icmpv4Repr::parse(m);
  ASSERT_TRUE(r);
  const auto& o = std::get<Icmpv4Other>(r->msg);
  EXPECT_EQ(o.type, icmpv4_type::kTimestamp);
  EXPECT_EQ(o.rest, 0x12345678u);
  std::vector<uint8_t> out(r->buffer_len());
  r->emit(out);
  EXPECT_EQ(out, m);
}

TEST(Icmpv4, TruncatedAndBadChecksum) {
  auto m = ping_icmp();
  for (size_t n = 0; n < 8; ++n)
    EXPECT_EQ(Icmpv4Repr::parse(std::span<const uint8_t>(m.data(), n)).error(),
              DropReason::kIcmpTruncated);
  // Cutting the data breaks the checksum over the whole message.
  EXPECT_EQ(Icmpv4Repr::parse(std::span<const uint8_t>(m.data(), m.size() - 2)).error(),
            DropReason::kIcmpBadChecksum);
  m[20] ^= 0xff;
  EXPECT_EQ(Icmpv4Repr::parse(m).error(), DropReason::kIcmpBadChecksum);
  EXPECT_TRUE(Icmpv4Repr::parse(m, ChecksumCheck::kSkip));
}

}  // namespace
}  // namespace stackd::wire
