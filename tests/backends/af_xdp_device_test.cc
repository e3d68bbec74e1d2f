// AfXdpDevice against the Linux kernel, as root, in two namespaces:
//
//   [ns sdx*: veth xs* with our XDP program + XSK; kernel address .3]
//        <--veth-->  [ns pex*: veth xp*, the Linux peer, .1]
//
// stackd's address (.2) lives only in the XDP map. The test thread enters
// the sdx namespace, so the device, its program and every socket stay inside.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "buf/pool.h"
#include "nic/af_xdp/af_xdp_device.h"
#include "support_device_io.h"
#include "support_frames.h"
#include "support_netns.h"

namespace stackd::test {
namespace {

using nic::AfXdpConfig;
using nic::AfXdpDevice;

const Ipv4Addr kPeer = Ipv4Addr::from_octets(10, 77, 0, 1);
const Ipv4Addr kOurs = Ipv4Addr::from_octets(10, 77, 0, 2);
const Ipv4Addr kHostKernel = Ipv4Addr::from_octets(10, 77, 0, 3);
const Ipv4Addr kSubnetBcast = Ipv4Addr::from_octets(10, 77, 0, 255);

class AfXdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string s = unique_suffix();
    ns_sd_ = "sdx" + s;
    ns_pe_ = "pex" + s;
    if_sd_ = "xs" + s;
    if_pe_ = "xp" + s;
    guard_ = std::make_unique<NetnsGuard>(std::vector<std::string>{ns_sd_, ns_pe_});
    ASSERT_TRUE(guard_->ok()) << "ip netns add failed (need root)";
    ASSERT_EQ(sh("ip -n " + ns_sd_ + " link add " + if_sd_ + " type veth peer name " + if_pe_ +
                 " netns " + ns_pe_),
              0);
    ASSERT_EQ(
        sh("ip -n " + ns_sd_ + " addr add 10.77.0.3/24 dev " + if_sd_ + " && ip -n " + ns_sd_ +
           " link set " + if_sd_ + " up && ip -n " + ns_pe_ + " addr add 10.77.0.1/24 dev " +
           if_pe_ + " && ip -n " + ns_pe_ + " link set " + if_pe_ + " up"),
        0);
    scope_ = std::make_unique<NetnsScope>(ns_sd_);
    ASSERT_TRUE(scope_->ok());
  }

  void TearDown() override {
    dev_.reset();
    scope_.reset();
    guard_.reset();
  }

  AfXdpConfig config() const {
    AfXdpConfig c;
    c.ifname = if_sd_;
    c.frame_count = 512;
    c.ring_size = 256;
    c.rx_frames = 128;
    return c;
  }

