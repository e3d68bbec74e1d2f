// TapDevice against the Linux kernel, as root, in its own namespace: the
// tap's kernel side holds the Linux peer's address (.1); stackd's (.2) is
// only what the test's hand-built frames say. The test thread enters the
// namespace, so the tap and every socket stay inside it.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "buf/pool.h"
#include "nic/tap/tap_device.h"
#include "support_device_io.h"
#include "support_frames.h"
#include "support_netns.h"

namespace stackd::test {
namespace {

using nic::TapConfig;
using nic::TapDevice;

const Ipv4Addr kPeer = Ipv4Addr::from_octets(10, 78, 0, 1);
const Ipv4Addr kOurs = Ipv4Addr::from_octets(10, 78, 0, 2);

class TapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string s = unique_suffix();
    ns_ = "tpn" + s;
    ns2_ = "tpm" + s;
    if_ = "tp" + s;
    guard_ = std::make_unique<NetnsGuard>(std::vector<std::string>{ns_, ns2_});
    ASSERT_TRUE(guard_->ok()) << "ip netns add failed (need root)";
    scope_ = std::make_unique<NetnsScope>(ns_);
    ASSERT_TRUE(scope_->ok());
  }

  void TearDown() override {
    dev_.reset();
    scope_.reset();
    guard_.reset();
  }

  TapConfig config() const {
    TapConfig c;
    c.ifname = if_;
    c.mac = *MacAddr::parse("02:78:00:00:00:02");
    c.frame_count = 512;
    c.rx_depth = 16;
    c.tx_depth = 128;
    return c;
  }

  std::unique_ptr<TapDevice> open(const TapConfig& c) {
    auto r = TapDevice::open(c);
    if (auto* e = std::get_if<std::string>(&r)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    return std::move(std::get<0>(r));
  }

  // The peer's (kernel side) MAC, as the namespace `ns` sees the tap.
  MacAddr kernel_mac(const std::string& ns) {
    auto t = sh_output("ip netns exec " + ns + " cat /sys/class/net/" + if_ + "/address");
    return MacAddr::parse(t.substr(0, 17)).value_or(MacAddr{});
  }

  // ARP and UDP both ways with the kernel in namespace `ns` (socket made
  // there): the same exchange the AF_XDP test does.
  void exchange(const std::string& ns, uint16_t port) {
    int peer = udp_socket(ns, kPeer, port);
    ASSERT_GE(peer, 0);
    ASSERT_TRUE(udp_send(peer, kOurs, 6000, "hello"));
    auto arp = wait_frame(
        *dev_,
        [](auto f) {
          auto a = parse_arp(f);
          return a && a->op == 1 && a->tpa == kOurs && a->spa == kPeer;
        },
        3000);
    ASSERT_TRUE(arp) << "no ARP request from the kernel side";
    const MacAddr peer_mac = parse_arp(*arp)->sha;
    EXPECT_EQ(peer_mac, kernel_mac(ns));
    const MacAddr our_mac = dev_->info().mac;
    ASSERT_TRUE(send_frame(*dev_, dev_->tx_pool(),
                           arp_frame(2, our_mac, kOurs, peer_mac, kPeer, peer_mac)));
    auto udp = wait_frame(
        *dev_,
        [port](auto f) {
          auto u = parse_udp(f);
          return u && u->dst == kOurs && u->dport == 6000 && u->sport == port;
        },
        3000);
    ASSERT_TRUE(udp) << "the kernel's datagram did not arrive";
    const auto payload = parse_udp(*udp)->payload;
    EXPECT_EQ(std::string(payload.begin(), payload.end()), "hello");
    ASSERT_TRUE(send_frame(
        *dev_, dev_->tx_pool(),
        udp_frame(our_mac, peer_mac, kOurs, kPeer, 6000, port, std::vector<uint8_t>{'o', 'k'})));
    EXPECT_EQ(udp_recv(peer, 3000), "ok");
    close(peer);
  }

  std::string ns_, ns2_, if_;
  std::unique_ptr<NetnsGuard> guard_;
  std::unique_ptr<NetnsScope> scope_;
  std::unique_ptr<TapDevice> dev_;
};

TEST_F(TapTest, CreatesTheTapSetsMtuAndBringsItUp) {
  TapConfig c = config();
  c.mtu = 1400;
  dev_ = open(c);
  ASSERT_NE(dev_, nullptr);
  auto link = sh_output("ip -n " + ns_ + " link show dev " + if_);
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  EXPECT_NE(link.find(",UP"), std::string::npos) << link;
  EXPECT_EQ(dev_->info().mtu, 1400u);
  EXPECT_EQ(dev_->info().mac, *MacAddr::parse("02:78:00:00:00:02"));
  EXPECT_EQ(dev_->reads_in_flight(), 16u);
  ASSERT_EQ(dev_->set_mtu(1280), "");
  EXPECT_NE(sh_output("ip -n " + ns_ + " link show dev " + if_).find("mtu 1280"),
            std::string::npos);
  EXPECT_EQ(dev_->info().mtu, 1280u);
  ASSERT_EQ(dev_->set_up(false), "");
  EXPECT_EQ(sh_output("ip -n " + ns_ + " link show dev " + if_).find(",UP"), std::string::npos);
}

TEST_F(TapTest, DefaultMacIsLocallyAdministeredAndStable) {
  TapConfig c = config();
  c.mac = MacAddr{};
  dev_ = open(c);
  ASSERT_NE(dev_, nullptr);
  const MacAddr m = dev_->info().mac;
  EXPECT_TRUE(m.is_unicast());
  EXPECT_TRUE(m.is_locally_administered());
  EXPECT_NE(m, kernel_mac(ns_));
  dev_.reset();
  dev_ = open(c);
  ASSERT_NE(dev_, nullptr);
  EXPECT_EQ(dev_->info().mac, m);
}

TEST_F(TapTest, ArpAndUdpBothWaysWithTheKernelSide) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(sh("ip addr add 10.78.0.1/24 dev " + if_), 0);
  exchange(ns_, 5000);
  // Write completions give the frames back.
  for (int i = 0; i < 100 && dev_->writes_in_flight() != 0; ++i)
    wait_frame(
        *dev_, [](auto) { return false; }, 10);
  EXPECT_EQ(dev_->writes_in_flight(), 0u);
  EXPECT_EQ(dev_->tx_pool().in_use(), dev_->reads_in_flight());
  EXPECT_EQ(dev_->rx_errors() + dev_->tx_errors(), 0u);
}

