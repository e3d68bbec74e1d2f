// The small HTTP/1.1 server behind [control] metrics_listen: GET (or HEAD)
// /metrics on a loopback address answers the Prometheus text exposition,
// one request per connection (Connection: close), on its own thread. No
// HTTP library in Debian 12 fits a single fixed route better than these
// hundred lines: requests are read into a bounded buffer (8 KiB head, 2 s)
// and answered by a pure function (http_reply), unit-tested without sockets.
//
//   MetricsHttp http;
//   http.start("127.0.0.1:9464", [] { return std::optional<std::string>(render_metrics(...)); }, &err);
//   ... http.stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace stackd::control {

// The body for /metrics, nullopt when it cannot be produced now (503).
using MetricsBody = std::function<std::optional<std::string>()>;

// The whole response to one request head (request line + headers).
std::string http_reply(std::string_view head, const MetricsBody& body);

class MetricsHttp {
 public:
  MetricsHttp() = default;
  ~MetricsHttp() { stop(); }
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Bind and listen on `listen` ("127.0.0.1:9464", "[::1]:9464") and serve.
  bool start(const std::string& listen, MetricsBody body, std::string* err);
  void stop();  // idempotent
  uint16_t port() const { return port_; }

 private:
  void serve();
  void answer(int fd);

  int fd_ = -1;
  uint16_t port_ = 0;
  MetricsBody body_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace stackd::control
