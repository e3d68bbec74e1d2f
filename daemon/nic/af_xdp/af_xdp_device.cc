#include "nic/af_xdp/af_xdp_device.h"

#include <bpf/bpf.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace stackd::nic {

// libxdp's ring structs; zero-initialised (libxdp reads fields it did not set).
struct AfXdpDevice::Rings {
  xsk_ring_prod fill{};
  xsk_ring_cons comp{};
  xsk_ring_cons rx{};
  xsk_ring_prod tx{};
};

namespace {

bool power_of_two(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// MAC (SIOCGIFHWADDR) and MTU (SIOCGIFMTU) of the interface.
std::string query_link(const std::string& ifname, DeviceInfo& info) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fmt::format("socket: {}", strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  std::string err;
  if (ioctl(s, SIOCGIFHWADDR, &ifr) != 0) {
    err = fmt::format("SIOCGIFHWADDR on {}: {}", ifname, strerror(errno));
  } else {
    std::memcpy(info.mac.b.data(), ifr.ifr_hwaddr.sa_data, 6);
    if (ioctl(s, SIOCGIFMTU, &ifr) != 0)
      err = fmt::format("SIOCGIFMTU on {}: {}", ifname, strerror(errno));
    else
      info.mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  }
  close(s);
  return err;
}

std::string memlock_text() {
  rlimit rl{};
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return fmt::format("{} KiB", rl.rlim_cur / 1024);
}

}  // namespace

AfXdpDevice::AfXdpDevice() : rings_(std::make_unique<Rings>()) {}

std::variant<std::unique_ptr<AfXdpDevice>, std::string> AfXdpDevice::open(const AfXdpConfig& cfg) {
  if (!power_of_two(cfg.frame_size) || cfg.frame_size < 2048 || cfg.frame_size > 4096)
    return fmt::format("AF_XDP frame_size {} must be 2048 or 4096", cfg.frame_size);
  if (!power_of_two(cfg.ring_size))
    return fmt::format("AF_XDP ring_size {} must be a power of two", cfg.ring_size);
  if (cfg.frame_count < 2 || cfg.rx_frames == 0 || cfg.rx_frames >= cfg.frame_count ||
      cfg.rx_frames > cfg.ring_size)
    return fmt::format("AF_XDP rx_frames {} must be in 1..min(ring_size {}, frame_count {} - 1)",
                       cfg.rx_frames, cfg.ring_size, cfg.frame_count);

  std::unique_ptr<AfXdpDevice> d(new AfXdpDevice());
  d->cfg_ = cfg;
  d->info_.name = cfg.ifname;
  d->ifindex_ = static_cast<int>(if_nametoindex(cfg.ifname.c_str()));
  if (d->ifindex_ == 0)
    return fmt::format("no such interface {} (ENODEV): check `ip link show`", cfg.ifname);
  if (auto e = query_link(cfg.ifname, d->info_); !e.empty()) return e;

  auto prog = SteerProgram::attach(d->ifindex_, cfg.ifname, cfg.steer_flags, cfg.allow_skb_mode);
  if (auto* e = std::get_if<std::string>(&prog)) return std::move(*e);
  d->prog_ = std::move(std::get<0>(prog));

  d->pool_ = std::make_unique<UmemPool>(cfg.frame_count, cfg.frame_size);
  if (d->pool_->area() == nullptr)
    return fmt::format("cannot map a UMEM of {} bytes: {}", d->pool_->area_bytes(),
                       strerror(errno));

  xsk_umem_config ucfg{};
  ucfg.fill_size = cfg.ring_size;
  ucfg.comp_size = cfg.ring_size;
  ucfg.frame_size = cfg.frame_size;
  ucfg.frame_headroom = 0;
  ucfg.flags = 0;
  Rings& r = *d->rings_;
  int err = xsk_umem__create(&d->umem_, d->pool_->area(), d->pool_->area_bytes(), &r.fill, &r.comp,
                             &ucfg);
  if (err != 0) {
    d->umem_ = nullptr;
    // The kernel charges the UMEM to RLIMIT_MEMLOCK unless we hold
    // CAP_IPC_LOCK, and says ENOBUFS when it does not fit.
    if (err == -ENOBUFS || err == -ENOMEM || err == -EPERM)
      return fmt::format(
          "UMEM of {} bytes ({} frames x {}) exceeds RLIMIT_MEMLOCK ({} here) ({}); lower "
          "frames (af_xdp frame_count)",
          d->pool_->area_bytes(), cfg.frame_count, cfg.frame_size, memlock_text(), strerror(-err));
    return fmt::format("cannot register the AF_XDP UMEM: {}", strerror(-err));
  }

  xsk_socket_config scfg{};
  scfg.rx_size = cfg.ring_size;
  scfg.tx_size = cfg.ring_size;
  scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // our own program, below
  scfg.xdp_flags = 0;
  scfg.bind_flags = XDP_USE_NEED_WAKEUP;
  // A socket that was bound to this queue a moment ago (our own previous
  // incarnation: restart, reload, a test) is released by the kernel in
  // deferred work, and until then bind says EBUSY. Retry for up to 2 s.
  for (int attempt = 0;; ++attempt) {
    err =
        xsk_socket__create(&d->xsk_, cfg.ifname.c_str(), cfg.queue, d->umem_, &r.rx, &r.tx, &scfg);
    if (err != -EBUSY || attempt == 100) break;
    timespec ts{0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  if (err != 0) {
    d->xsk_ = nullptr;
    if (err == -EBUSY)
      return fmt::format("queue {} of {} is already bound by another AF_XDP socket (EBUSY)",
                         cfg.queue, cfg.ifname);
    if (err == -EPERM)
      return std::string(
          "creating the AF_XDP socket was refused (EPERM): stackd needs "
          "CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF (or root)");
    if (err == -ENOMEM)
      return fmt::format(
          "AF_XDP rings of {} entries do not fit RLIMIT_MEMLOCK ({}); lower "
          "ring_size or frames",
          cfg.ring_size, memlock_text());
    return fmt::format("cannot create the AF_XDP socket on {} queue {}: {}", cfg.ifname, cfg.queue,
                       strerror(-err));
  }
  d->fd_ = xsk_socket__fd(d->xsk_);
  if (int e = xsk_socket__update_xskmap(d->xsk_, d->prog_->xsk_map_fd()); e != 0)
    return fmt::format("cannot insert the AF_XDP socket into the XSKMAP: {}", strerror(-e));
  d->refill();
  return d;
}

AfXdpDevice::~AfXdpDevice() {
  // Socket first (the kernel lets go of the UMEM), then the UMEM, then the
  // program (the interface is clean again), then the memory.
  // Take the socket out of the XSKMAP first: the map's reference would
  // otherwise keep it (and the queue) bound until the map itself is freed.
  if (xsk_ != nullptr) {
    uint32_t key = cfg_.queue;
    bpf_map_delete_elem(prog_->xsk_map_fd(), &key);
    xsk_socket__delete(xsk_);
  }
  if (umem_ != nullptr) xsk_umem__delete(umem_);
  prog_.reset();
}

std::string AfXdpDevice::set_addresses(std::span<const Ipv4Addr> addrs) {
  return prog_->set_addresses(addrs);
}

std::string AfXdpDevice::set_addresses6(std::span<const Ipv6Addr> addrs) {
  return prog_->set_addresses6(addrs);
}

void AfXdpDevice::refill() {
  uint32_t want = cfg_.rx_frames - rx_posted_;
  uint32_t n = std::min<uint32_t>(want, static_cast<uint32_t>(pool_->free_frames()));
  if (n == 0) return;
  n = std::min(n, xsk_prod_nb_free(&rings_->fill, n));
  uint32_t idx = 0;
  if (n == 0 || xsk_ring_prod__reserve(&rings_->fill, n, &idx) != n) return;
  for (uint32_t i = 0; i < n; ++i)
    *xsk_ring_prod__fill_addr(&rings_->fill, idx + i) = pool_->take_free();
  xsk_ring_prod__submit(&rings_->fill, n);
  rx_posted_ += n;
  // need_wakeup: the driver waits for a system call before it looks at the
  // fill ring again (zero-copy drivers); copy mode never sets the flag.
  if (xsk_ring_prod__needs_wakeup(&rings_->fill))
    recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
}

void AfXdpDevice::reap_completions() {
  uint32_t idx = 0;
  uint32_t n = xsk_ring_cons__peek(&rings_->comp, cfg_.ring_size, &idx);
  if (n == 0) return;
  for (uint32_t i = 0; i < n; ++i)
    pool_->put_free(*xsk_ring_cons__comp_addr(&rings_->comp, idx + i));
  xsk_ring_cons__release(&rings_->comp, n);
  tx_outstanding_ -= n;
}

size_t AfXdpDevice::rx_burst(std::span<buf::PacketBuf> out, Instant) {
  reap_completions();
  if (tx_unkicked_ != 0) kick_tx();
  uint32_t idx = 0;
  uint32_t n = xsk_ring_cons__peek(&rings_->rx, static_cast<uint32_t>(out.size()), &idx);
  for (uint32_t i = 0; i < n; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&rings_->rx, idx + i);
    out[i] = pool_->wrap_rx(d->addr, d->len);
    out[i].ifindex = static_cast<uint16_t>(ifindex_);
  }
  if (n != 0) xsk_ring_cons__release(&rings_->rx, n);
  rx_posted_ -= n;
  refill();
  return n;
}

size_t AfXdpDevice::tx_burst(std::span<buf::PacketBuf> pkts, Instant) {
  reap_completions();
  // How many we can take: TX ring slots, and a UMEM frame for every packet
  // that comes from another pool (those are copied). A foreign frame larger
  // than a UMEM frame can never be sent: it is taken and dropped (counted).
  uint32_t room = xsk_prod_nb_free(&rings_->tx, static_cast<uint32_t>(pkts.size()));
  size_t spare = pool_->free_frames();
  size_t taken = 0;
  uint32_t ndesc = 0;
  for (; taken < pkts.size() && ndesc < room; ++taken) {
    buf::PacketBuf& p = pkts[taken];
    if (p.pool() != pool_.get()) {
      if (p.size() > cfg_.frame_size) {
        p.reset();
        ++tx_dropped_oversize_;
        continue;
      }
      if (spare == 0) break;
      --spare;
    }
    ++ndesc;
  }
  uint32_t idx = 0;
  if (ndesc == 0 || xsk_ring_prod__reserve(&rings_->tx, ndesc, &idx) != ndesc) return taken;
  uint32_t i = 0;
  for (size_t k = 0; k < taken; ++k) {
    buf::PacketBuf& p = pkts[k];
    if (!p) continue;  // dropped above
    xdp_desc* d = xsk_ring_prod__tx_desc(&rings_->tx, idx + i++);
    if (p.pool() == pool_.get()) {
      d->addr = p.handle() + p.headroom();
      d->len = p.size();
      p.release_to_device();
      pool_->handed_to_kernel();
    } else {
      uint64_t frame = pool_->take_free();
      std::memcpy(pool_->area() + frame, p.data(), p.size());
      d->addr = frame;
      d->len = p.size();
      p.reset();
    }
    d->options = 0;
  }
  xsk_ring_prod__submit(&rings_->tx, ndesc);
  tx_outstanding_ += ndesc;
  tx_unkicked_ += ndesc;
  // Keep the ring moving when a caller posts more than one ring's worth.
  if (xsk_prod_nb_free(&rings_->tx, cfg_.ring_size / 4) < cfg_.ring_size / 4) kick_tx();
  return taken;
}

void AfXdpDevice::flush(Instant) {
  if (tx_unkicked_ != 0) kick_tx();
}

void AfXdpDevice::kick_tx() {
  if (!xsk_ring_prod__needs_wakeup(&rings_->tx)) {
    tx_unkicked_ = 0;
    return;
  }
  // In copy mode one sendto transmits a bounded batch (32 frames) and says
  // EAGAIN when more are queued or the completion ring is full: reap and go
  // on, a bounded number of times. Anything left is kicked on the next call.
  uint32_t tries = tx_unkicked_ / 32 + 2;
  for (uint32_t i = 0; i < tries; ++i) {
    if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) {
      tx_unkicked_ = 0;
      return;
    }
    if (errno != EAGAIN && errno != EBUSY && errno != EINTR) break;
    reap_completions();
  }
}

}  // namespace stackd::nic
