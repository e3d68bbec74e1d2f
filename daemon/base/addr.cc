#include "base/addr.h"

#include <arpa/inet.h>  // inet_pton/inet_ntop: pure text conversion, no I/O

#include <charconv>
#include <cstdio>
#include <cstring>

namespace stackd {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  MacAddr m;
  for (int i = 0; i < 6; ++i) {
    int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-') return std::nullopt;
    m.b[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return m;
}

std::string MacAddr::to_string() const {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return out;
}

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view s) {
  uint32_t v = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 4; ++i) {
    if (p == end) return std::nullopt;
    if (i > 0) {
      if (*p != '.') return std::nullopt;
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') return std::nullopt;
    if (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9') return std::nullopt;  // no octal
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || next - p > 3) return std::nullopt;
    v = v << 8 | octet;
    p = next;
  }
  if (p != end) return std::nullopt;
  return Ipv4Addr{v};
}

std::string Ipv4Addr::to_string() const {
  char out[16];
  std::snprintf(out, sizeof out, "%u.%u.%u.%u", octet(0), octet(1), octet(2), octet(3));
  return out;
}

Ipv6Addr Ipv6Addr::v4_mapped(Ipv4Addr a) {
  Ipv6Addr r;
  r.b[10] = r.b[11] = 0xff;
  for (int i = 0; i < 4; ++i) r.b[12 + i] = a.octet(i);
  return r;
}

Ipv4Addr Ipv6Addr::to_v4() const {
  return Ipv4Addr::from_octets(b[12], b[13], b[14], b[15]);
}

Ipv6Addr Ipv6Addr::solicited_node() const {
  Ipv6Addr r;
  r.b[0] = 0xff;
  r.b[1] = 0x02;
  r.b[11] = 0x01;
  r.b[12] = 0xff;
  r.b[13] = b[13];
  r.b[14] = b[14];
  r.b[15] = b[15];
  return r;
}

std::optional<Ipv6Addr> Ipv6Addr::parse(std::string_view s) {
  if (s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  Ipv6Addr a;
  if (inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

std::string Ipv6Addr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) {
  if (auto v4 = Ipv4Addr::parse(s)) return IpAddr(*v4);
  if (auto v6 = Ipv6Addr::parse(s)) return IpAddr(*v6);
  return std::nullopt;
}

std::string IpAddr::to_string() const { return is_v4() ? v4_.to_string() : v6_.to_string(); }

bool IpPrefix::contains(const IpAddr& a) const {
  if (a.family() != addr.family()) return false;
  if (a.is_v4()) {
    uint32_t m = v4_mask(len);
    return (a.v4().v & m) == (addr.v4().v & m);
  }
  int full = len / 8, rem = len % 8;
  for (int i = 0; i < full; ++i)
    if (a.v6().b[i] != addr.v6().b[i]) return false;
  if (rem == 0) return true;
  uint8_t m = static_cast<uint8_t>(0xff << (8 - rem));
  return (a.v6().b[full] & m) == (addr.v6().b[full] & m);
}

IpPrefix IpPrefix::network() const {
  if (addr.is_v4()) return {Ipv4Addr{addr.v4().v & v4_mask(len)}, len};
  Ipv6Addr n = addr.v6();
  for (int i = 0; i < 16; ++i) {
    int bits = len - i * 8;
    if (bits >= 8) continue;
    n.b[i] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
  }
  return {n, len};
}

Ipv4Addr IpPrefix::v4_broadcast() const { return {addr.v4().v | ~v4_mask(len)}; }

std::optional<IpPrefix> IpPrefix::parse(std::string_view s) {
  auto slash = s.find('/');
  auto a = IpAddr::parse(s.substr(0, slash));
  if (!a) return std::nullopt;
  unsigned len = a->max_prefix();
  if (slash != std::string_view::npos) {
    auto tail = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), len);
    if (ec != std::errc() || p != tail.data() + tail.size() || tail.empty()) return std::nullopt;
    if (len > static_cast<unsigned>(a->max_prefix())) return std::nullopt;
  }
  return IpPrefix{*a, static_cast<uint8_t>(len)};
}

std::string IpPrefix::to_string() const { return addr.to_string() + "/" + std::to_string(len); }

}  // namespace stackd
