// TcpLayer: the IPv4 and IPv6 protocol handler for TCP (protocol / next
// header 6; IPv6 once attach_ipv6 is called, tcp6.cc). It owns the TCB
// pool (connections by index), the demux tables (4-tuples in a FlowTable,
// listeners in an EndpointTable: hash lookups, never scans), the timer
// wheel whose entries are (TCB index, TimerKind), ephemeral ports, and the
// list of connections with news for their owner.
//
// The work is split by responsibility (STYLE.md #6):
//   tcp_layer.cc      demux, pool, ports, ICMP errors, events
//   tcp6.cc           IPv6: input, ICMPv6 errors (RFC 8201 PTB), the family-agnostic route/output
//   input.cc          RFC 9293 §3.10.7 segment arrives
//   fast_path.cc      the ESTABLISHED fast path in front of it (header prediction)
//   receive.cc        new ACK, window update, text: shared by both
//   listen.cc         LISTEN: SYN and accept queues
//   output.cc         segments cut from the send ring, ACKs, RSTs, options
//   timers.cc         RTO, persist, delayed ACK, keepalive, TIME-WAIT
//   loss_recovery.cc  SACK recovery (RFC 6675), fast retransmit, NewReno (RFC 6582)
//   tcp_socket.*      the API the services and the session layer use
//
//   TcpLayer tcp(ip, counters, drops);      // registers for protocol 6
//   every Stack::poll: tcp.on_timer(now);   Stack::poll_at: tcp.poll_at()
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/counters.h"
#include "base/drop_reason.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "base/expected.h"
#include "ip/ipv4.h"
#include "ip/ipv6.h"
#include "ip/protocol.h"
#include "ip/protocol6.h"
#include "transport/demux.h"
#include "transport/tcp/buffer_pool.h"
#include "transport/tcp/isn.h"
#include "transport/tcp/tcb.h"
#include "wire/tcp.h"

