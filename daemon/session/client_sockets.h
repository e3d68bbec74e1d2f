// One client's sockets: the slots of its segment bound to TcpSocket /
// UdpSocket endpoints, the requests of its channels, and the data path
// between its shared rings and the transport (TCP: no copy, the rings'
// storage is TCP's send/receive ring storage; UDP: a copy per datagram).
//
//   ClientSockets c(layers, seg, wakeups, client_id);
//   c.serve_channels(now);      // doorbell: copy requests out, answer them
//   c.sync(slot, now);          // a TCP event or a kick: move bytes, publish readiness
//   c.reclaim(now);             // client gone: close everything as Linux does at exit
//
// The segment is hostile input: every index read from it is checked against
// the daemon's own copy of the geometry, nothing read is trusted twice, and
// a corrupted socket is marked broken (flag::kBroken, its connection reset)
// without touching any other.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "session/request.h"
#include "session/wakeups.h"
#include "stackd/abi/attach.h"
#include "stackd/abi/ring.h"
#include "stackd/abi/segment.h"
#include "transport/tcp/tcp_socket.h"
#include "transport/raw.h"
#include "transport/udp.h"

namespace stackd::session {

class SessionTable;

// The segment as the daemon knows it: its base and the geometry it chose.
struct SegmentView {
  uint8_t* base = nullptr;
  abi::Geometry geo;
};

// Daemon-private state of one slot.
struct Slot {
  enum class Kind : uint8_t { kFree, kTcp, kUdp, kRaw };
  Kind kind = Kind::kFree;
  uint32_t gen = 0;
  std::optional<tcp::TcpSocket> tcp;
  std::unique_ptr<transport::UdpSocket> udp;
  std::unique_ptr<transport::RawSocket> raw;  // SOCK_RAW (raw_sockets.cc)
  uint32_t rx_head = 0;  // our producer index of the rx ring (never read back)
  uint32_t rx_tail = 0;  // the client's consumer index as last validated (TCP)
  uint32_t tx_tail = 0;  // our consumer index of the tx ring (TCP: the acknowledged end)
  // TCP sends straight out of the tx ring and receives straight into the rx
  // ring (TcpSocket::attach_*_storage). tx_committed: the end of the bytes
  // handed to TCP (client numbering); tx_delta: client index minus TCP's
  // ring offset (a sequence number).
  uint32_t tx_committed = 0;
  uint32_t tx_delta = 0;
  bool tx_zc = false, rx_zc = false;
  uint32_t flags = 0;    // as last published
  uint32_t seq = 0;
  bool listening = false;
  bool v6 = false;               // AF_INET6: addresses in and out in its view (request.h)
  bool v6only = false;           // IPV6_V6ONLY as set
  int32_t hops = -1, tclass = -1;  // IPV6_UNICAST_HOPS / IPV6_TCLASS as set (-1: default)
  bool shut_wr_pending = false;  // SHUT_WR after the tx ring drains
  bool rd_shut = false, wr_shut = false;  // shutdown(2) as the client asked
  bool broken = false;           // its shared words were corrupted: reset, unusable
  bool has_fd = false;           // the client gave us B of the socket's fd pair
  bool fd_eof_sent = false;      // B's write side shut (A reads EOF)
  int broken_error = 0;
  int udp_error = 0;             // pending SO_ERROR of a UDP socket
  // Received (UDP, or raw: the IP datagram as payload, port 0), waiting for rx ring space.
  std::optional<transport::UdpDatagram> udp_held;
  // Options Linux reports back (getsockopt) that the transport does not keep.
  bool reuseaddr = false, reuseport = false, keepalive = false, nodelay = false, cork = false, broadcast = false;
  int32_t linger_on = 0, linger_secs = 0;
  int32_t keep_idle = 7200, keep_intvl = 75, keep_cnt = 9;
  int32_t user_timeout = 0;
  std::string congestion;
  std::optional<Endpoint> udp_peer;
};

class ClientSockets {
 public:
  ClientSockets(SessionTable& table, SegmentView seg, Wakeups& wakeups, uint32_t client_id);
  ~ClientSockets();
  ClientSockets(const ClientSockets&) = delete;
  ClientSockets& operator=(const ClientSockets&) = delete;

  // Write the segment header and zero the shared words (at attach).
  void init_segment();
  // Serve every channel's pending requests. Returns requests served.
  size_t serve_channels(Instant now);
  // Move bytes for `slot` both ways and publish its readiness.
  void sync(uint32_t slot, Instant now);
  // UDP sockets have no event list: look at each one (called every poll).
  size_t poll_udp(Instant now);
  // The client gave B of socket (slot, gen)'s fd pair (the shell holds B):
  // from now on readiness is also driven through it. False: no such socket.
  bool attach_fd(uint32_t slot, uint32_t gen, Instant now);
  // Every copy of the socket's fd A is closed (B hung up): close it as
  // Linux's last close(2) does, with the connections a listener had queued.
  void fd_released(uint32_t slot, Instant now);
  // What a claimer of the socket's fd needs (abi::ClaimReply, abi/attach.h
  // "Claim"): nullopt when the slot holds no socket with an fd.
  std::optional<abi::ClaimReply> describe(uint32_t slot) const;
  // The client is gone: close every socket as Linux closes a dying
  // process's sockets (FIN after queued data, RST when unread data is left).
  void reclaim(Instant now);

