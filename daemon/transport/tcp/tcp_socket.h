// TcpSocket: the socket API the built-in services and the session layer
// use, a handle (TCB index) onto TcpLayer. Non-blocking, Linux errno values:
//
//   TcpSocket l(tcp);  l.bind(Ipv4Addr::any(), 7);  l.listen(128);
//   if (auto c = l.accept()) { n = c->recv(buf, now); c->send(bytes, now); c->close(now); }
//   TcpSocket s(tcp);  s.connect(addr, 80, now);   // -EINPROGRESS; writable() once connected
//
// close() hands the connection to the layer (FIN, or RST when unread data
// is left, as Linux does); it lives on through FIN-WAIT/TIME-WAIT unowned.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "transport/tcp/tcp_layer.h"

namespace stackd::tcp {

// TCP_INFO-like snapshot (Linux struct tcp_info's main fields).
struct TcpInfo {
  TcpState state = TcpState::kClosed;
  uint32_t rto_us = 0, rtt_us = 0, rttvar_us = 0;
  uint32_t snd_mss = 0, rcv_mss = 0;
  uint32_t snd_cwnd = 0, snd_ssthresh = 0;  // bytes
  uint32_t retransmits = 0, total_retrans = 0;
  uint32_t reordering = 3;  // segments (measured; DupThresh)
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool timestamps = false, sack = false, wscale = false;
  uint64_t bytes_acked = 0, bytes_received = 0;
  uint32_t segs_in = 0, segs_out = 0;
  uint32_t snd_wnd = 0, rcv_wnd = 0;
};

class TcpSocket {
 public:
  explicit TcpSocket(TcpLayer& tcp);                // a new CLOSED socket
  TcpSocket(TcpLayer& tcp, uint32_t index) : tcp_(&tcp), i_(index) {}  // adopt (accept)
  ~TcpSocket();
  TcpSocket(TcpSocket&& o) noexcept : tcp_(o.tcp_), i_(o.i_) { o.i_ = kNoTcb; }
  TcpSocket& operator=(TcpSocket&& o) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  bool valid() const { return i_ != kNoTcb; }
  uint32_t index() const { return i_; }

  int bind(const IpAddr& addr, uint16_t port) { return tcp_->bind(i_, addr, port); }
  int listen(uint32_t backlog = 0) { return tcp_->listen(i_, backlog); }
  std::optional<TcpSocket> accept();
  int connect(const IpAddr& addr, uint16_t port, Instant now) {
    return tcp_->connect(i_, addr, port, now);
  }
  // Bytes taken into the send ring, or -EAGAIN (full), -EPIPE (after
  // shutdown), -ENOTCONN, -errno of a reset.
  int64_t send(std::span<const uint8_t> d, Instant now) { return tcp_->send(i_, d, now); }
  // Bytes read, 0 at end of stream, -EAGAIN when nothing is there yet.
  int64_t recv(std::span<uint8_t> out, Instant now) { return tcp_->recv(i_, out, now); }
  int shutdown_wr(Instant now) { return tcp_->shutdown_wr(i_, now); }

  // Zero copy with ring storage the owner supplies (the session hands over
  // a client's shared-memory rings; tcp README "Memory"). TCP sends
  // straight out of `storage` and keeps unacknowledged bytes there until
  // ACKed; received bytes go straight into the receive storage, out of
  // order too. The storage's contents are untrusted payload; the offsets
  // are TCP's, moved only by these calls with lengths TCP clamps.
  //   attach_send_storage: the next committed byte is storage byte `at`
  //     (masked); false while bytes of TCP's own are queued.
  //   commit_send(n): n more bytes were written there (bytes taken or -errno).
  //   attach_recv_storage: the ring's indices in the storage's numbering
  //     ({read position, write position}); false while TCP's own ring
  //     holds unread bytes or islands (recv() them first).
  //   consume_recv(n): n bytes were read; may send a window update.
  // close() copies what TCP still needs into its own memory first.
  bool attach_send_storage(std::span<uint8_t> storage, uint32_t at) {
    return tcp_->attach_send_storage(t(), storage, at);
  }
  bool attach_recv_storage(std::span<uint8_t> storage, buf::ByteRingIndex at) {
    return tcp_->attach_recv_storage(t(), storage, at);
  }
  int64_t commit_send(uint32_t n, Instant now) { return tcp_->commit_send(i_, n, now); }
  uint32_t consume_recv(uint32_t n, Instant now) { return tcp_->consume_recv(i_, n, now); }
  const buf::ByteRing& send_ring() const { return t().snd_ring; }
  const buf::ByteRing& recv_ring() const { return t().rcv_ring; }
  bool send_external() const { return t().snd_external; }
  bool recv_external() const { return t().rcv_external; }
  void close(Instant now);  // FIN (or RST with unread data); the socket becomes invalid
  void abort(Instant now);  // SO_LINGER 0: RST; the socket becomes invalid

  void set_nodelay(bool on) { t().nodelay = on; }
  // IPv6 socket options (RFC 3493 §5.3, RFC 3542 §6.5): before bind / any time.
  int set_v6only(bool on) { return tcp_->set_v6only(i_, on); }
  void set_hop_limit(uint8_t hops) { t().hop_limit = hops; }  // 0: the default
  void set_tclass(uint8_t tclass) { t().tclass = tclass; }
  const IpAddr& local_addr() const { return t().local_addr; }
  uint16_t local_port() const { return t().local_port; }
  const IpAddr& remote_addr() const { return t().remote_addr; }
  uint16_t remote_port() const { return t().remote_port; }
  void set_cork(bool on, Instant now);
  void set_keepalive(bool on, Duration idle, Duration intvl, uint32_t cnt, Instant now);
  int set_congestion(std::string_view name, Instant now) { return tcp_->set_congestion(i_, name, now); }
  // TCP_USER_TIMEOUT (RFC 5482), milliseconds as Linux takes them; 0 = off
  // (the retry counts decide), negative = -EINVAL. Accepted sockets inherit it.
  int set_user_timeout(int64_t ms);

  // Readiness bits (poll semantics).
  bool readable() const;  // data, end of stream, error, or a connection to accept
  bool writable() const;  // connected with send-ring space
  bool has_error() const { return t().error != 0; }
  bool hup() const;       // peer closed and nothing more will come, or reset
  int take_error();       // SO_ERROR
  TcpState state() const { return t().state; }
  uint32_t rx_available() const { return t().rcv_ring.size(); }
  uint32_t tx_space() const { return tcp_->snd_space(t()); }
  TcpInfo info() const;

 private:
  Tcb& t() { return tcp_->tcb(i_); }
  const Tcb& t() const { return tcp_->tcb(i_); }
  TcpLayer* tcp_;
  uint32_t i_ = kNoTcb;
};

}  // namespace stackd::tcp
