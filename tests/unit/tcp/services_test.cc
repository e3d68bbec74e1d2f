// The built-in TCP services driven through the real handshake.
#include "tcp_fixture.h"
#include "transport/tcp/tcp_services.h"

namespace stackd::tcp::testing {
namespace {

constexpr uint32_t L = kLocalIss, R = kRemoteIss;

class Services : public TcpFixture {
 protected:
  TcpServices& svc(stack::ServiceKind kind, uint64_t bytes = 0, std::string congestion = {}) {
    stack::ServiceConfig c;
    c.congestion = std::move(congestion);
    c.kind = kind;
    c.proto = stack::ServiceProto::kTcp;
    c.port = kLocalPort;
    c.bytes = bytes;
    services = std::make_unique<TcpServices>(tcp());
    EXPECT_EQ(services->start(std::span(&c, 1)), 0);
    return *services;
  }
  void handshake() {
    send({.flags = kSyn, .seq = R, .mss = 1460});
    expect_emit({.flags = kSyn | kAck, .seq = L, .ack = R + 1});
    send({.flags = kAck, .seq = R + 1, .ack = L + 1});
    services->poll(now());
  }
  void TearDown() override {
    services.reset();
    TcpFixture::TearDown();
  }
  std::unique_ptr<TcpServices> services;
};

TEST(Chargen, Rfc864Pattern) {
  EXPECT_EQ(chargen_byte(0), ' ');
  EXPECT_EQ(chargen_byte(71), static_cast<uint8_t>(' ' + 71));
  EXPECT_EQ(chargen_byte(72), '\r');
  EXPECT_EQ(chargen_byte(73), '\n');
  EXPECT_EQ(chargen_byte(74), '!');  // line 1 starts one character later
  EXPECT_EQ(chargen_byte(74 * 95), ' ');  // the pattern repeats after 95 lines
}

// The bulk copy from one period equals the byte-by-byte definition at any
// start and length, across period boundaries (7030 bytes) and many periods.
TEST(Chargen, FillMatchesTheByteDefinition) {
  for (uint64_t pos : {0ull, 1ull, 73ull, 7029ull, 7030ull, 123456789ull, (1ull << 40) + 5}) {
    for (size_t len : {size_t{0}, size_t{1}, size_t{75}, size_t{7031}, size_t{30000}}) {
      std::vector<uint8_t> got(len), want(len);
      chargen_fill(got, pos);
      for (size_t k = 0; k < len; ++k) want[k] = chargen_byte(pos + k);
      EXPECT_EQ(got, want) << "pos " << pos << " len " << len;
    }
  }
}

TEST_F(Services, EchoSendsBackAndClosesAfterPeer) {
  svc(stack::ServiceKind::kEcho);
  handshake();
  auto d = bytes(300);
  send({.flags = kAck | kPsh, .seq = R + 1, .ack = L + 1, .data = d});
  services->poll(now());
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 301, .data = d});
  send({.flags = kAck | kFin, .seq = R + 301, .ack = L + 301});
  services->poll(now());
  // The ACK of the FIN and our FIN may leave as one segment or two.
  auto r = next_emit();
  ASSERT_TRUE(r);
  if (!(r->flags & kFin)) r = next_emit();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags, kAck | kFin);
  EXPECT_EQ(r->ack, R + 302);
  send({.flags = kAck, .seq = R + 302, .ack = L + 302});
  EXPECT_EQ(services->connections(), 0u);
}

// The listener is TCB 0, so the first accepted connection is TCB 1.
TEST_F(Services, AcceptedConnectionUsesTheServiceCongestionControl) {
  svc(stack::ServiceKind::kDiscard, 0, "reno");
  handshake();
  ASSERT_EQ(tcp().tcb(1).state, TcpState::kEstablished);
  ASSERT_TRUE(tcp().tcb(1).ca);
  EXPECT_EQ(tcp().tcb(1).ca->name(), "reno");  // the layer's default is cubic
}

TEST_F(Services, WithoutACongestionKeyTheLayerDefaultStays) {
  svc(stack::ServiceKind::kDiscard);
  handshake();
  ASSERT_EQ(tcp().tcb(1).state, TcpState::kEstablished);
  ASSERT_TRUE(tcp().tcb(1).ca);
  EXPECT_EQ(tcp().tcb(1).ca->name(), "cubic");
}

TEST_F(Services, ChargenSendsItsBytesThenFin) {
  svc(stack::ServiceKind::kChargen, 100);
  handshake();
  std::vector<uint8_t> want(100);
  for (size_t i = 0; i < 100; ++i) want[i] = chargen_byte(i);
  expect_emit({.flags = kAck | kPsh, .seq = L + 1, .ack = R + 1, .data = want});
  expect_emit({.flags = kAck | kFin, .seq = L + 101, .ack = R + 1});
  send({.flags = kAck | kFin, .seq = R + 1, .ack = L + 102});
  expect_emit({.flags = kAck, .seq = L + 102, .ack = R + 2});  // TIME-WAIT
}

TEST_F(Services, DiscardReadsEverything) {
  svc(stack::ServiceKind::kDiscard);
  handshake();
  send({.flags = kAck, .seq = R + 1, .ack = L + 1, .data = bytes(1460)});
  services->poll(now());
  send({.flags = kAck, .seq = R + 1461, .ack = L + 1, .data = bytes(1460)});
  services->poll(now());
  expect_emit({.flags = kAck, .seq = L + 1, .ack = R + 2921});
  EXPECT_EQ(services->connections(), 1u);
}

}  // namespace
}  // namespace stackd::tcp::testing
