#include "transport/tcp/tcp_services.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace stackd::tcp {

uint8_t chargen_byte(uint64_t pos) {
  const uint64_t line = pos / 74, col = pos % 74;
  if (col == 72) return '\r';
  if (col == 73) return '\n';
  return static_cast<uint8_t>(' ' + (line + col) % 95);
}

namespace {

constexpr size_t kChargenPeriod = 95 * 74;

struct ChargenPeriod {
  std::array<uint8_t, kChargenPeriod> b;
  ChargenPeriod() {
    for (size_t i = 0; i < b.size(); ++i) b[i] = chargen_byte(i);
  }
};

}  // namespace

void chargen_fill(std::span<uint8_t> out, uint64_t pos) {
  static const ChargenPeriod period;
  size_t at = pos % kChargenPeriod;
  while (!out.empty()) {
    const size_t n = std::min(out.size(), kChargenPeriod - at);
    std::memcpy(out.data(), period.b.data() + at, n);
    out = out.subspan(n);
    at = 0;
  }
}

// A service without an address listens on one dual-stack socket on ::
// (IPv4 and IPv6, as a Linux server on [::] without IPV6_V6ONLY; 0.0.0.0
// when the stack has no IPv6); one with an address listens there, either
// family.
int TcpServices::start(std::span<const stack::ServiceConfig> cfg) {
  int first_error = 0;
  for (const auto& c : cfg) {
    if (c.proto != stack::ServiceProto::kTcp) continue;
    const IpAddr any = tcp_.has_ipv6() ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr::any());
    TcpSocket s(tcp_);
    if (!s.valid()) return -ENOMEM;
    int r = s.bind(c.addr ? *c.addr : any, c.port);
    if (r == 0) r = s.listen(0);
    if (r != 0) {
      if (first_error == 0) first_error = r;
      continue;
    }
    listeners_.emplace_back(std::move(s), c);
  }
  return first_error;
}

bool TcpServices::stop(const stack::ServiceConfig& cfg, Instant now) {
  bool found = false;
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (!(it->second == cfg)) {
      ++it;
      continue;
    }
    it->first.close(now);
    it = listeners_.erase(it);
    found = true;
  }
  return found;
}

size_t TcpServices::poll(Instant now) {
  size_t n = 0;
  tcp_.drain_events([&](uint32_t i) {
    ++n;
    serve(i, now);
  });
  return n;
}

void TcpServices::serve(uint32_t i, Instant now) {
  for (auto& [l, cfg] : listeners_) {
    if (l.index() != i) continue;
    while (auto c = l.accept()) {
      const uint32_t ci = c->index();
      // The service's own congestion control (Linux setsockopt
      // TCP_CONGESTION); the config parser checked the name.
      if (!cfg.congestion.empty()) c->set_congestion(cfg.congestion, now);
      if (conns_.size() <= ci) conns_.resize(ci + 1);
      conns_[ci].emplace(Conn{std::move(*c), cfg.kind, cfg.bytes, 0});
      ++open_;
      serve(ci, now);
    }
    return;
  }
  if (i >= conns_.size() || !conns_[i]) return;
  if (!serve_one(*conns_[i], now)) {
    conns_[i]->sock.close(now);
    conns_[i].reset();
    --open_;
  }
}

bool TcpServices::serve_one(Conn& c, Instant now) {
  TcpSocket& s = c.sock;
  if (s.state() == TcpState::kClosed) return false;  // reset or timed out
  bool eof = false;
  switch (c.kind) {
    case stack::ServiceKind::kEcho:
      // RFC 862: read only what the send ring can take, so nothing is lost.
      for (;;) {
        const uint32_t m = std::min({s.rx_available(), s.tx_space(),
                                     static_cast<uint32_t>(scratch_.size())});
        if (m == 0) break;
        const int64_t r = s.recv(std::span(scratch_).first(m), now);
        if (r <= 0) break;
        s.send(std::span(scratch_).first(static_cast<size_t>(r)), now);
      }
      eof = s.rx_available() == 0 && s.recv({}, now) == 0;
      break;
    case stack::ServiceKind::kDiscard:
    case stack::ServiceKind::kChargen:
      for (;;) {  // RFC 863 / RFC 864: whatever arrives is dropped
        const int64_t r = s.recv(scratch_, now);
        if (r == 0) eof = true;
        if (r <= 0) break;
      }
      break;
  }
  if (c.kind == stack::ServiceKind::kChargen && !eof) {
    while (c.limit == 0 || c.sent < c.limit) {
      uint64_t m = std::min<uint64_t>(s.tx_space(), scratch_.size());
      if (c.limit != 0) m = std::min(m, c.limit - c.sent);
      if (m == 0) break;
      chargen_fill(std::span(scratch_).first(m), c.sent);
      const int64_t r = s.send(std::span(scratch_).first(m), now);
      if (r <= 0) break;
      c.sent += static_cast<uint64_t>(r);
    }
    if (c.limit != 0 && c.sent == c.limit) return false;  // FIN after the data
  }
  return !eof;
}

}  // namespace stackd::tcp
