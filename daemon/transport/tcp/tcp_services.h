// The built-in TCP diagnostic services, configured from
// stack::ServiceConfig (proto tcp): echo (RFC 862: send back every byte),
// discard (RFC 863: read and drop) and a chargen source (RFC 864: the
// rotating 72-character line pattern, `bytes` of it, then close). They are
// ordinary clients of TcpSocket driven by the layer's event list, so an
// idle connection costs nothing per poll.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/time.h"
#include "stack/config.h"
#include "transport/tcp/tcp_socket.h"

namespace stackd::tcp {

// Byte `pos` of the RFC 864 stream: line k is 72 printable characters
// starting at character k mod 95 of ' '..'~', then CR LF.
uint8_t chargen_byte(uint64_t pos);
// Bytes pos.. of the stream into `out`, copied from one precomputed period
// (95 lines of 74 bytes): the same bytes as chargen_byte, at memcpy speed
// (generating them byte by byte was half of stackd's CPU time when it
// sends bulk data).
void chargen_fill(std::span<uint8_t> out, uint64_t pos);

class TcpServices {
 public:
  explicit TcpServices(TcpLayer& tcp) : tcp_(tcp) {}
  // Start the TCP entries of `cfg`. Returns 0 or the first -errno.
  int start(std::span<const stack::ServiceConfig> cfg);
  // Close the listener started for exactly `cfg`; connections it accepted
  // keep being served until they end (config reload). False when none.
  bool stop(const stack::ServiceConfig& cfg, Instant now);
  // Accept and serve what the layer reported. Returns connections served.
  size_t poll(Instant now);
  bool pending() const { return tcp_.has_events(); }
  size_t listeners() const { return listeners_.size(); }
  size_t connections() const { return open_; }

 private:
  struct Conn {
    TcpSocket sock;
    stack::ServiceKind kind;
    uint64_t limit = 0;  // chargen bytes
    uint64_t sent = 0;
  };
  void serve(uint32_t i, Instant now);
  bool serve_one(Conn& c, Instant now);  // false when the connection is done

  TcpLayer& tcp_;
  std::vector<std::pair<TcpSocket, stack::ServiceConfig>> listeners_;
  std::vector<std::optional<Conn>> conns_;  // by TCB index
  size_t open_ = 0;
  std::vector<uint8_t> scratch_ = std::vector<uint8_t>(64 * 1024);
};

}  // namespace stackd::tcp
