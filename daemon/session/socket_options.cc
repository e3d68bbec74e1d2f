// setsockopt / getsockopt / getsockname / getpeername for the client's
// sockets, with Linux's values, ranges and errno (ENOPROTOOPT for what
// stackd does not implement). SO_RCVTIMEO / SO_SNDTIMEO and O_NONBLOCK live
// in the client library: they only change how the client waits.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "session/client_sockets.h"
#include "session/session_table.h"

namespace stackd::session {

namespace {
// Linux struct tcp_info's tcpi_state numbering (include/net/tcp_states.h).
uint8_t linux_tcp_state(tcp::TcpState s) {
  switch (s) {
    case tcp::TcpState::kEstablished: return 1;
    case tcp::TcpState::kSynSent: return 2;
    case tcp::TcpState::kSynReceived: return 3;
    case tcp::TcpState::kFinWait1: return 4;
    case tcp::TcpState::kFinWait2: return 5;
    case tcp::TcpState::kTimeWait: return 6;
    case tcp::TcpState::kClosed: return 7;
    case tcp::TcpState::kCloseWait: return 8;
    case tcp::TcpState::kLastAck: return 9;
    case tcp::TcpState::kListen: return 10;
    case tcp::TcpState::kClosing: return 11;
  }
  return 7;
}

void fill_tcp_info(const tcp::TcpInfo& i, struct tcp_info& o) {
  std::memset(&o, 0, sizeof(o));
  o.tcpi_state = linux_tcp_state(i.state);
  o.tcpi_retransmits = static_cast<uint8_t>(i.retransmits);
  if (i.timestamps) o.tcpi_options |= TCPI_OPT_TIMESTAMPS;
  if (i.sack) o.tcpi_options |= TCPI_OPT_SACK;
  if (i.wscale) {
    o.tcpi_options |= TCPI_OPT_WSCALE;
    o.tcpi_snd_wscale = i.snd_wscale & 0xf;
    o.tcpi_rcv_wscale = i.rcv_wscale & 0xf;
  }
  o.tcpi_rto = i.rto_us;
  o.tcpi_snd_mss = i.snd_mss;
  o.tcpi_rcv_mss = i.rcv_mss;
  o.tcpi_rtt = i.rtt_us;
  o.tcpi_rttvar = i.rttvar_us;
  // Linux reports cwnd and ssthresh in segments.
  const uint32_t mss = i.snd_mss ? i.snd_mss : 1;
  o.tcpi_snd_cwnd = i.snd_cwnd / mss;
  o.tcpi_snd_ssthresh = i.snd_ssthresh >= 0x7fffffffu ? 0x7fffffffu : i.snd_ssthresh / mss;
  o.tcpi_total_retrans = i.total_retrans;
  o.tcpi_reordering = i.reordering;
  o.tcpi_advmss = i.rcv_mss;
}

bool int_range(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }
constexpr size_t kCaNameMax = 16;  // Linux TCP_CA_NAME_MAX
}  // namespace

int ClientSockets::op_setsockopt(Slot& s, const DecodedRequest& r, Instant now) {
  const int32_t level = r.a[0], name = r.a[1], v = r.a[2];
  const bool tcp = s.kind == Slot::Kind::kTcp;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        s.reuseaddr = v != 0;
        if (s.udp) s.udp->set_reuseaddr(s.reuseaddr);  // also after bind (UdpSocket::set_reuseaddr)
        return 0;
      // Accepted and reported (nc, nginx set it); binding a port another
      // socket holds is still EADDRINUSE (no reuseport groups yet).
      case SO_REUSEPORT: s.reuseport = v != 0; return 0;
      case SO_BROADCAST: s.broadcast = v != 0; return 0;
      case SO_RCVBUF:
      case SO_SNDBUF: return 0;  // accepted; ring sizes are the segment's
      case SO_LINGER:
        s.linger_on = v;
        s.linger_secs = r.a[3];
        return 0;
      case SO_KEEPALIVE:
        s.keepalive = v != 0;
        if (tcp)
          s.tcp->set_keepalive(s.keepalive, Duration::seconds(s.keep_idle),
                               Duration::seconds(s.keep_intvl), static_cast<uint32_t>(s.keep_cnt), now);
        return 0;
      default: return -ENOPROTOOPT;
    }
  }
  if (level == IPPROTO_IPV6) return set_ipv6_option(s, name, v);
  if (s.raw) return set_raw_option(s, level, name, v);
  if (level != IPPROTO_TCP || !tcp) return -ENOPROTOOPT;
  switch (name) {
    case TCP_NODELAY:
      s.nodelay = v != 0;
      s.tcp->set_nodelay(s.nodelay);
      return 0;
    case TCP_CORK:
      s.cork = v != 0;
      s.tcp->set_cork(s.cork, now);
      return 0;
    case TCP_KEEPIDLE:
    case TCP_KEEPINTVL:
      if (!int_range(v, 1, 32767)) return -EINVAL;  // Linux MAX_TCP_KEEPIDLE/INTVL
      (name == TCP_KEEPIDLE ? s.keep_idle : s.keep_intvl) = v;
      break;
    case TCP_KEEPCNT:
      if (!int_range(v, 1, 127)) return -EINVAL;  // MAX_TCP_KEEPCNT
      s.keep_cnt = v;
      break;
    case TCP_USER_TIMEOUT: {
      const int e = s.tcp->set_user_timeout(v);
      if (e == 0) s.user_timeout = v;
      return e;
    }
    case TCP_CONGESTION: {
      const char* p = reinterpret_cast<const char*>(r.data.data());
      const size_t n = strnlen(p, std::min<size_t>(r.data.size(), kCaNameMax));
      std::string name_s(p, n);
      const int e = s.tcp->set_congestion(name_s, now);
      if (e == 0) s.congestion = name_s;
      return e == -EINVAL ? -ENOENT : e;  // Linux: unknown algorithm = ENOENT
    }
    default: return -ENOPROTOOPT;
  }
  if (s.keepalive)
    s.tcp->set_keepalive(true, Duration::seconds(s.keep_idle), Duration::seconds(s.keep_intvl),
                         static_cast<uint32_t>(s.keep_cnt), now);
  return 0;
}

