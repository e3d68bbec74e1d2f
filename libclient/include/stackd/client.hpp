// Header-only C++ layer over libstackclient's C ABI: an RAII socket, span
// I/O, errors as values (no exceptions), the zero-copy calls as scoped
// borrows/reservations.
//
//   auto s = stackd::client::Socket::tcp();
//   if (!s) return s.error();                        // errno value
//   if (auto e = s->connect(addr); e) ...            // Error{ECONNREFUSED}
//   auto n = s->send(std::as_bytes(std::span(msg))); // Result<size_t>
//   if (auto rx = s->borrow(); rx && !rx->data.empty()) { use(rx->data); }  // released at scope end
#pragma once

#include <netinet/in.h>

#include <cerrno>
#include <cstddef>
#include <span>
#include <utility>
#include <variant>

#include "stackd/client.h"

namespace stackd::client {

struct Error {
  int code = 0;  // errno value, 0 = none
  explicit operator bool() const { return code != 0; }
};

template <class T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}         // NOLINT implicit
  Result(Error e) : v_(e) {}                // NOLINT implicit
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  Error error() const { return ok() ? Error{} : std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error last_error() { return Error{errno}; }

// Receive bytes borrowed from the ring; given back (all of them unless
// consume() said fewer) when it goes out of scope.
class RxBorrow {
 public:
  RxBorrow(int s, std::span<const std::byte> d) : s_(s), data(d), used_(d.size()) {}
  RxBorrow(RxBorrow&& o) noexcept : s_(std::exchange(o.s_, -1)), data(o.data), used_(o.used_) {}
  RxBorrow(const RxBorrow&) = delete;
  RxBorrow& operator=(const RxBorrow&) = delete;
  RxBorrow& operator=(RxBorrow&&) = delete;
  ~RxBorrow() {
    if (s_ >= 0) stk_recv_release(s_, used_);
  }
  void consume(size_t n) { used_ = n < data.size() ? n : data.size(); }

 private:
  int s_;

 public:
  std::span<const std::byte> data;  // empty at end of stream

 private:
  size_t used_;
};

// Send space reserved in the ring; commit(n) sends n bytes of it; nothing is
// sent if it goes out of scope uncommitted.
class TxReservation {
 public:
  TxReservation(int s, std::span<std::byte> d) : s_(s), data(d) {}
  TxReservation(TxReservation&& o) noexcept : s_(std::exchange(o.s_, -1)), data(o.data) {}
  TxReservation(const TxReservation&) = delete;
  TxReservation& operator=(const TxReservation&) = delete;
  TxReservation& operator=(TxReservation&&) = delete;
  ~TxReservation() {
    if (s_ >= 0) stk_send_commit(s_, 0);
  }
  void commit(size_t n) { stk_send_commit(std::exchange(s_, -1), n); }

 private:
  int s_;

 public:
  std::span<std::byte> data;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int handle) : h_(handle) {}
  Socket(Socket&& o) noexcept : h_(std::exchange(o.h_, -1)) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  static Result<Socket> tcp(int flags = 0) { return open(SOCK_STREAM | flags); }
  static Result<Socket> udp(int flags = 0) { return open(SOCK_DGRAM | flags); }

  int handle() const { return h_; }
  bool valid() const { return h_ >= 0; }
  void reset() {
    if (h_ >= 0) stk_close(std::exchange(h_, -1));
  }

  Error bind(const sockaddr_in& a) { return check(stk_bind(h_, sa(a), sizeof(a))); }
  Error listen(int backlog = 128) { return check(stk_listen(h_, backlog)); }
  Error connect(const sockaddr_in& a) { return check(stk_connect(h_, sa(a), sizeof(a))); }
  Error shutdown(int how) { return check(stk_shutdown(h_, how)); }
  Result<Socket> accept(sockaddr_in* peer = nullptr, int flags = 0) {
    socklen_t len = sizeof(sockaddr_in);
    const int c = stk_accept4(h_, reinterpret_cast<sockaddr*>(peer), peer ? &len : nullptr, flags);
    if (c < 0) return last_error();
    return Socket(c);
  }
  Result<size_t> send(std::span<const std::byte> d, int flags = MSG_NOSIGNAL) {
    return size(stk_send(h_, d.data(), d.size(), flags));
  }
  Result<size_t> recv(std::span<std::byte> d, int flags = 0) { return size(stk_recv(h_, d.data(), d.size(), flags)); }
  Result<size_t> send_to(std::span<const std::byte> d, const sockaddr_in& to, int flags = 0) {
    return size(stk_sendto(h_, d.data(), d.size(), flags, sa(to), sizeof(to)));
  }
  Result<size_t> recv_from(std::span<std::byte> d, sockaddr_in* from, int flags = 0) {
    socklen_t len = sizeof(sockaddr_in);
    return size(stk_recvfrom(h_, d.data(), d.size(), flags, reinterpret_cast<sockaddr*>(from), from ? &len : nullptr));
  }
  template <class T>
  Error set_option(int level, int name, const T& v) {
    return check(stk_setsockopt(h_, level, name, &v, sizeof(v)));
  }
  template <class T>
  Result<T> option(int level, int name) {
    T v{};
    socklen_t len = sizeof(v);
    if (stk_getsockopt(h_, level, name, &v, &len) != 0) return last_error();
    return v;
  }
  short readiness() const { return stk_readiness(h_); }

  // Zero copy: up to `max` bytes of the receive ring / send ring.
  Result<RxBorrow> borrow(size_t max = SIZE_MAX, int flags = 0) {
    const void* p = nullptr;
    const ssize_t n = stk_recv_borrow(h_, &p, max, flags);
    if (n < 0) return last_error();
    if (n == 0) return RxBorrow(-1, {});
    return RxBorrow(h_, {static_cast<const std::byte*>(p), static_cast<size_t>(n)});
  }
  Result<TxReservation> reserve(size_t max = SIZE_MAX, int flags = 0) {
    void* p = nullptr;
    const ssize_t n = stk_send_reserve(h_, &p, max, flags);
    if (n < 0) return last_error();
    return TxReservation(h_, {static_cast<std::byte*>(p), static_cast<size_t>(n)});
  }

 private:
  static Result<Socket> open(int type) {
    const int h = stk_socket(AF_INET, type, 0);
    if (h < 0) return last_error();
    return Socket(h);
  }
  static const sockaddr* sa(const sockaddr_in& a) { return reinterpret_cast<const sockaddr*>(&a); }
  static Error check(int r) { return r == 0 ? Error{} : last_error(); }
  static Result<size_t> size(ssize_t r) {
    if (r < 0) return last_error();
    return static_cast<size_t>(r);
  }
  int h_ = -1;
};

}  // namespace stackd::client
