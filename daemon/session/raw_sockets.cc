// SOCK_RAW sockets of a client (raw(7)): creation with Linux's checks and
// the privilege rule, their options, and the datagram ring's records
// turned into RawSocket sends and receives. The rest of the datagram path
// (records copied out once, bounded, readiness) is sync_udp's.
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "session/client_sockets.h"
#include "session/session_table.h"

namespace stackd::session {

// Linux inet_create for SOCK_RAW: the protocol in 0..255 (EINVAL), not 0
// (EPROTONOSUPPORT: no wildcard for raw), then CAP_NET_RAW (EPERM). Here
// the capability is the client's `raw_allowed`, decided at attach from its
// credentials: a client must not get raw sockets just by attaching.
// IPv6 raw sockets are not built: ESOCKTNOSUPPORT.
int ClientSockets::op_socket_raw(int32_t domain, int32_t protocol, uint32_t* slot) {
  if (domain != 0 && domain != AF_INET && domain != AF_INET6) return -EAFNOSUPPORT;
  if (domain == AF_INET6) return -ESOCKTNOSUPPORT;
  if (protocol < 0 || protocol > 255) return -EINVAL;
  if (protocol == 0) return -EPROTONOSUPPORT;
  if (!peer_.raw_allowed) return -EPERM;
  auto i = alloc_slot();
  if (!i) return -EMFILE;
  Slot& s = slots_[*i];
  s.kind = Slot::Kind::kRaw;
  s.raw = std::make_unique<transport::RawSocket>(table_.raw(), static_cast<uint8_t>(protocol));
  udp_slots_.push_back(*i);
  publish(*i, s, abi::flag::kConnected, true);
  *slot = *i;
  return 0;
}

// IPPROTO_IP: IP_HDRINCL, IP_TTL (1..255, -1 = the default, as Linux);
// SOL_RAW: ICMP_FILTER on IPPROTO_ICMP sockets (EOPNOTSUPP on others,
// Linux raw_seticmpfilter).
int ClientSockets::set_raw_option(Slot& s, int32_t level, int32_t name, int32_t v) {
  if (level == IPPROTO_IP) {
    switch (name) {
      case IP_HDRINCL:
        if (s.raw->protocol() == transport::kIpprotoRaw) return -ENOPROTOOPT;  // Linux: always on
        s.raw->set_hdrincl(v != 0);
        return 0;
      case IP_TTL:
        if (v != -1 && (v < 1 || v > 255)) return -EINVAL;
        s.raw->set_ttl(static_cast<uint8_t>(v == -1 ? 0 : v));  // 0: the default
        return 0;
      default: return -ENOPROTOOPT;
    }
  }
  if (level == SOL_RAW && name == ICMP_FILTER) {
    if (s.raw->protocol() != IPPROTO_ICMP) return -EOPNOTSUPP;
    s.raw->set_icmp_filter(static_cast<uint32_t>(v));
    return 0;
  }
  return -ENOPROTOOPT;
}

int ClientSockets::get_raw_option(Slot& s, int32_t level, int32_t name, abi::Response& out) {
  auto int_opt = [&](uint32_t v) {
    out.val[0] = static_cast<int32_t>(v);
    return static_cast<int>(sizeof(int));
  };
  if (level == IPPROTO_IP && name == IP_HDRINCL) return int_opt(s.raw->hdrincl());
  if (level == IPPROTO_IP && name == IP_TTL)
    return int_opt(s.raw->ttl() != 0 ? s.raw->ttl() : table_.udp().ip().config().default_ttl);
  if (level == SOL_RAW && name == ICMP_FILTER) {
    if (s.raw->protocol() != IPPROTO_ICMP) return -EOPNOTSUPP;
    return int_opt(s.raw->icmp_filter());
  }
  return -ENOPROTOOPT;
}

// A record of the tx ring: `to` family 0 = the connected peer (send()).
// The port is ignored, as Linux's raw_sendmsg does.
int ClientSockets::raw_send(Slot& s, const abi::WireAddr& to, std::span<const uint8_t> datagram, Instant now) {
  if (to.family == 0) return s.raw->send(datagram, now);
  auto w = endpoint_from_wire(to);
  if (!w) return -EAFNOSUPPORT;
  auto ep = to_transport(s, *w);
  if (!ep) return -ep.error();
  const Ipv4Addr dst = ep->addr.v4();
  // Linux raw_sendmsg: a broadcast without SO_BROADCAST is EACCES.
  if ((dst.is_broadcast() || table_.udp().ip().is_subnet_broadcast(dst)) && !s.broadcast) return -EACCES;
  return s.raw->send_to(dst, datagram, now);
}

// The next received datagram as a record's payload: the IP datagram,
// header first; its source with port 0 (Linux raw_recvmsg).
std::optional<transport::UdpDatagram> ClientSockets::raw_recv(Slot& s) {
  auto d = s.raw->recv();
  if (!d) return std::nullopt;
  transport::UdpDatagram u;
  u.payload = std::move(d->bytes);
  u.src = IpAddr(d->src);
  u.ifindex = d->ifindex;
  return u;
}

}  // namespace stackd::session