  std::unique_ptr<AfXdpDevice> open(const AfXdpConfig& c) {
    auto r = AfXdpDevice::open(c);
    if (auto* e = std::get_if<std::string>(&r)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    return std::move(std::get<0>(r));
  }

  std::string ns_sd_, ns_pe_, if_sd_, if_pe_;
  std::unique_ptr<NetnsGuard> guard_;
  std::unique_ptr<NetnsScope> scope_;
  std::unique_ptr<AfXdpDevice> dev_;
};

TEST_F(AfXdpTest, ReportsInterfaceMacMtuAndMode) {
  ASSERT_EQ(sh("ip link set dev " + if_sd_ + " mtu 1400 address 02:77:00:00:00:02"), 0);
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  EXPECT_EQ(dev_->info().name, if_sd_);
  EXPECT_EQ(dev_->info().mac, *MacAddr::parse("02:77:00:00:00:02"));
  EXPECT_EQ(dev_->info().mtu, 1400u);
  // veth supports native XDP: the SKB fallback is not needed here.
  EXPECT_STREQ(dev_->mode_name(), "native");
  EXPECT_GE(dev_->wait_fd(), 0);
}

TEST_F(AfXdpTest, ArpAndUdpBothWaysWithTheLinuxPeer) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kOurs, 1)), "");
  const MacAddr our_mac = dev_->info().mac;

  int peer = udp_socket(ns_pe_, kPeer, 5000);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(udp_send(peer, kOurs, 6000, "hello"));

  // The peer's kernel resolves .2 first: its ARP request comes to the XSK.
  auto arp = wait_frame(
      *dev_,
      [](auto f) {
        auto a = parse_arp(f);
        return a && a->op == 1 && a->tpa == kOurs && a->spa == kPeer;
      },
      3000);
  ASSERT_TRUE(arp) << "no ARP request for our address reached the XSK";
  const MacAddr peer_mac = parse_arp(*arp)->sha;

  // Reply, built in place in a UMEM frame (no copy on transmit).
  auto reply = arp_frame(2, our_mac, kOurs, peer_mac, kPeer, peer_mac);
  ASSERT_TRUE(send_frame(*dev_, dev_->tx_pool(), reply));

  // The kernel now sends the queued datagram to us.
  auto udp = wait_frame(
      *dev_,
      [](auto f) {
        auto u = parse_udp(f);
        return u && u->dst == kOurs && u->dport == 6000;
      },
      3000);
  ASSERT_TRUE(udp) << "the peer's datagram did not reach the XSK";
  const auto payload = parse_udp(*udp)->payload;
  EXPECT_EQ(std::string(payload.begin(), payload.end()), "hello");

  // Transmit to the peer's socket: from a UMEM frame and from a foreign
  // pool (the device copies that one into the UMEM).
  auto d1 = udp_frame(our_mac, peer_mac, kOurs, kPeer, 6000, 5000,
                      std::vector<uint8_t>{'u', 'm', 'e', 'm'});
  ASSERT_TRUE(send_frame(*dev_, dev_->tx_pool(), d1));
  EXPECT_EQ(udp_recv(peer, 3000), "umem");
  buf::HeapPool heap;
  auto d2 = udp_frame(our_mac, peer_mac, kOurs, kPeer, 6000, 5000,
                      std::vector<uint8_t>{'h', 'e', 'a', 'p'});
  ASSERT_TRUE(send_frame(*dev_, heap, d2));
  EXPECT_EQ(udp_recv(peer, 3000), "heap");
  EXPECT_EQ(heap.in_use(), 0u);

  // Completions give every TX frame back to the free list.
  for (int i = 0; i < 100 && dev_->tx_outstanding() != 0; ++i)
    wait_frame(
        *dev_, [](auto) { return false; }, 10);
  EXPECT_EQ(dev_->tx_outstanding(), 0u);
  EXPECT_EQ(dev_->tx_pool().in_use(), 0u);
  close(peer);
}

TEST_F(AfXdpTest, WaitFdBecomesReadableWhenAFrameArrives) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kOurs, 1)), "");
  pollfd p{dev_->wait_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 0), 0);
  int peer = udp_socket(ns_pe_, kPeer, 5006);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(udp_send(peer, kOurs, 6000, "x"));  // the peer ARPs for .2 first
  ASSERT_EQ(poll(&p, 1, 3000), 1);
  std::array<buf::PacketBuf, 8> burst;
  EXPECT_GE(dev_->rx_burst(burst, Instant{}), 1u);
  close(peer);
}

TEST_F(AfXdpTest, ManyFramesInOneBurstAllArrive) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kOurs, 1)), "");
  int peer = udp_socket(ns_pe_, kPeer, 5001);
  ASSERT_GE(peer, 0);
  // Teach the peer our MAC so no ARP is involved.
  ASSERT_EQ(sh("ip -n " + ns_pe_ + " neigh replace 10.77.0.2 lladdr " +
               dev_->info().mac.to_string() + " dev " + if_pe_),
            0);
  // The peer veth's MAC, read inside its namespace.
  std::string pm =
      sh_output("ip netns exec " + ns_pe_ + " cat /sys/class/net/" + if_pe_ + "/address");
  auto peer_mac = MacAddr::parse(pm.substr(0, 17));
  ASSERT_TRUE(peer_mac);

  // 100 frames (more than the 32 one copy-mode sendto sends) in one burst.
  constexpr int kCount = 100;
  std::vector<buf::PacketBuf> burst;
  for (int i = 0; i < kCount; ++i) {
    auto f = udp_frame(dev_->info().mac, *peer_mac, kOurs, kPeer, 6000, 5001,
                       std::vector<uint8_t>{static_cast<uint8_t>(i)});
    buf::PacketBuf b = dev_->tx_pool().alloc(static_cast<uint32_t>(f.size()));
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
  close(peer);
}

