#include "control/metrics_http.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "app/config.h"

namespace stackd::control {

namespace {

std::string response(std::string_view status, std::string_view type, const std::string& body, bool head_only,
                     std::string_view extra = {}) {
  std::string o = fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
                              status, type, body.size(), extra);
  if (!head_only) o += body;
  return o;
}

constexpr std::string_view kText = "text/plain; charset=utf-8";
// Prometheus text exposition format 0.0.4.
constexpr std::string_view kExposition = "text/plain; version=0.0.4; charset=utf-8";
constexpr size_t kMaxHead = 8192;
constexpr auto kReadBudget = std::chrono::seconds(2);

}  // namespace

std::string http_reply(std::string_view head, const MetricsBody& body) {
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1."))
    return response("400 Bad Request", kText, "bad request\n", false);
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only)
    return response("405 Method Not Allowed", kText, "only GET and HEAD\n", false, "Allow: GET, HEAD\r\n");
  if (target != "/metrics") return response("404 Not Found", kText, "try /metrics\n", head_only);
  auto b = body();
  if (!b) return response("503 Service Unavailable", kText, "the dataplane worker did not answer\n", head_only);
  return response("200 OK", kExposition, *b, head_only);
}

bool MetricsHttp::start(const std::string& listen, MetricsBody body, std::string* err) {
  auto ep = app::loopback_endpoint(listen);
  if (!ep) {
    *err = fmt::format("metrics_listen \"{}\": not a loopback address:port", listen);
    return false;
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ep->first.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(ep->second);
    sa->sin_addr.s_addr = htonl(ep->first.v4().v);
    len = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(ep->second);
    std::memcpy(&sa->sin6_addr, ep->first.v6().b.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (fd_ < 0 || setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 16) != 0) {
    *err = fmt::format("metrics_listen {}: {}", listen, std::strerror(errno));
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return false;
  }
  port_ = ep->second;
  body_ = std::move(body);
  stop_ = false;
  thread_ = std::thread([this] { serve(); });
  return true;
}

void MetricsHttp::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  close(fd_);
  fd_ = -1;
}

void MetricsHttp::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;  // 200 ms: how long stop() may wait
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    answer(c);
    close(c);
  }
}

// One request: its head within kMaxHead bytes and kReadBudget, then the reply.
void MetricsHttp::answer(int fd) {
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + kReadBudget;
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHead) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    char buf[1024];
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  const std::string out = http_reply(head, body_);
  for (size_t off = 0; off < out.size();) {
    const ssize_t n = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace stackd::control