TEST_F(TapTest, WaitFdBecomesReadableWhenAFrameArrives) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(sh("ip addr add 10.78.0.1/24 dev " + if_), 0);
  std::array<buf::PacketBuf, 8> burst;
  while (dev_->rx_burst(burst, Instant{}) != 0) {
    for (auto& b : burst) b.reset();
  }
  pollfd p{dev_->wait_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 0), 0);  // nothing yet (rx_burst cleared it)
  int peer = udp_socket("", kPeer, 5001);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(udp_send(peer, kOurs, 6000, "x"));  // triggers an ARP request
  ASSERT_EQ(poll(&p, 1, 3000), 1);
  EXPECT_GE(dev_->rx_burst(burst, Instant{}), 1u);
  close(peer);
}

TEST_F(TapTest, AttachesToAnExistingTapMovedIntoAnotherNamespace) {
  // Persistent tap made by the operator; stackd attaches by name, then the
  // tap's kernel side moves into the peer's namespace (the fd stays ours).
  ASSERT_EQ(sh("ip tuntap add dev " + if_ + " mode tap"), 0);
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(sh("ip link set dev " + if_ + " netns " + ns2_), 0);
  ASSERT_EQ(sh("ip -n " + ns2_ + " addr add 10.78.0.1/24 dev " + if_ + " && ip -n " + ns2_ +
               " link set dev " + if_ + " up"),
            0);
  exchange(ns2_, 5002);
}

