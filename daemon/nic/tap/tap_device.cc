#include "nic/tap/tap_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace stackd::nic {
namespace {

constexpr uint64_t kCancelTag = ~uint64_t{0};

// A locally administered unicast MAC derived from the interface name, so a
// restart keeps the peer's neighbour entry valid.
MacAddr derived_mac(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return MacAddr{{0x02, 0x5d, static_cast<uint8_t>(h >> 24), static_cast<uint8_t>(h >> 16),
                  static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)}};
}

std::string link_ioctl(const std::string& ifname, unsigned long req, ifreq& ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fmt::format("socket: {}", strerror(errno));
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  std::string err;
  if (ioctl(s, req, &ifr) != 0) err = strerror(errno);
  close(s);
  return err;
}

}  // namespace

TapDevice::TapDevice(const TapConfig& cfg) : cfg_(cfg), pool_(cfg.frame_count, cfg.frame_size) {
  const uint32_t nslots = cfg.rx_depth + cfg.tx_depth;
  slots_.resize(nslots);
  free_slots_.reserve(nslots);
  for (uint32_t i = nslots; i > 0; --i) free_slots_.push_back(i - 1);
  ready_.resize(cfg.rx_depth);
}

std::variant<std::unique_ptr<TapDevice>, std::string> TapDevice::open(const TapConfig& cfg) {
  if (cfg.ifname.empty() || cfg.ifname.size() >= IFNAMSIZ)
    return fmt::format("tap name '{}' must be 1..{} characters", cfg.ifname, IFNAMSIZ - 1);
  if (cfg.rx_depth == 0 || cfg.tx_depth == 0 || cfg.rx_depth + cfg.tx_depth > 4096)
    return std::string("tap rx_depth and tx_depth must be >= 1 and sum to at most 4096");
  if (cfg.rx_depth >= cfg.frame_count)
    return fmt::format("tap rx_depth {} must be below frame_count {}", cfg.rx_depth,
                       cfg.frame_count);
  // A full frame (Ethernet + 802.1Q tag + MTU) must fit after the headroom.
  if (cfg.frame_size < buf::kDefaultHeadroom + 18 + cfg.mtu)
    return fmt::format("tap frame_size {} is too small for MTU {} (needs {})", cfg.frame_size,
                       cfg.mtu, buf::kDefaultHeadroom + 18 + cfg.mtu);

  std::unique_ptr<TapDevice> d(new TapDevice(cfg));
  d->info_.name = cfg.ifname;
  d->info_.mac = cfg.mac.is_zero() ? derived_mac(cfg.ifname) : cfg.mac;
  d->info_.mtu = cfg.mtu;

  d->tap_fd_ = ::open(cfg.tun_path.c_str(), O_RDWR | O_CLOEXEC);
  if (d->tap_fd_ < 0) {
    int e = errno;
    if (e == ENOENT || e == ENXIO || e == ENODEV)
      return fmt::format(
          "{} is missing ({}): load the tun module (`modprobe tun`) or create the node "
          "(`mknod /dev/net/tun c 10 200`); in a container, pass the device in",
          cfg.tun_path, strerror(e));
    if (e == EPERM || e == EACCES)
      return fmt::format("cannot open {} ({}): stackd needs CAP_NET_ADMIN (or root)", cfg.tun_path,
                         strerror(e));
    return fmt::format("cannot open {}: {}", cfg.tun_path, strerror(e));
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, cfg.ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(d->tap_fd_, TUNSETIFF, &ifr) != 0) {
    int e = errno;
    if (e == EBUSY)
      return fmt::format("tap {} is already in use by another process (EBUSY)", cfg.ifname);
    if (e == EPERM || e == EACCES)
      return fmt::format(
          "creating or attaching tap {} was refused ({}): stackd needs CAP_NET_ADMIN, or the "
          "tap must be created for our user (`ip tuntap add dev {} mode tap user stackd`)",
          cfg.ifname, strerror(e), cfg.ifname);
    if (e == EINVAL)
      return fmt::format("{} exists and is not a tap (or has other flags): {}", cfg.ifname,
                         strerror(e));
    return fmt::format("TUNSETIFF {}: {}", cfg.ifname, strerror(e));
  }
  if (cfg.configure_link) {
    if (auto e = d->set_mtu(cfg.mtu); !e.empty()) return e;
    if (auto e = d->set_up(true); !e.empty()) return e;
  }

  d->event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (d->event_fd_ < 0) return fmt::format("eventfd: {}", strerror(errno));
  io_uring_params params{};
  if (int e = io_uring_queue_init_params(cfg.rx_depth + cfg.tx_depth + 1, &d->ring_, &params);
      e != 0)
    return fmt::format(
        "io_uring setup failed: {}{}", strerror(-e),
        e == -EPERM ? " (io_uring disabled by sysctl kernel.io_uring_disabled?)" : "");
  d->ring_ok_ = true;
  if (int e = io_uring_register_eventfd(&d->ring_, d->event_fd_); e != 0)
    return fmt::format("io_uring_register_eventfd: {}", strerror(-e));
  d->arm_reads();
  return d;
}