// IPPROTO_IPV6 (RFC 3493 §5, RFC 3542 §6.5) on an AF_INET6 socket, with
// Linux's checks: V6ONLY only before bind (EINVAL after), hops and traffic
// class in -1..255 (-1: the default). UDP keeps only what getsockopt says.
int ClientSockets::set_ipv6_option(Slot& s, int32_t name, int32_t v) {
  if (!s.v6) return -ENOPROTOOPT;
  const bool tcp = s.kind == Slot::Kind::kTcp;
  switch (name) {
    case IPV6_V6ONLY: {
      if (tcp) {
        if (const int e = s.tcp->set_v6only(v != 0)) return e;
      } else if (const int e = s.udp->set_v6only(v != 0)) {
        return e;  // after bind (Linux)
      }
      s.v6only = v != 0;
      return 0;
    }
    case IPV6_UNICAST_HOPS:
    case IPV6_TCLASS: {
      if (!int_range(v, -1, 255)) return -EINVAL;
      (name == IPV6_TCLASS ? s.tclass : s.hops) = v;
      if (tcp && name == IPV6_TCLASS) s.tcp->set_tclass(static_cast<uint8_t>(v < 0 ? 0 : v));
      if (tcp && name == IPV6_UNICAST_HOPS) s.tcp->set_hop_limit(static_cast<uint8_t>(v < 0 ? 0 : v));
      return 0;
    }
    default: return -ENOPROTOOPT;
  }
}

