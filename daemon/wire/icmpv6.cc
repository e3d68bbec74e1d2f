#include "wire/icmpv6.h"

namespace stackd::wire {

Expected<Icmpv6Repr> Icmpv6Repr::parse(Icmpv6View<const uint8_t> v, const Ipv6Addr& src,
                                       const Ipv6Addr& dst, ChecksumCheck check) {
  if (check == ChecksumCheck::kVerify && !v.verify_checksum(src, dst))
    return DropReason::kIcmpBadChecksum;
  Icmpv6Repr r;
  switch (v.type()) {
    case icmpv6_type::kEchoRequest:
    case icmpv6_type::kEchoReply:
      r.msg = Icmpv6Echo{v.type() == icmpv6_type::kEchoReply, v.echo_id(), v.echo_seq(), v.data()};
      return r;
    case icmpv6_type::kDestUnreachable:
      r.msg = Icmpv6DestUnreachable{v.code(), v.data()};
      return r;
    case icmpv6_type::kPacketTooBig:
      // RFC 4443 §3.2: code 0 on send, ignored on receipt.
      r.msg = Icmpv6PacketTooBig{v.rest(), v.data()};
      return r;
    case icmpv6_type::kTimeExceeded:
      r.msg = Icmpv6TimeExceeded{v.code(), v.data()};
      return r;
    case icmpv6_type::kParamProblem:
      r.msg = Icmpv6ParamProblem{v.code(), v.rest(), v.data()};
      return r;
    default:
      r.msg = Icmpv6Other{v.type(), v.code(), v.rest(), v.data()};
      return r;
  }
}

Expected<Icmpv6Repr> Icmpv6Repr::parse(std::span<const uint8_t> bytes, const Ipv6Addr& src,
                                       const Ipv6Addr& dst, ChecksumCheck check) {
  auto v = Icmpv6View<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v, src, dst, check);
}

std::span<const uint8_t> Icmpv6Repr::data() const {
  return std::visit(
      [](const auto& m) -> std::span<const uint8_t> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Icmpv6Echo> || std::is_same_v<M, Icmpv6Other>)
          return m.data;
        else
          return m.invoking;
      },
      msg);
}

uint8_t Icmpv6Repr::type() const {
  switch (msg.index()) {
    case 0: return std::get<0>(msg).reply ? icmpv6_type::kEchoReply : icmpv6_type::kEchoRequest;
    case 1: return icmpv6_type::kDestUnreachable;
    case 2: return icmpv6_type::kPacketTooBig;
    case 3: return icmpv6_type::kTimeExceeded;
    case 4: return icmpv6_type::kParamProblem;
    default: return std::get<5>(msg).type;
  }
}

uint8_t Icmpv6Repr::code() const {
  return std::visit(
      [](const auto& m) -> uint8_t {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Icmpv6Echo> || std::is_same_v<M, Icmpv6PacketTooBig>)
          return 0;
        else
          return m.code;
      },
      msg);
}

void Icmpv6Repr::emit(std::span<uint8_t> buf, const Ipv6Addr& src, const Ipv6Addr& dst) const {
  auto d = data();
  assert(buf.size() == kIcmpv6HeaderLen + d.size());
  uint32_t rest = 0;
  if (const auto* e = std::get_if<Icmpv6Echo>(&msg))
    rest = (uint32_t{e->id} << 16) | e->seq;
  else if (const auto* t = std::get_if<Icmpv6PacketTooBig>(&msg))
    rest = t->mtu;
  else if (const auto* p = std::get_if<Icmpv6ParamProblem>(&msg))
    rest = p->pointer;
  else if (const auto* o = std::get_if<Icmpv6Other>(&msg))
    rest = o->rest;
  place_bytes(buf.subspan(kIcmpv6HeaderLen), d);
  Icmpv6View<uint8_t> v(buf);
  v.set_type(type());
  v.set_code(code());
  v.set_rest(rest);
  v.fill_checksum(src, dst);
}

}  // namespace stackd::wire
