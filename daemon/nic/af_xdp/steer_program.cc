#include "nic/af_xdp/steer_program.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace stackd::nic {
namespace af_xdp_embed {
extern const uint8_t xdp_steer_object[];
extern const size_t xdp_steer_object_size;
}  // namespace af_xdp_embed

namespace {

// libbpf prints warnings to stderr by default; we report errors ourselves.
int quiet_libbpf(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level != LIBBPF_WARN) return 0;
  return vfprintf(stderr, fmt, args);
}

std::string attached_program_error(int ifindex, const std::string& ifname) {
  uint32_t id = 0;
  bpf_xdp_query_id(ifindex, 0, &id);
  return fmt::format(
      "interface {} already has an XDP program attached (program id {}); stackd attaches its "
      "own steering program. Detach the other one with `ip link set dev {} xdp off` (see "
      "`bpftool prog show id {}` for what it is; a program held by a bpf_link goes away "
      "when the process that owns it exits)",
      ifname, id, ifname, id);
}

}  // namespace

std::variant<std::unique_ptr<SteerProgram>, std::string> SteerProgram::attach(
    int ifindex, const std::string& ifname, uint32_t flags, bool allow_skb) {
  libbpf_set_print(quiet_libbpf);
  std::unique_ptr<SteerProgram> p(new SteerProgram());

  // Refuse early (and with the program id) if something else is attached.
  uint32_t existing = 0;
  if (bpf_xdp_query_id(ifindex, 0, &existing) == 0 && existing != 0)
    return attached_program_error(ifindex, ifname);

  LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "stackd_xdp_steer");
  p->obj_ = bpf_object__open_mem(af_xdp_embed::xdp_steer_object,
                                 af_xdp_embed::xdp_steer_object_size, &oopts);
  if (p->obj_ == nullptr)
    return fmt::format("cannot open the embedded XDP program: {}", strerror(errno));
  if (int err = bpf_object__load(p->obj_); err != 0) {
    if (err == -EPERM)
      return std::string(
          "loading the XDP program was refused (EPERM): stackd needs CAP_BPF and "
          "CAP_NET_ADMIN (or root)");
    return fmt::format("cannot load the XDP program: {}", strerror(-err));
  }
  bpf_program* prog = bpf_object__find_program_by_name(p->obj_, "stackd_steer");
  if (prog == nullptr) return std::string("embedded XDP object has no stackd_steer program");
  p->prog_fd_ = bpf_program__fd(prog);
  p->addrs_fd_ = bpf_object__find_map_fd_by_name(p->obj_, "stackd_addrs");
  p->addrs6_fd_ = bpf_object__find_map_fd_by_name(p->obj_, "stackd_addrs6");
  p->flags_fd_ = bpf_object__find_map_fd_by_name(p->obj_, "stackd_flags");
  p->xsk_map_fd_ = bpf_object__find_map_fd_by_name(p->obj_, "stackd_xsks");
  if (p->addrs_fd_ < 0 || p->addrs6_fd_ < 0 || p->flags_fd_ < 0 || p->xsk_map_fd_ < 0)
    return std::string("embedded XDP object lacks one of its maps");
  if (auto e = p->set_flags(flags); !e.empty()) return e;

  // Attach through a bpf_link, not netlink: the kernel detaches the program
  // when the link's fd closes, so even a crashed or SIGKILLed stackd leaves
  // the interface clean, and nobody can replace the program under us.
  const uint32_t modes[] = {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE};
  int err = 0;
  for (uint32_t mode : modes) {
    if (mode == XDP_FLAGS_SKB_MODE && !allow_skb) break;
    LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = mode);
    int fd = bpf_link_create(p->prog_fd_, ifindex, BPF_XDP, &lopts);
    if (fd >= 0) {
      p->link_fd_ = fd;
      p->attach_flags_ = mode;
      p->mode_ = mode == XDP_FLAGS_DRV_MODE ? Mode::kNative : Mode::kSkb;
      break;
    }
    err = fd;
    if (err == -EBUSY || err == -EEXIST) return attached_program_error(ifindex, ifname);
    if (err == -EPERM)
      return fmt::format(
          "attaching the XDP program to {} was refused (EPERM): stackd needs CAP_NET_ADMIN "
          "and CAP_BPF (or root)",
          ifname);
    if (err == -ENODEV) return fmt::format("interface {} disappeared (ENODEV)", ifname);
  }
  if (p->link_fd_ < 0)
    return fmt::format("cannot attach the XDP program to {}: {}", ifname, strerror(-err));
  bpf_xdp_query_id(ifindex, p->attach_flags_, &p->prog_id_);
  return p;
}

SteerProgram::~SteerProgram() {
  if (link_fd_ >= 0) close(link_fd_);  // detaches our program (only ours)
  if (obj_ != nullptr) bpf_object__close(obj_);
}

namespace {
// Make a hash map hold exactly `want` (value 1). The map is small: collect
// the keys first, since deleting while iterating restarts the walk.
template <class Key>
std::string sync_map(int fd, const std::vector<Key>& want, const char* name) {
  std::vector<Key> have;
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    have.push_back(next);
    key = next;
    prev = &key;
  }
  for (const Key& k : have) {
    bool keep = false;
    for (const Key& w : want) keep |= std::memcmp(&w, &k, sizeof k) == 0;
    if (!keep) bpf_map_delete_elem(fd, &k);
  }
  const uint8_t one = 1;
  for (const Key& w : want) {
    if (bpf_map_update_elem(fd, &w, &one, BPF_ANY) != 0)
      return fmt::format("cannot add an address to the XDP map ({} holds 256): {}", name,
                         strerror(errno));
  }
  return {};
}
}  // namespace

std::string SteerProgram::set_addresses(std::span<const Ipv4Addr> addrs) {
  std::vector<uint32_t> want;
  want.reserve(addrs.size());
  for (Ipv4Addr a : addrs) want.push_back(htonl(a.v));
  return sync_map(addrs_fd_, want, "stackd_addrs");
}

std::string SteerProgram::set_addresses6(std::span<const Ipv6Addr> addrs) {
  std::vector<std::array<uint8_t, 16>> want;
  want.reserve(addrs.size());
  for (const Ipv6Addr& a : addrs) want.push_back(a.b);
  return sync_map(addrs6_fd_, want, "stackd_addrs6");
}

std::string SteerProgram::set_flags(uint32_t flags) {
  uint32_t zero = 0;
  if (bpf_map_update_elem(flags_fd_, &zero, &flags, BPF_ANY) != 0)
    return fmt::format("cannot set XDP steering flags: {}", strerror(errno));
  return {};
}

}  // namespace stackd::nic
