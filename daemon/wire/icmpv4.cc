#include "wire/icmpv4.h"

namespace stackd::wire {

Expected<Icmpv4Repr> Icmpv4Repr::parse(Icmpv4View<const uint8_t> v, ChecksumCheck check) {
  if (check == ChecksumCheck::kVerify && !v.verify_checksum()) return DropReason::kIcmpBadChecksum;
  Icmpv4Repr r;
  // Unused fields are ignored on receipt (RFC 1122 §3.2.2: "unused" fields
  // are zero on send and ignored on receive; RFC 4884 puts a length there).
  switch (v.type()) {
    case icmpv4_type::kEchoRequest:
    case icmpv4_type::kEchoReply:
      r.msg = Icmpv4Echo{v.type() == icmpv4_type::kEchoReply, v.echo_id(), v.echo_seq(), v.data()};
      return r;
    case icmpv4_type::kDestUnreachable:
      // RFC 1191 §4: the low 16 bits carry the next-hop MTU for code 4.
      r.msg = Icmpv4DestUnreachable{
          v.code(), v.code() == icmpv4_unreach::kFragNeeded ? v.next_hop_mtu() : uint16_t{0},
          v.data()};
      return r;
    case icmpv4_type::kTimeExceeded:
      r.msg = Icmpv4TimeExceeded{v.code(), v.data()};
      return r;
    case icmpv4_type::kParamProblem:
      r.msg = Icmpv4ParamProblem{v.code(), v.pointer(), v.data()};
      return r;
    default:
      break;
  }
  // Types we do not model stay raw so that emit reproduces them exactly.
  r.msg = Icmpv4Other{v.type(), v.code(), v.rest(), v.data()};
  return r;
}

Expected<Icmpv4Repr> Icmpv4Repr::parse(std::span<const uint8_t> bytes, ChecksumCheck check) {
  auto v = Icmpv4View<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v, check);
}

std::span<const uint8_t> Icmpv4Repr::data() const {
  return std::visit(
      [](const auto& m) -> std::span<const uint8_t> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Icmpv4Echo> || std::is_same_v<M, Icmpv4Other>)
          return m.data;
        else
          return m.invoking;
      },
      msg);
}

uint8_t Icmpv4Repr::type() const {
  switch (msg.index()) {
    case 0: return std::get<0>(msg).reply ? icmpv4_type::kEchoReply : icmpv4_type::kEchoRequest;
    case 1: return icmpv4_type::kDestUnreachable;
    case 2: return icmpv4_type::kTimeExceeded;
    case 3: return icmpv4_type::kParamProblem;
    default: return std::get<4>(msg).type;
  }
}

uint8_t Icmpv4Repr::code() const {
  return std::visit(
      [](const auto& m) -> uint8_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, Icmpv4Echo>)
          return 0;
        else
          return m.code;
      },
      msg);
}

void Icmpv4Repr::emit(std::span<uint8_t> buf) const {
  auto d = data();
  assert(buf.size() == kIcmpv4HeaderLen + d.size());
  uint32_t rest = 0;
  if (const auto* e = std::get_if<Icmpv4Echo>(&msg)) {
    rest = (uint32_t{e->id} << 16) | e->seq;
  } else if (const auto* u = std::get_if<Icmpv4DestUnreachable>(&msg)) {
    rest = u->code == icmpv4_unreach::kFragNeeded ? u->next_hop_mtu : 0;
  } else if (const auto* p = std::get_if<Icmpv4ParamProblem>(&msg)) {
    rest = uint32_t{p->pointer} << 24;
  } else if (const auto* o = std::get_if<Icmpv4Other>(&msg)) {
    rest = o->rest;
  }
  place_bytes(buf.subspan(kIcmpv4HeaderLen), d);
  Icmpv4View<uint8_t> v(buf);
  v.set_type(type());
  v.set_code(code());
  v.set_rest(rest);
  v.fill_checksum();
}

}  // namespace stackd::wire