namespace stackd::tcp {

struct TcpConfig {
  uint32_t snd_buf = 256 * 1024;  // send ring bytes (power of two)
  uint32_t rcv_buf = 256 * 1024;  // receive ring bytes (power of two)
  // BufferPool bound on ring memory (in use + cached), and its cache of
  // released rings (buffer_pool.h). Connections hold rings only while busy.
  size_t buffer_pool_bytes = size_t{1} << 30;
  size_t buffer_cache_bytes = size_t{16} << 20;
  uint32_t max_connections = 131072;  // TCBs (idle ones cost ~1 KiB: rings are lent while busy)
  uint32_t default_backlog = 128;  // Linux somaxconn-like bound
  bool timestamps = true;          // RFC 7323 (Linux tcp_timestamps)
  bool window_scaling = true;      // RFC 7323 (Linux tcp_window_scaling)
  bool sack = true;                // RFC 2018 (Linux tcp_sack)
  // RFC 8985 RACK loss detection on SACK connections, replacing DupThresh
  // (Linux net.ipv4.tcp_recovery = 1), and Tail Loss Probes (Linux
  // tcp_early_retrans = 3). Off: RFC 6675 DupThresh recovery (rack.cc).
  bool rack = true;
  bool tlp = true;
  std::string congestion = "cubic";  // Linux tcp_congestion_control
  // RFC 9293 §3.8.6.3 (SHOULD < 0.5 s): Linux acks at its minimum of 40 ms
  // (TCP_DELACK_MIN) on a quiet connection; we use that bound throughout.
  Duration delack = Duration::millis(40);
  Duration time_wait = Duration::seconds(60);  // 2*MSL, Linux TCP_TIMEWAIT_LEN
  uint32_t retries2 = 15;        // Linux tcp_retries2: data RTOs before ETIMEDOUT
  uint32_t syn_retries = 6;      // Linux tcp_syn_retries
  uint32_t synack_retries = 5;   // Linux tcp_synack_retries
  uint32_t challenge_ack_limit = 1000;  // RFC 5961 §7, per second (Linux tcp_challenge_ack_limit)
  RttConfig rtt;
  // Tests fix the ISS (near 2^32 so wrap-around is exercised); 0 = RFC 6528.
  uint32_t fixed_iss = 0;
  bool use_fixed_iss = false;
  // RFC 6528 / RFC 6056 secret and the SYN-cookie secret (syn_cookie.h).
  // Inputs: these fixed values are for tests only; the daemon fills both
  // from getrandom() at start-up (app/main.cc).
  uint64_t isn_key0 = 0x0706050403020100ull, isn_key1 = 0x0f0e0d0c0b0a0908ull;
  uint64_t cookie_key0 = 0x1716151413121110ull, cookie_key1 = 0x1f1e1d1c1b1a1918ull;
  // Linux tcp_syncookies = 1: answer with a cookie when the SYN queue is full.
  bool syncookies = true;
  // Linux tcp_rfc1337 = 0 (its default): an exact RST kills TIME-WAIT.
  // 1 = RFC 1337 TIME-WAIT assassination protection: RSTs are ignored there.
  bool rfc1337 = false;
  // The ESTABLISHED fast path (fast_path.cc); off only to compare it with
  // the step-by-step path (tests, benchmarks).
  bool fast_path = true;
};

// A received segment, parsed once (STYLE.md #10).
struct Segment {
  wire::TcpRepr h;
  SeqNum seq;
  SeqNum ack;
  uint32_t len = 0;  // RFC 9293 SEG.LEN: payload + SYN + FIN
  std::span<const uint8_t> payload;
  IpAddr src, dst;  // both IPv4 or both IPv6
  uint16_t ifindex = 0;
  bool syn() const { return h.flags & wire::tcp_flag::kSyn; }
  bool fin() const { return h.flags & wire::tcp_flag::kFin; }
  bool rst() const { return h.flags & wire::tcp_flag::kRst; }
  bool has_ack() const { return h.flags & wire::tcp_flag::kAck; }
};

constexpr uint32_t kNoTcb = UINT32_MAX;

// Where a segment to a peer goes, for either family (route_to).
struct TcpRoute {
  uint16_t ifindex = 0;
  IpAddr src;          // the source address chosen for the destination
  uint32_t mtu = 1500; // link / route / path MTU
};
// RFC 9293 §3.7.1 / RFC 8200 §8.3: the MSS to advertise for a route: MTU
// less the IP and TCP headers (40 over IPv4, 60 over IPv6), and over IPv6
// never below 1220 (the 1280 minimum link MTU).
uint16_t mss_for_mtu(uint32_t mtu, bool v6);

class TcpLayer;
// input.cc: options of the peer's SYN into the TCB; our window-scale offer.
void negotiate(TcpLayer& L, Tcb& t, const Segment& s);
uint8_t rcv_wscale_offer(const TcpConfig& c);

class TcpLayer final : public ip::Ipv4ProtocolHandler,
                       public ip::Ipv6ProtocolHandler,
                       public ip::TcpRejectHandler {
 public:
  TcpLayer(ip::Ipv4Layer& ip, Counters& counters, DropStats& drops, TcpConfig cfg = {});
  ~TcpLayer() override;
  TcpLayer(const TcpLayer&) = delete;
  TcpLayer& operator=(const TcpLayer&) = delete;
  // TCP over IPv6 too: registers for next header 6 (tcp6.cc).
  void attach_ipv6(ip::Ipv6Layer& ip6);
  bool has_ipv6() const { return ip6_ != nullptr; }

  // --- ip::Ipv4ProtocolHandler
  void input(const ip::Ipv4RxMeta& meta, buf::PacketBuf&& pkt, Instant now) override;
  void error(const ip::IcmpErrorIn& err, Instant now) override;
  // --- ip::Ipv6ProtocolHandler (tcp6.cc)
  void input(const ip::Ipv6RxMeta& meta, buf::PacketBuf&& pkt, Instant now) override;
  void error(const ip::Icmp6ErrorIn& err, Instant now) override;
  // A Packet Too Big lowers the path MTU only once its quoted sequence
  // number is found in a connection's window (RFC 8201 §5.2 / RFC 5927 §4.1).
  bool validates_packet_too_big() const override { return true; }
  // The firewall's `reject` of a TCP segment: the reset a closed port
  // answers (RFC 9293 §3.10.7.1), for both families (output.cc).
  void send_reset(const ip::Ipv4RxMeta& meta, std::span<const uint8_t> segment, Instant now) override;
  bool send_reset(const ip::Ipv6RxMeta& meta, std::span<const uint8_t> segment, Instant now) override;

  // --- timers (time is an input)
  Instant poll_at() const;
  void on_timer(Instant now);

  // --- the socket API's operations (tcp_socket.h wraps them). Results are
  // 0 / bytes, or -errno as Linux returns them.
  uint32_t open();  // a CLOSED TCB, kNoTcb when the pool is exhausted
  // `addr` of either family; :: without v6only (set_v6only before bind)
  // also takes IPv4, as Linux's dual-stack sockets (-EADDRINUSE per Linux's
  // rules: :: dual-stack and any IPv4 address on the same port conflict).
  int bind(uint32_t i, const IpAddr& addr, uint16_t port);
  int listen(uint32_t i, uint32_t backlog);
  int connect(uint32_t i, const IpAddr& addr, uint16_t port, Instant now);
  // IPV6_V6ONLY: -EINVAL once bound (Linux).
  int set_v6only(uint32_t i, bool on);
  int64_t accept(uint32_t listener);  // child index or -EAGAIN
  int64_t send(uint32_t i, std::span<const uint8_t> data, Instant now);
  int64_t recv(uint32_t i, std::span<uint8_t> out, Instant now);
  // External rings (attach_send_storage / attach_recv_storage): `n` more
  // bytes were written into the send ring's storage (bytes taken, or
  // -errno as send()); `n` bytes of the receive ring were read by the owner
  // (bytes released; both clamped to what the ring holds).
  int64_t commit_send(uint32_t i, uint32_t n, Instant now);
  uint32_t consume_recv(uint32_t i, uint32_t n, Instant now);
  int shutdown_wr(uint32_t i, Instant now);
  int close(uint32_t i, Instant now);  // the handle is invalid afterwards
  void abort(uint32_t i, Instant now);  // RST (linger 0); the handle is invalid afterwards
  int set_congestion(uint32_t i, std::string_view name, Instant now);

  Tcb& tcb(uint32_t i) { return *pool_[i]; }
  const Tcb& tcb(uint32_t i) const { return *pool_[i]; }

  // Connections whose owner has something to look at (data, space, state
  // change, error), each reported once until it is queued again.
  template <typename F>
  void drain_events(F&& f) {
    std::vector<uint32_t> ev;
    ev.swap(events_);
    for (uint32_t i : ev) {
      if (i >= pool_.size() || !pool_[i]) continue;
      pool_[i]->event_queued = false;
      f(i);
    }
    if (events_.empty()) {
      ev.clear();
      events_.swap(ev);  // keep the capacity: no allocation per poll
    }
  }
  bool has_events() const { return !events_.empty(); }

  // Connections whose output found no frame buffer (the device's frame
  // pool was out: frames wait in the tx queue or the device's ring). The
  // Stack retries them after each flush, when frames may have come back,
  // so the data waits for the device, not for the persist timer's RTO
  // (output.cc; Linux restarts a stopped queue and TSQ-throttled sockets
  // on tx completion). The persist timer stays the fallback.
  bool frame_starved() const { return !frame_starved_.empty(); }
  void retry_frame_starved(Instant now);

  // Introspection (tests, counters, stackctl).
  size_t tcbs_in_use() const { return in_use_; }
  // Every live TCB in pool order (the control plane's `stackctl conn`).
  template <typename F>
  void for_each_tcb(F&& f) const {
    for (const auto& p : pool_)
      if (p) f(*p);
  }
  size_t flows() const { return flows_.size(); }
  size_t listeners() const { return listeners_.size(); }
  size_t timers_armed() const { return wheel_.size(); }
  void fill_gauges(Gauges& g) const;  // TcpTcbsInUse ... TcpTimersArmed (base/counters.h)
  const TcpConfig& config() const { return cfg_; }
  Counters& counters() { return counters_; }
  DropStats& drops() { return drops_; }

  // ---- internals shared by the .cc files of this folder
  // input.cc
  void segment_arrives(Tcb& t, const Segment& s, Instant now);
  bool time_wait_syn(Tcb& t, const Segment& s, Instant now);
  // listen.cc
  // `tw_iss`: the ISS for a SYN that reopens a connection from TIME-WAIT.
  void listen_input(Tcb& l, const Segment& s, Instant now,
                    std::optional<uint32_t> tw_iss = std::nullopt);
  bool accept_queue_full(const Tcb& l) const;
  Tcb* listener_for(const Segment& s);
  void child_established(Tcb& c);
  void child_gone(Tcb& c);
  // output.cc
  void output(Tcb& t, Instant now);
  void send_ack(Tcb& t, Instant now);
  void challenge_ack(Tcb& t, Instant now);  // RFC 5961 §7 rate-limited
  void send_syn(Tcb& t, Instant now);  // SYN or SYN,ACK (by state)
  void send_rst_for(const Segment& s, Instant now);  // §3.10.7.1, no TCB
  void send_rst(Tcb& t, Instant now);                // <SEQ=SND.NXT><CTL=RST,ACK>
  // tcp6.cc: the family-agnostic route and output every sender uses.
  Expected<TcpRoute> route_to(const IpAddr& dst, const IpAddr& src, Instant now) const;
  buf::FramePool& frame_pool(const IpAddr& dst, uint16_t ifindex);
  // `l4` (TCP header first) to IP with DF (IPv4) / without fragmentation
  // (IPv6); `t` supplies IPV6_UNICAST_HOPS / IPV6_TCLASS when given.
  ip::TxResult ip_output(buf::PacketBuf&& l4, const IpAddr& src, const IpAddr& dst,
                         uint16_t ifindex, const Tcb* t, Instant now);
  // RFC 1191 §6.2 / RFC 8201 §5.2: a smaller path MTU lowers the MSS and
  // resends what is outstanding (Linux tcp_v4/v6_mtu_reduced).
  void mtu_reduced(Tcb& t, uint32_t mtu, Instant now);
  // The connection an ICMP error quotes, if its sequence number lies in
  // snd.una..snd_max (RFC 5927 §4.1); out of window is counted and dropped.
  Tcb* icmp_target(const IpAddr& src, const IpAddr& dst, std::span<const uint8_t> l4);
  // ICMP unreachable-like errors: hard ones abort a SYN-SENT connection,
  // the rest are kept as soft errors (RFC 1122 §4.2.3.9).
  void icmp_unreachable(Tcb& t, int err, bool hard);
  bool send_segment(Tcb& t, SeqNum seq, uint32_t len, uint8_t flags, Instant now);
  uint32_t usable_window(const Tcb& t) const;
  void retransmit_first(Tcb& t, Instant now);
  // timers.cc
  void arm(Tcb& t, TimerKind k, Instant deadline);
  void disarm(Tcb& t, TimerKind k);
  void arm_rto(Tcb& t, Instant now);
  void fire(uint32_t i, TimerKind k, Instant now);
  void enter_time_wait(Tcb& t, Instant now);
  void clamp_to_user_timeout(Tcb& t, Instant since, Instant planned, Instant now,
                             TimerKind k = kTimerRetransmit);
  void schedule_ack(Tcb& t, bool full_segment, Instant now);
  // receive.cc: fifth- and seventh-step bodies shared with the fast path
  void new_ack(Tcb& t, const Segment& s, const SackUpdate& sack, Instant now);  // SND.UNA < SEG.ACK
  void update_send_window(Tcb& t, SeqNum seq, SeqNum ack, uint32_t seg_wnd);
  void process_text(Tcb& t, SeqNum seq, std::span<const uint8_t> text, Instant now);
  // fast_path.cc: true when the segment was handled by header prediction.
  bool fast_path(Tcb& t, const Segment& s, Instant now);
  // loss_recovery.cc
  SackUpdate sack_input(Tcb& t, const Segment& s, Instant now);  // SACK blocks into the scoreboard
  void on_dup_ack(Tcb& t, const SackUpdate& su, Instant now);
  void on_new_ack(Tcb& t, uint32_t acked, const SackUpdate& su, Instant now);
  void on_rto_recovery(Tcb& t);  // RTO: leave recovery, forget SACK information
  void enter_sack_recovery(Tcb& t, Instant now);  // RFC 6675 §5
  void sack_transmit(Tcb& t, Instant now);        // RFC 6675 §5 (C), NextSeg() rules 1-4
  bool retransmit_range(Tcb& t, SackBlock b, Instant now, bool fast = true);
  void check_lost_retransmit(Tcb& t, Instant now);
  void note_reordering(Tcb& t, SeqNum low, SeqNum fack);
  void raise_reordering(Tcb& t, uint32_t metric);
  uint32_t dup_thresh(const Tcb& t, SeqNum una) const;
  void start_undo_episode(Tcb& t, Instant now);
  uint32_t pipe_of(const Tcb& t) const;  // RFC 6675 SetPipe(), or RACK's in-flight octets
  // rack.cc: RFC 8985 RACK-TLP
  bool rack_on(const Tcb& t) const { return cfg_.rack && t.sack_ok; }
  void rack_on_send(Tcb& t, SeqNum seq, SeqNum end, Instant now);
  void rack_on_ack(Tcb& t, const SackUpdate& su, bool advanced, Instant now);
  void rack_exit_recovery(Tcb& t);
  uint32_t rack_reo_wnd_us(const Tcb& t) const;
  uint32_t rack_detect_loss(Tcb& t, Instant now, bool& lost);
  void rack_respond(Tcb& t, bool lost, Instant now);
  void rack_arm_reo(Tcb& t, uint32_t timeout_us, Instant now);
  void rack_reo_timeout(Tcb& t, Instant now);
  bool rack_retransmit_lost(Tcb& t, Instant now);
  uint32_t rack_pipe(const Tcb& t) const;
  void rack_on_rto(Tcb& t);
  void schedule_loss_probe(Tcb& t, Instant now);
  void tlp_send_probe(Tcb& t, Instant now);
  void tlp_process_ack(Tcb& t, const SackUpdate& su, bool advanced, Instant now);
  void undo_episode(Tcb& t, Counter why, Instant now);
  // tcp_layer.cc
  void set_state(Tcb& t, TcpState s);
  void connection_reset(Tcb& t, int err);  // to CLOSED with an error for the owner
  void to_closed(Tcb& t);                  // CLOSED: drop tables and timers, free if orphaned
  void notify(Tcb& t);
  void setup_buffers(Tcb& t);
  // buffers.cc: rings borrowed from the BufferPool while they hold bytes.
  bool attach_snd_ring(Tcb& t);   // false: pool exhausted
  bool attach_rcv_ring(Tcb& t);
  void release_idle_buffers(Tcb& t);  // give back rings that hold nothing
  void release_buffers(Tcb& t);       // give back both (the TCB is going away)
  uint32_t snd_space(const Tcb& t) const;  // bytes send() could queue now
  uint32_t rcv_space(const Tcb& t) const;  // free receive buffer (window to offer)
  uint32_t rcv_capacity(const Tcb& t) const;  // the receive ring's size (or the one it would get)
  // buffers.cc: ring storage supplied by the owner (Tcb::snd_external).
  // The send ring's next byte (its tail) is storage byte `at` (the owner's
  // numbering, masked); false while bytes of ours are queued.
  bool attach_send_storage(Tcb& t, std::span<uint8_t> storage, uint32_t at);
  // The receive ring becomes `storage` with the owner's (validated) indices;
  // false while TCP's own ring holds unread bytes or islands.
  bool attach_recv_storage(Tcb& t, std::span<uint8_t> storage, buf::ByteRingIndex at);
  // Copy what external rings still hold into pool storage (the owner is
  // letting go); false when the pool is exhausted.
  bool internalize_rings(Tcb& t);
  const BufferPool& buffer_pool() const { return buffers_; }
  void init_cc(Tcb& t, Instant now);
  uint32_t new_iss(const Tcb& t, Instant now) const;
  uint32_t tsval(const Tcb& t, Instant now) const;
  uint32_t alloc_tcb();
  void free_tcb(Tcb& t);
  bool add_flow(Tcb& t);
  ip::Ipv4Layer& ip() { return ip_; }
  Instant last_now() const { return last_now_; }

 private:
  // A parsed segment (either family) to its connection, listener, or RST.
  // A received segment's fields (parse and checksum); nullopt when bad.
  // `count`: TCP's input counters see it (not for one the firewall rejected).
  std::optional<Segment> parse_segment(const IpAddr& src, const IpAddr& dst, uint16_t ifindex,
                                       std::span<const uint8_t> bytes, bool count = true);
  bool reject_with_reset(const IpAddr& src, const IpAddr& dst, uint16_t ifindex,
                         std::span<const uint8_t> bytes, Instant now);
  void demux(const IpAddr& src, const IpAddr& dst, uint16_t ifindex, buf::PacketBuf& pkt,
             Instant now);
  transport::FlowKey flow_key(const IpAddr& local, uint16_t lport, const IpAddr& remote,
                              uint16_t rport) const;
  uint16_t pick_port(const IpAddr& local, const IpAddr& remote, uint16_t rport, Instant now);
  // Would a listener on (addr, port) clash with one already listening
  // (Linux inet_csk_bind_conflict, without SO_REUSEADDR)?
  bool port_conflicts(const IpAddr& addr, uint16_t port, bool v6only);
  void release_buffers_of(buf::ByteRing& r);  // pool storage back, offsets kept
  int send_allowed(Tcb& t);                   // 0 or send()'s -errno
  void after_read(Tcb& t, Instant now);  // recv()'s window update

  ip::Ipv4Layer& ip_;
  ip::Ipv6Layer* ip6_ = nullptr;
  Counters& counters_;
  DropStats& drops_;
  TcpConfig cfg_;
  IsnGenerator isn_;
  BufferPool buffers_;  // before pool_: TCBs give their rings back to it
  std::vector<std::unique_ptr<Tcb>> pool_;
  std::vector<uint32_t> free_;
  size_t in_use_ = 0;
  uint32_t next_gen_ = 1;
  transport::FlowTable<uint32_t> flows_;
  transport::EndpointTable<uint32_t> listeners_;
  TimerWheel wheel_;
  std::vector<uint32_t> events_;
  std::vector<uint32_t> frame_starved_, frame_retry_;  // TCB indices, duplicates possible
  uint32_t port_counter_ = 0;
  Instant last_now_;
  Instant challenge_window_;
  uint32_t challenge_count_ = 0;
  // listen.cc: stateless SYN,ACK and the connection a valid cookie rebuilds.
  void send_cookie_synack(Tcb& l, const Segment& s, Instant now);
  bool cookie_ack(Tcb& l, const Segment& s, Instant now);
  uint32_t new_child(Tcb& l, const Segment& s, const TcpRoute& route);
};

}  // namespace stackd::tcp
