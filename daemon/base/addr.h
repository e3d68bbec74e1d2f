// Link and network addresses. IpAddr/IpPrefix are family-agnostic so that
// routes, neighbours and sockets carry IPv4 and IPv6 alike (issue 7).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace stackd {

struct MacAddr {
  std::array<uint8_t, 6> b{};

  static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  constexpr bool is_multicast() const { return (b[0] & 0x01) != 0; }  // incl. broadcast
  constexpr bool is_unicast() const { return !is_multicast(); }
  constexpr bool is_zero() const { return *this == MacAddr{}; }
  constexpr bool is_locally_administered() const { return (b[0] & 0x02) != 0; }

  static std::optional<MacAddr> parse(std::string_view s);  // "02:00:00:00:00:01"
  std::string to_string() const;
  constexpr auto operator<=>(const MacAddr&) const = default;
};

// IPv4 address held in host byte order.
struct Ipv4Addr {
  uint32_t v = 0;

  static constexpr Ipv4Addr from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return {(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
  }
  static constexpr Ipv4Addr any() { return {0}; }
  static constexpr Ipv4Addr broadcast() { return {0xffffffffu}; }

  constexpr bool is_unspecified() const { return v == 0; }
  constexpr bool is_broadcast() const { return v == 0xffffffffu; }  // limited broadcast
  constexpr bool is_multicast() const { return (v >> 28) == 0xe; }  // 224.0.0.0/4
  constexpr bool is_loopback() const { return (v >> 24) == 127; }
  constexpr bool is_class_e() const { return (v >> 28) == 0xf && !is_broadcast(); }
  constexpr bool is_link_local() const { return (v >> 16) == 0xa9fe; }  // 169.254/16

  constexpr uint8_t octet(int i) const { return static_cast<uint8_t>(v >> (24 - 8 * i)); }

  static std::optional<Ipv4Addr> parse(std::string_view s);  // dotted quad
  std::string to_string() const;
  constexpr auto operator<=>(const Ipv4Addr&) const = default;
};

struct Ipv6Addr {
  std::array<uint8_t, 16> b{};

  static constexpr Ipv6Addr any() { return {}; }
  static constexpr Ipv6Addr loopback() {
    Ipv6Addr a;
    a.b[15] = 1;
    return a;
  }
  constexpr bool is_unspecified() const { return *this == Ipv6Addr{}; }
  constexpr bool is_loopback() const { return *this == loopback(); }
  constexpr bool is_multicast() const { return b[0] == 0xff; }
  constexpr bool is_link_local() const { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
  constexpr bool is_v4_mapped() const {
    for (int i = 0; i < 10; ++i)
      if (b[i] != 0) return false;
    return b[10] == 0xff && b[11] == 0xff;
  }
  static Ipv6Addr v4_mapped(Ipv4Addr a);
  Ipv4Addr to_v4() const;  // low 32 bits
  // RFC 4291 §2.7.1 solicited-node multicast ff02::1:ffXX:XXXX
  Ipv6Addr solicited_node() const;

  static std::optional<Ipv6Addr> parse(std::string_view s);
  std::string to_string() const;  // RFC 5952 text form
  constexpr auto operator<=>(const Ipv6Addr&) const = default;
};

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

// Either family. Stored as 16 bytes; IPv4 kept in the low 4 (not mapped).
class IpAddr {
 public:
  constexpr IpAddr() = default;
  constexpr IpAddr(Ipv4Addr a) : family_(IpFamily::kV4), v4_(a) {}  // NOLINT implicit
  constexpr IpAddr(const Ipv6Addr& a) : family_(IpFamily::kV6), v6_(a) {}  // NOLINT

  constexpr IpFamily family() const { return family_; }
  constexpr bool is_v4() const { return family_ == IpFamily::kV4; }
  constexpr bool is_v6() const { return family_ == IpFamily::kV6; }
  constexpr Ipv4Addr v4() const { return v4_; }
  constexpr const Ipv6Addr& v6() const { return v6_; }
  constexpr int max_prefix() const { return is_v4() ? 32 : 128; }
  bool is_unspecified() const { return is_v4() ? v4_.is_unspecified() : v6_.is_unspecified(); }
  bool is_multicast() const { return is_v4() ? v4_.is_multicast() : v6_.is_multicast(); }

  static std::optional<IpAddr> parse(std::string_view s);
  std::string to_string() const;
  bool operator==(const IpAddr& o) const {
    return family_ == o.family_ && (is_v4() ? v4_ == o.v4_ : v6_ == o.v6_);
  }

 private:
  IpFamily family_ = IpFamily::kV4;
  Ipv4Addr v4_{};
  Ipv6Addr v6_{};
};

// An address with a prefix length: "10.0.0.2/24", "fd00::1/64".
struct IpPrefix {
  IpAddr addr;
  uint8_t len = 0;

  bool contains(const IpAddr& a) const;
  IpPrefix network() const;  // host bits cleared
  // IPv4 only: the directed broadcast address of the subnet.
  Ipv4Addr v4_broadcast() const;
  static constexpr uint32_t v4_mask(uint8_t len) {
    return len == 0 ? 0u : (len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1));
  }

  static std::optional<IpPrefix> parse(std::string_view s);
  std::string to_string() const;
  bool operator==(const IpPrefix& o) const = default;
};

}  // namespace stackd

template <>
struct std::hash<stackd::Ipv4Addr> {
  size_t operator()(stackd::Ipv4Addr a) const noexcept {
    return static_cast<size_t>(a.v) * 0x9e3779b97f4a7c15ull;
  }
};