TEST_F(AfXdpTest, OversizeForeignFrameIsDroppedNotStuck) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  buf::HeapPool heap;
  std::vector<buf::PacketBuf> burst;
  burst.push_back(heap.alloc(4000, 0));
  ASSERT_TRUE(burst[0].append(4000));
  burst.push_back(dev_->tx_pool().alloc(60));
  ASSERT_TRUE(burst[1].append(60));
  std::memset(burst[1].data(), 0, 60);
  EXPECT_EQ(dev_->tx_burst(burst, Instant{}), 2u);  // both taken: no stall
  EXPECT_EQ(dev_->tx_dropped_oversize(), 1u);
  EXPECT_EQ(heap.in_use(), 0u);
  EXPECT_EQ(dev_->tx_outstanding(), 1u);
}

TEST_F(AfXdpTest, TrafficNotForUsStillReachesTheKernel) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kOurs, 1)), "");

  // The host kernel's own address (.3) keeps working: ARP and UDP pass.
  int host = udp_socket("", kHostKernel, 7000);
  ASSERT_GE(host, 0);
  int peer = udp_socket(ns_pe_, kPeer, 5002);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(udp_send(peer, kHostKernel, 7000, "kernel"));
  EXPECT_EQ(udp_recv(host, 3000), "kernel");
  EXPECT_EQ(sh("ip netns exec " + ns_pe_ + " ping -c1 -W2 10.77.0.3 >/dev/null"), 0);

  // ...and none of it showed up on the XSK.
  int others = 0;
  EXPECT_FALSE(wait_frame(
      *dev_, [](auto) { return true; }, 100, &others));
  EXPECT_EQ(others, 0);
  close(host);
  close(peer);
}

TEST_F(AfXdpTest, AddressesCanBeReplaced) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kOurs, 1)), "");
  // Now .3 is ours instead of .2: the kernel's UDP socket on .3 sees nothing,
  // the XSK gets the peer's ARP request for .3.
  ASSERT_EQ(dev_->set_addresses(std::span<const Ipv4Addr>(&kHostKernel, 1)), "");
  int host = udp_socket("", kHostKernel, 7001);
  ASSERT_GE(host, 0);
  int peer = udp_socket(ns_pe_, kPeer, 5003);
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(udp_send(peer, kHostKernel, 7001, "x"));
  auto arp = wait_frame(
      *dev_,
      [](auto f) {
        auto a = parse_arp(f);
        return a && a->tpa == kHostKernel;
      },
      3000);
  EXPECT_TRUE(arp);
  EXPECT_FALSE(udp_recv(host, 200));
  close(host);
  close(peer);
}

TEST_F(AfXdpTest, SubnetBroadcastFollowsTheFlag) {
  // With the flag, a broadcast datagram goes to the XSK, not the kernel.
  {
    AfXdpConfig c = config();
    c.steer_flags = nic::kSteerV4BcastMcast;
    dev_ = open(c);
    ASSERT_NE(dev_, nullptr);
    int host = udp_socket("", Ipv4Addr::any(), 7002);
    int peer = udp_socket(ns_pe_, kPeer, 5004);
    ASSERT_GE(host, 0);
    ASSERT_GE(peer, 0);
    ASSERT_TRUE(udp_send(peer, kSubnetBcast, 7002, "b1"));
    EXPECT_TRUE(wait_frame(
        *dev_,
        [](auto f) {
          auto u = parse_udp(f);
          return u && u->dst == kSubnetBcast && u->dport == 7002;
        },
        3000));
    EXPECT_FALSE(udp_recv(host, 200));
    dev_.reset();
    close(host);
    close(peer);
  }
  // Without it, the kernel keeps broadcasts.
  {
    AfXdpConfig c = config();
    c.steer_flags = 0;
    dev_ = open(c);
    ASSERT_NE(dev_, nullptr);
    int host = udp_socket("", Ipv4Addr::any(), 7003);
    int peer = udp_socket(ns_pe_, kPeer, 5005);
    ASSERT_GE(host, 0);
    ASSERT_GE(peer, 0);
    ASSERT_TRUE(udp_send(peer, kSubnetBcast, 7003, "b2"));
    EXPECT_EQ(udp_recv(host, 3000), "b2");
    close(host);
    close(peer);
  }
}

TEST_F(AfXdpTest, DetachesItsProgramWhenDestroyed) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  const int ifindex = dev_->ifindex();
  uint32_t id = 0;
  ASSERT_EQ(bpf_xdp_query_id(ifindex, 0, &id), 0);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(id, dev_->prog_id());
  EXPECT_NE(sh_output("ip link show dev " + if_sd_).find("xdp"), std::string::npos);
  dev_.reset();
  ASSERT_EQ(bpf_xdp_query_id(ifindex, 0, &id), 0);
  EXPECT_EQ(id, 0u);
  EXPECT_EQ(sh_output("ip link show dev " + if_sd_).find("xdp"), std::string::npos);
}