TapDevice::~TapDevice() {
  if (ring_ok_) {
    // Cancel every read still waiting on the tap and wait (bounded) until
    // the kernel lets go of the frames before they are freed.
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) {
      io_uring_prep_cancel_fd(sqe, tap_fd_, IORING_ASYNC_CANCEL_ALL);
      io_uring_sqe_set_data64(sqe, kCancelTag);
      io_uring_submit(&ring_);
    }
    for (int i = 0; i < 100 && reads_in_flight_ + writes_in_flight_ != 0; ++i) {
      __kernel_timespec ts{0, 10'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
      reap();
    }
    io_uring_queue_exit(&ring_);
  }
  if (event_fd_ >= 0) close(event_fd_);
  if (tap_fd_ >= 0) close(tap_fd_);
}

std::string TapDevice::set_mtu(uint32_t mtu) {
  ifreq ifr{};
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (auto e = link_ioctl(cfg_.ifname, SIOCSIFMTU, ifr); !e.empty())
    return fmt::format("setting MTU {} on tap {}: {}", mtu, cfg_.ifname, e);
  info_.mtu = mtu;
  return {};
}

std::string TapDevice::set_up(bool up) {
  ifreq ifr{};
  if (auto e = link_ioctl(cfg_.ifname, SIOCGIFFLAGS, ifr); !e.empty())
    return fmt::format("reading flags of tap {}: {}", cfg_.ifname, e);
  if (up)
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  else
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  if (auto e = link_ioctl(cfg_.ifname, SIOCSIFFLAGS, ifr); !e.empty())
    return fmt::format("setting tap {} {}: {}", cfg_.ifname, up ? "up" : "down", e);
  return {};
}

void TapDevice::drain_eventfd() {
  uint64_t v = 0;
  while (read(event_fd_, &v, sizeof v) == sizeof v) {
  }
}

void TapDevice::reap() {
  io_uring_cqe* cqes[64];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t tag = io_uring_cqe_get_data64(cqes[i]);
      const int res = cqes[i]->res;
      if (tag == kCancelTag) continue;
      Slot& s = slots_[tag];
      if (s.op == Op::kRead) {
        --reads_in_flight_;
        if (res > 0 && s.buf.append(static_cast<uint32_t>(res))) {
          ready_[(ready_head_ + ready_count_) % ready_.size()] = std::move(s.buf);
          ++ready_count_;
        } else {
          if (res != -ECANCELED) ++rx_errors_;
          s.buf.reset();
        }
      } else if (s.op == Op::kWrite) {
        --writes_in_flight_;
        if (res < 0) ++tx_errors_;
        s.buf.reset();  // the frame goes back to its pool
      }
      s.op = Op::kNone;
      free_slots_.push_back(static_cast<uint32_t>(tag));
    }
    io_uring_cq_advance(&ring_, n);
  }
}

void TapDevice::arm_reads() {
  unsigned queued = 0;
  while (reads_in_flight_ + ready_count_ < cfg_.rx_depth && !free_slots_.empty()) {
    buf::PacketBuf b = pool_.alloc(cfg_.frame_size - buf::kDefaultHeadroom);
    if (!b) break;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) break;
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    io_uring_prep_read(sqe, tap_fd_, b.data(), b.tailroom(), 0);
    io_uring_sqe_set_data64(sqe, slot);
    slots_[slot].buf = std::move(b);
    slots_[slot].op = Op::kRead;
    ++reads_in_flight_;
    ++queued;
  }
  if (queued != 0) io_uring_submit(&ring_);
}

size_t TapDevice::rx_burst(std::span<buf::PacketBuf> out, Instant) {
  drain_eventfd();  // before reaping: a CQE after this point signals again
  reap();
  size_t n = 0;
  while (n < out.size() && ready_count_ != 0) {
    out[n] = std::move(ready_[ready_head_]);
    ready_head_ = static_cast<uint32_t>((ready_head_ + 1) % ready_.size());
    --ready_count_;
    ++n;
  }
  arm_reads();
  return n;
}

size_t TapDevice::tx_burst(std::span<buf::PacketBuf> pkts, Instant) {
  reap();
  size_t n = 0;
  for (; n < pkts.size(); ++n) {
    if (writes_in_flight_ >= cfg_.tx_depth || free_slots_.empty()) break;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) break;
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot].buf = std::move(pkts[n]);
    slots_[slot].op = Op::kWrite;
    io_uring_prep_write(sqe, tap_fd_, slots_[slot].buf.data(), slots_[slot].buf.size(), 0);
    io_uring_sqe_set_data64(sqe, slot);
    ++writes_in_flight_;
  }
  if (n != 0) io_uring_submit(&ring_);
  return n;
}

}  // namespace stackd::nic