  uint32_t id() const { return id_; }
  // The process that attached (SO_PEERCRED, read by daemon/ipc at attach):
  // the control plane shows it as `ss -p` shows a socket's owner.
  struct Peer {
    int32_t pid = 0;
    uint32_t uid = 0;
    // May open SOCK_RAW sockets (Linux: CAP_NET_RAW): root, or a uid/gid
    // of [attach] raw_uids/raw_gids, decided by daemon/ipc at attach.
    bool raw_allowed = false;
  };
  void set_peer(Peer p) { peer_ = p; }
  const Peer& peer() const { return peer_; }
  // Each UDP socket this client holds (for that listing).
  template <class F>
  void for_each_udp(F f) const {
    for (uint32_t s : udp_slots_)
      if (slots_[s].udp) f(*slots_[s].udp);
  }
  size_t sockets_open() const { return open_; }
  size_t segment_bytes() const { return seg_.geo.segment_bytes; }

 private:
  // Shared-memory accessors: positions come from the daemon's geometry only.
  abi::SocketShm& shm(uint32_t slot) const;
  abi::Channel& channel(uint32_t ch) const;
  abi::RingBytes rx_bytes(uint32_t slot) const;
  abi::RingBytes tx_bytes(uint32_t slot) const;

  void handle(uint32_t ch, const DecodedRequest& r, abi::Response& out, Instant now);
  int op_socket(int32_t type, int32_t domain, int32_t protocol, abi::Response& out);
  // raw_sockets.cc: SOCK_RAW (raw(7)) as Linux's inet_create / raw_setsockopt.
  int op_socket_raw(int32_t domain, int32_t protocol, uint32_t* slot);
  int set_raw_option(Slot& s, int32_t level, int32_t name, int32_t v);
  int get_raw_option(Slot& s, int32_t level, int32_t name, abi::Response& out);
  int raw_send(Slot& s, const abi::WireAddr& to, std::span<const uint8_t> datagram, Instant now);
  std::optional<transport::UdpDatagram> raw_recv(Slot& s);
  // The transport's endpoint for an address the client gave `s`; -errno
  // when the family does not fit the socket's.
  // How an IPv4 endpoint given to an AF_INET6 slot is taken (Linux): UDP
  // connect and sendto go the IPv4 way (IPV6_V6ONLY: EAFNOSUPPORT, ENETUNREACH);
  // everything else refuses it (EAFNOSUPPORT).
  enum class V4Form : uint8_t { kRefuse, kUdpConnect, kUdpSendto };
  Expected<Endpoint, int> to_transport(const Slot& s, const Endpoint& ep, V4Form v4 = V4Form::kRefuse) const;
  // An address as the client sees it (v4-mapped for AF_INET6 sockets).
  static abi::WireAddr to_wire(const Slot& s, const IpAddr& a, uint16_t port);
  int op_bind(Slot& s, const Endpoint& ep);
  // Port 0: a free port of the ephemeral range, at once, as Linux's bind()
  // and listen() on an unbound socket do. (TcpLayer::bind keeps port 0
  // "unbound"; this belongs there once transport/tcp can take it.)
  int bind_tcp_ephemeral(Slot& s, const Endpoint& ep);
  int op_listen(Slot& s, uint32_t slot, int32_t backlog, Instant now);
  int op_connect(Slot& s, uint32_t slot, const Endpoint& ep, Instant now);
  int op_shutdown(Slot& s, uint32_t slot, int32_t how, Instant now);
  int op_setsockopt(Slot& s, const DecodedRequest& r, Instant now);
  int set_ipv6_option(Slot& s, int32_t name, int32_t v);
  int op_getsockopt(Slot& s, const DecodedRequest& r, abi::Response& out);
  int op_getname(Slot& s, bool peer, abi::Response& out);
  void close_slot(uint32_t slot, Instant now);

  void sync_tcp(uint32_t slot, Slot& s, Instant now);
  void attach_rings(uint32_t slot, Slot& s);
  bool tcp_tx(uint32_t slot, Slot& s, Instant now, bool* moved);  // false: broken
  bool tcp_rx(uint32_t slot, Slot& s, Instant now, bool* moved);
  uint32_t tcp_flags(const Slot& s) const;
  void sync_udp(uint32_t slot, Slot& s, Instant now);  // UDP and raw: datagram rings
  void accept_into(uint32_t slot, Slot& s, Instant now);
  void publish(uint32_t slot, Slot& s, uint32_t flags, bool moved);
  void signal_fd(uint32_t slot, Slot& s, bool moved);
  void mark_broken(uint32_t slot, Slot& s, Instant now);
  std::optional<uint32_t> alloc_slot();

  SessionTable& table_;
  SegmentView seg_;
  Wakeups& wakeups_;
  uint32_t id_;
  Peer peer_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> udp_slots_;  // datagram sockets (UDP and raw): polled
  std::vector<uint32_t> req_tail_;   // per channel: our consumer index
  std::vector<uint32_t> resp_head_;  // per channel: our producer index
  size_t open_ = 0;
  std::vector<uint8_t> scratch_;     // a datagram that wraps the ring end
  uint32_t next_port_ = 0;           // bind_tcp_ephemeral's next try
};

}  // namespace stackd::session