TEST_F(TapTest, ManyFramesInOneBurstAllArrive) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(sh("ip addr add 10.78.0.1/24 dev " + if_), 0);
  ASSERT_EQ(sh("ip neigh replace 10.78.0.2 lladdr " + dev_->info().mac.to_string() + " dev " + if_),
            0);
  int peer = udp_socket("", kPeer, 5003);
  ASSERT_GE(peer, 0);
  int rcvbuf = 1 << 20;
  setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const MacAddr peer_mac = kernel_mac(ns_);
  constexpr int kCount = 100;
  buf::HeapPool heap;  // frames from any pool: the tap writes them in place
  std::vector<buf::PacketBuf> burst;
  for (int i = 0; i < kCount; ++i) {
    auto f = udp_frame(dev_->info().mac, peer_mac, kOurs, kPeer, 6000, 5003,
                       std::vector<uint8_t>{static_cast<uint8_t>(i)});
    buf::PacketBuf b = (i % 2 == 0 ? dev_->tx_pool() : static_cast<buf::FramePool&>(heap))
                           .alloc(static_cast<uint32_t>(f.size()));
    ASSERT_TRUE(b);
    ASSERT_TRUE(b.append(static_cast<uint32_t>(f.size())));
    std::memcpy(b.data(), f.data(), f.size());
    burst.push_back(std::move(b));
  }
  ASSERT_EQ(dev_->tx_burst(burst, Instant{}), static_cast<size_t>(kCount));
  dev_->flush(Instant{});
  std::vector<bool> seen(kCount, false);
  int got = 0;
  while (got < kCount) {
    auto d = udp_recv(peer, 3000);
    if (!d) break;
    ASSERT_EQ(d->size(), 1u);
    if (!seen[static_cast<uint8_t>((*d)[0])]) ++got;
    seen[static_cast<uint8_t>((*d)[0])] = true;
  }
  EXPECT_EQ(got, kCount);
  for (int i = 0; i < 100 && dev_->writes_in_flight() != 0; ++i)
    wait_frame(
        *dev_, [](auto) { return false; }, 10);
  EXPECT_EQ(heap.in_use(), 0u);
  close(peer);
}

TEST_F(TapTest, TxRingFullLeavesFramesWithTheCaller) {
  TapConfig c = config();
  c.tx_depth = 4;
  dev_ = open(c);
  ASSERT_NE(dev_, nullptr);
  // The tap is down: writes fail fast, but until they are reaped only
  // tx_depth frames can be in flight.
  ASSERT_EQ(dev_->set_up(false), "");
  std::vector<buf::PacketBuf> burst;
  for (int i = 0; i < 10; ++i) {
    buf::PacketBuf b = dev_->tx_pool().alloc(60);
    ASSERT_TRUE(b.append(60));
    std::memset(b.data(), 0, 60);
    burst.push_back(std::move(b));
  }
  EXPECT_EQ(dev_->tx_burst(burst, Instant{}), 4u);
  EXPECT_FALSE(burst[3]);
  EXPECT_TRUE(burst[4]);
  EXPECT_TRUE(burst[9]);
}

TEST_F(TapTest, SecondOpenOfTheSameTapSaysBusy) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  auto r = TapDevice::open(config());
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("already in use"), std::string::npos)
      << std::get<std::string>(r);
}

TEST_F(TapTest, MissingTunDeviceIsExplained) {
  TapConfig c = config();
  c.tun_path = "/dev/net/no-such-tun";
  auto r = TapDevice::open(c);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  const auto& e = std::get<std::string>(r);
  EXPECT_NE(e.find("is missing"), std::string::npos) << e;
  EXPECT_NE(e.find("modprobe tun"), std::string::npos) << e;
}

// Without CAP_NET_ADMIN, attaching to a tap owned by someone else is
// refused; the message names the capability.
TEST_F(TapTest, NoCapNetAdminIsExplained) {
  ASSERT_EQ(sh("ip tuntap add dev " + if_ + " mode tap user 0 group 0"), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Become uid 65534 with no capabilities left.
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(10);
    auto r = TapDevice::open(config());
    if (!std::holds_alternative<std::string>(r)) _exit(13);
    const std::string& e = std::get<std::string>(r);
    bool ok = e.find("CAP_NET_ADMIN") != std::string::npos;
    if (!ok) fprintf(stderr, "message was: %s\n", e.c_str());
    _exit(ok ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace stackd::test