// The program is held by a bpf_link: a stackd that dies without running
// any destructor (SIGKILL) still leaves the interface clean.
TEST_F(AfXdpTest, ProgramGoesAwayWhenTheProcessIsKilled) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = AfXdpDevice::open(config());
    char ok = std::holds_alternative<std::string>(r) ? 'n' : 'y';
    if (write(pipefd[1], &ok, 1) != 1) _exit(1);
    kill(getpid(), SIGKILL);
    _exit(2);
  }
  close(pipefd[1]);
  char ok = 0;
  ASSERT_EQ(read(pipefd[0], &ok, 1), 1);
  close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(ok, 'y') << "the child could not open the device";
  ASSERT_TRUE(WIFSIGNALED(status));
  uint32_t id = 0;
  ASSERT_EQ(bpf_xdp_query_id(static_cast<int>(if_nametoindex(if_sd_.c_str())), 0, &id), 0);
  EXPECT_EQ(id, 0u);
  // And the interface can be opened again right away.
  dev_ = open(config());
  EXPECT_NE(dev_, nullptr);
}

// A restart binds the queue again at once, while the kernel may still be
// releasing the previous socket.
TEST_F(AfXdpTest, ReopensRightAfterClose) {
  for (int i = 0; i < 3; ++i) {
    dev_ = open(config());
    ASSERT_NE(dev_, nullptr) << "round " << i;
    dev_.reset();
  }
}

TEST_F(AfXdpTest, RefusesAnInterfaceWithAnotherProgramAndLeavesItAlone) {
  dev_ = open(config());
  ASSERT_NE(dev_, nullptr);
  auto second = AfXdpDevice::open(config());
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  const std::string& e = std::get<std::string>(second);
  EXPECT_NE(e.find("already has an XDP program attached"), std::string::npos) << e;
  EXPECT_NE(e.find("program id " + std::to_string(dev_->prog_id())), std::string::npos) << e;
  EXPECT_NE(e.find("ip link set dev " + if_sd_ + " xdp off"), std::string::npos) << e;
  uint32_t id = 0;
  ASSERT_EQ(bpf_xdp_query_id(dev_->ifindex(), 0, &id), 0);
  EXPECT_EQ(id, dev_->prog_id());  // the failed open did not detach the first
}

TEST_F(AfXdpTest, MissingInterfaceIsNamed) {
  AfXdpConfig c = config();
  c.ifname = "nosuch" + unique_suffix();
  auto r = AfXdpDevice::open(c);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("no such interface " + c.ifname), std::string::npos)
      << std::get<std::string>(r);
}

TEST_F(AfXdpTest, BadGeometryIsRejected) {
  AfXdpConfig c = config();
  c.frame_size = 3000;
  auto r = AfXdpDevice::open(c);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("frame_size"), std::string::npos);
}

// Without CAP_IPC_LOCK the UMEM is charged to RLIMIT_MEMLOCK. Run in a child
// that drops the capability and lowers the limit (both always allowed).
TEST_F(AfXdpTest, UmemOverMemlockLimitSaysSo) {
  AfXdpConfig c = config();
  c.frame_count = 2048;  // 4 MiB
  c.rx_frames = 256;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit rl{1u << 20, 1u << 20};  // 1 MiB
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) _exit(10);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) _exit(11);
    data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    if (syscall(SYS_capset, &hdr, data) != 0) _exit(12);
    auto r = AfXdpDevice::open(c);
    if (!std::holds_alternative<std::string>(r)) _exit(13);
    const std::string& e = std::get<std::string>(r);
    bool ok = e.find("UMEM of 4194304 bytes") != std::string::npos &&
              e.find("exceeds RLIMIT_MEMLOCK") != std::string::npos &&
              e.find("lower frames") != std::string::npos;
    if (!ok) fprintf(stderr, "message was: %s\n", e.c_str());
    _exit(ok ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The child's failed open left no program behind.
  uint32_t id = 0;
  ASSERT_EQ(bpf_xdp_query_id(static_cast<int>(if_nametoindex(if_sd_.c_str())), 0, &id), 0);
  EXPECT_EQ(id, 0u);
}

}  // namespace
}  // namespace stackd::test
