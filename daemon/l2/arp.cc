#include "l2/arp.h"

#include "wire/arp.h"
#include "wire/ethernet.h"

namespace stackd::l2 {

Ipv4Addr arp_source_for(const Interface& iface, Ipv4Addr target) {
  for (const auto& p : iface.addrs)
    if (p.addr.is_v4() && p.contains(IpAddr(target))) return p.addr.v4();
  return iface.primary_ipv4();
}

// RFC 826 "Packet Reception", with the checks RFC 5227 and Linux add.
void Arp::input(Interface& iface, buf::PacketBuf&& pkt, LinkCast cast, Instant now) {
  // ?Do I have the hardware type / speak the protocol / opcode known?
  auto parsed = wire::ArpRepr::parse(std::span<const uint8_t>(pkt.bytes()));
  if (!parsed) {
    drops_.drop(parsed.error());
    return;
  }
  const wire::ArpRepr& arp = *parsed;
  bool is_request = arp.op == wire::ArpOp::kRequest;
  counters_.inc(is_request ? Counter::ArpInRequests : Counter::ArpInReplies);

  // A group or zero hardware address, or a multicast/broadcast protocol
  // address, can never be a neighbour (Linux arp_process drops these too).
  if (arp.sender_mac.is_multicast() || arp.sender_mac.is_zero() ||
      arp.sender_ip.is_multicast() || arp.sender_ip.is_broadcast() ||
      iface.is_ipv4_subnet_broadcast(arp.sender_ip)) {
    drops_.drop(DropReason::kArpBadSender);
    return;
  }
  bool target_is_us = iface.has_ipv4(arp.target_ip);

  // RFC 5227 §1.1/§2.1.1: an ARP probe (sender 0.0.0.0) asks whether an
  // address is in use. Answer for ours; learn nothing from it.
  if (arp.sender_ip.is_unspecified()) {
    if (is_request && target_is_us) {
      reply(iface, arp);
    } else {
      drops_.drop(DropReason::kArpNotForUs);
    }
    return;
  }
  // Someone else claims one of our addresses (RFC 5227 §2.4 conflict):
  // never let it redirect our own address in the cache.
  if (iface.has_ipv4(arp.sender_ip)) {
    drops_.drop(DropReason::kArpAddrConflict);
    return;
  }

  // Merge: update an existing entry for the sender whoever the target is;
  // add one only if the target is us. A unicast reply to us confirms
  // reachability; requests, broadcast replies and announcements do not
  // (RFC 4861 §7.2.5 as Linux applies it to ARP).
  NeighEvidence evidence = !is_request && cast == LinkCast::kUnicast ? NeighEvidence::kConfirmed
                                                                     : NeighEvidence::kHeard;
  LearnResult learned =
      cache_.learn(iface.index, arp.sender_ip, arp.sender_mac, evidence, target_is_us, now);

  if (!target_is_us) {
    if (learned == LearnResult::kIgnored) drops_.drop(DropReason::kArpNotForUs);
    return;
  }
  // ?Is the opcode ares_op$REQUEST? Then reply.
  if (is_request) reply(iface, arp);
}

void Arp::request(Interface& iface, Ipv4Addr target, std::optional<MacAddr> unicast_to) {
  // RFC 826: the target hardware address of a request is unknown (zero).
  send(iface, unicast_to.value_or(MacAddr::broadcast()),
       {.op = wire::ArpOp::kRequest,
        .sender_mac = iface.mac,
        .sender_ip = arp_source_for(iface, target),
        .target_mac = MacAddr{},
        .target_ip = target},
       Counter::ArpOutRequests);
}

void Arp::announce(Interface& iface, Ipv4Addr addr) {
  send(iface, MacAddr::broadcast(),
       {.op = wire::ArpOp::kRequest,
        .sender_mac = iface.mac,
        .sender_ip = addr,
        .target_mac = MacAddr{},
        .target_ip = addr},
       Counter::ArpOutGratuitous);
}

void Arp::reply(Interface& iface, const wire::ArpRepr& req) {
  // RFC 826: swap the sender and target fields, put our hardware address
  // in the sender field, send it to the requester's hardware address.
  send(iface, req.sender_mac,
       {.op = wire::ArpOp::kReply,
        .sender_mac = iface.mac,
        .sender_ip = req.target_ip,
        .target_mac = req.sender_mac,
        .target_ip = req.sender_ip},
       Counter::ArpOutReplies);
}

void Arp::send(Interface& iface, const MacAddr& eth_dst, const wire::ArpRepr& arp, Counter c) {
  buf::PacketBuf pkt = sink_.alloc_frame(iface, wire::kArpLen);
  if (!pkt) return;
  if (!pkt.append(wire::kArpLen)) return;  // alloc_frame promised the room
  arp.emit(pkt.bytes());
  counters_.inc(c);
  sink_.send_frame(iface, eth_dst, static_cast<uint16_t>(wire::EtherType::kArp), std::move(pkt));
}

}  // namespace stackd::l2