// Result: the option's length; val[0..1] or data hold its bytes.
int ClientSockets::op_getsockopt(Slot& s, const DecodedRequest& r, abi::Response& out) {
  const int32_t level = r.a[0], name = r.a[1];
  const bool tcp = s.kind == Slot::Kind::kTcp;
  auto int_opt = [&](int32_t v) {
    out.val[0] = v;
    return static_cast<int>(sizeof(int));
  };
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE: return int_opt(tcp ? SOCK_STREAM : s.raw ? SOCK_RAW : SOCK_DGRAM);
      case SO_PROTOCOL: return int_opt(tcp ? IPPROTO_TCP : s.raw ? int32_t{s.raw->protocol()} : int32_t{IPPROTO_UDP});
      case SO_DOMAIN: return int_opt(s.v6 ? AF_INET6 : AF_INET);
      case SO_ACCEPTCONN: return int_opt(s.listening ? 1 : 0);
      case SO_REUSEADDR: return int_opt(s.reuseaddr);
      case SO_REUSEPORT: return int_opt(s.reuseport);
      case SO_BROADCAST: return int_opt(s.broadcast);
      case SO_KEEPALIVE: return int_opt(s.keepalive);
      case SO_RCVBUF:
        return int_opt(static_cast<int32_t>(tcp ? table_.tcp().config().rcv_buf : 212992));
      case SO_SNDBUF:
        return int_opt(static_cast<int32_t>(tcp ? table_.tcp().config().snd_buf : 212992));
      case SO_LINGER:
        out.val[0] = s.linger_on;
        out.val[1] = s.linger_secs;
        return 8;
      case SO_ERROR: {
        int e = 0;
        if (s.broken) e = std::exchange(s.broken_error, 0);
        else if (tcp) e = s.tcp->take_error();
        else e = std::exchange(s.udp_error, 0);
        return int_opt(e);
      }
      default: return -ENOPROTOOPT;
    }
  }
  if (level == IPPROTO_IPV6) {
    if (!s.v6) return -ENOPROTOOPT;
    switch (name) {
      case IPV6_V6ONLY: return int_opt(s.v6only);
      // Linux reports the defaults it would use: 64 hops, traffic class 0.
      case IPV6_UNICAST_HOPS: return int_opt(s.hops < 0 ? 64 : s.hops);
      case IPV6_TCLASS: return int_opt(s.tclass < 0 ? 0 : s.tclass);
      default: return -ENOPROTOOPT;
    }
  }
  if (s.raw) return get_raw_option(s, level, name, out);
  if (level != IPPROTO_TCP || !tcp) return -ENOPROTOOPT;
  switch (name) {
    case TCP_NODELAY: return int_opt(s.nodelay);
    case TCP_CORK: return int_opt(s.cork);
    case TCP_KEEPIDLE: return int_opt(s.keep_idle);
    case TCP_KEEPINTVL: return int_opt(s.keep_intvl);
    case TCP_KEEPCNT: return int_opt(s.keep_cnt);
    case TCP_USER_TIMEOUT: return int_opt(s.user_timeout);
    case TCP_MAXSEG: {
      const auto i = s.tcp->info();
      return int_opt(static_cast<int32_t>(i.snd_mss ? i.snd_mss : 536));
    }
    case TCP_CONGESTION: {
      const size_t n = std::min(s.congestion.size(), size_t{kCaNameMax - 1});
      std::memset(out.data, 0, kCaNameMax);
      std::memcpy(out.data, s.congestion.data(), n);
      return kCaNameMax;
    }
    case TCP_INFO: {
      struct tcp_info ti;
      static_assert(sizeof(ti) <= sizeof(out.data));
      fill_tcp_info(s.tcp->info(), ti);
      std::memcpy(out.data, &ti, sizeof(ti));
      return static_cast<int>(sizeof(ti));
    }
    default: return -ENOPROTOOPT;
  }
}

int ClientSockets::op_getname(Slot& s, bool peer, abi::Response& out) {
  abi::WireAddr w{};
  if (s.kind == Slot::Kind::kTcp) {
    const tcp::Tcb& t = table_.tcp().tcb(s.tcp->index());
    if (peer) {
      if (!tcp::is_synchronized(t.state) || t.remote_port == 0) return -ENOTCONN;
      w = to_wire(s, t.remote_addr, t.remote_port);
    } else {
      w = to_wire(s, t.local_addr, t.local_port);
    }
  } else {
    if (peer) {
      if (!s.udp_peer) return -ENOTCONN;
      w = to_wire(s, s.udp_peer->addr, s.udp_peer->port);
    } else if (s.raw) {
      w = to_wire(s, IpAddr(s.raw->local_addr()), s.raw->protocol());  // Linux: inet_sport = protocol
    } else {
      w = to_wire(s, s.udp->local_addr(), s.udp->local_port());
    }
  }
  std::memcpy(out.data, &w, sizeof(w));
  return 0;
}

}  // namespace stackd::session
