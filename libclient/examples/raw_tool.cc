// Raw IPv4 sockets on stackd (raw(7)); needs a privileged client (root, or
// [attach] raw_uids / raw_gids).
//   stk_raw_tool ping HOST COUNT          ICMP echo over a SOCK_RAW IPPROTO_ICMP socket; prints
//                                         each reply (taken from the IP datagram received,
//                                         header included); exit 0 when all COUNT came back
//   stk_raw_tool hdrincl HOST PROTO TEXT  one datagram of protocol PROTO carrying TEXT, built
//                                         here with IP_HDRINCL (IPPROTO_RAW): total length,
//                                         id, source and checksum left 0 for stackd to fill in
//   stk_raw_tool capture PROTO COUNT      a packet analyser: print COUNT datagrams of PROTO
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stackd/client.h"

namespace {

// RFC 1071.
uint16_t inet_checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

bool parse_host(const char* s, sockaddr_in* sin) {
  *sin = sockaddr_in{};
  sin->sin_family = AF_INET;
  return inet_pton(AF_INET, s, &sin->sin_addr) == 1;
}

int raw_socket(int proto) {
  const int s = stk_socket(AF_INET, SOCK_RAW, proto);
  if (s < 0) std::perror("socket(AF_INET, SOCK_RAW)");
  return s;
}

void describe(const uint8_t* b, size_t n) {
  if (n < 20) return;
  const size_t hl = static_cast<size_t>(b[0] & 0x0f) * 4;
  char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, b + 12, src, sizeof(src));
  inet_ntop(AF_INET, b + 16, dst, sizeof(dst));
  std::printf("%s > %s proto %u ttl %u id %u len %u hdr %zu", src, dst, b[9], b[8], (b[4] << 8) | b[5],
              (b[2] << 8) | b[3], hl);
  if (b[9] == IPPROTO_ICMP && n >= hl + 8)
    std::printf(" icmp type %u code %u id %u seq %u", b[hl], b[hl + 1], (b[hl + 4] << 8) | b[hl + 5],
                (b[hl + 6] << 8) | b[hl + 7]);
  std::printf("\n");
}

int ping(const char* host, long count) {
  sockaddr_in to;
  if (!parse_host(host, &to)) return 2;
  const int s = raw_socket(IPPROTO_ICMP);
  if (s < 0) return 1;
  timeval tv{2, 0};
  stk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const uint16_t id = static_cast<uint16_t>(getpid());
  long got = 0;
  for (long seq = 1; seq <= count; ++seq) {
    uint8_t req[64] = {8, 0, 0, 0, static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id),
                       static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq)};
    for (size_t i = 8; i < sizeof(req); ++i) req[i] = static_cast<uint8_t>(i);
    const uint16_t c = inet_checksum(req, sizeof(req));
    req[2] = static_cast<uint8_t>(c >> 8);
    req[3] = static_cast<uint8_t>(c);
    if (stk_sendto(s, req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != sizeof(req)) {
      std::perror("sendto");
      return 1;
    }
    for (;;) {  // a raw socket sees every ICMP message: wait for our reply
      uint8_t buf[2048];
      sockaddr_in from{};
      socklen_t fl = sizeof(from);
      const ssize_t n = stk_recvfrom(s, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 0) {
        std::printf("seq %ld: no reply\n", seq);
        break;
      }
      const size_t hl = static_cast<size_t>(buf[0] & 0x0f) * 4;
      if (static_cast<size_t>(n) < hl + 8 || buf[hl] != 0) continue;  // not an echo reply
      if (((buf[hl + 4] << 8) | buf[hl + 5]) != id || ((buf[hl + 6] << 8) | buf[hl + 7]) != seq) continue;
      const bool intact = static_cast<size_t>(n) == hl + sizeof(req) && std::memcmp(buf + hl + 8, req + 8, sizeof(req) - 8) == 0;
      std::printf("%zd bytes from %s: icmp_seq=%ld ttl=%u%s\n", n, inet_ntoa(from.sin_addr), seq, buf[8],
                  intact ? "" : " (payload differs)");
      got += intact ? 1 : 0;
      break;
    }
    std::fflush(stdout);
  }
  stk_close(s);
  std::printf("%ld/%ld replies\n", got, count);
  return got == count ? 0 : 1;
}

int hdrincl(const char* host, int proto, const char* text) {
  sockaddr_in to;
  if (!parse_host(host, &to)) return 2;
  const int s = raw_socket(IPPROTO_RAW);  // IP_HDRINCL is implied
  if (s < 0) return 1;
  const size_t len = std::strlen(text);
  std::vector<uint8_t> d(20 + len, 0);
  d[0] = 0x45;
  d[8] = 64;
  d[9] = static_cast<uint8_t>(proto);
  std::memcpy(d.data() + 16, &to.sin_addr, 4);  // total length, id, source, checksum: stackd's
  std::memcpy(d.data() + 20, text, len);
  const ssize_t r = stk_sendto(s, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  if (r != static_cast<ssize_t>(d.size())) {
    std::perror("sendto");
    return 1;
  }
  std::printf("sent %zd bytes, protocol %d\n", r, proto);
  stk_close(s);
  return 0;
}

int capture(int proto, long count) {
  const int s = raw_socket(proto);
  if (s < 0) return 1;
  std::printf("capturing protocol %d\n", proto);
  std::fflush(stdout);
  std::vector<uint8_t> buf(65536);
  for (long i = 0; i < count; ++i) {
    const ssize_t n = stk_recv(s, buf.data(), buf.size(), 0);
    if (n < 0) {
      std::perror("recv");
      return 1;
    }
    describe(buf.data(), static_cast<size_t>(n));
    std::fflush(stdout);
  }
  stk_close(s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "ping") == 0) return ping(argv[2], std::atol(argv[3]));
  if (argc == 5 && std::strcmp(argv[1], "hdrincl") == 0) return hdrincl(argv[2], std::atoi(argv[3]), argv[4]);
  if (argc == 4 && std::strcmp(argv[1], "capture") == 0) return capture(std::atoi(argv[2]), std::atol(argv[3]));
  std::fprintf(stderr, "usage: stk_raw_tool ping HOST COUNT | hdrincl HOST PROTO TEXT | capture PROTO COUNT\n");
  return 2;
}
