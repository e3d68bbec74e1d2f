// The XDP steering program (xdp_steer.bpf.c) as user space sees it: load the
// embedded object with libbpf, attach it to one interface, fill its maps,
// detach it again. One program of our own per interface; libxdp's
// multi-program dispatcher is not used (it needs bpffs and freplace).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>

#include "base/addr.h"

struct bpf_object;

namespace stackd::nic {

// Flags of the program's stackd_flags map (mirror xdp_steer.bpf.c).
inline constexpr uint32_t kSteerAllArp = 1u << 0;
inline constexpr uint32_t kSteerV4BcastMcast = 1u << 1;
// IPv6 Router Advertisements (accept_ra): the kernel no longer sees them.
inline constexpr uint32_t kSteerV6RouterAdvert = 1u << 2;

class SteerProgram {
 public:
  enum class Mode { kNative, kSkb };

  // Loads the program and attaches it to `ifindex` with a bpf_link: native
  // (driver) mode first, then SKB (generic) mode. Refuses to replace a
  // program that is already attached. Returns an error message on failure.
  static std::variant<std::unique_ptr<SteerProgram>, std::string> attach(int ifindex,
                                                                         const std::string& ifname,
                                                                         uint32_t flags,
                                                                         bool allow_skb);

  ~SteerProgram();  // closes the link (detaches our program) and unloads
  SteerProgram(const SteerProgram&) = delete;
  SteerProgram& operator=(const SteerProgram&) = delete;

  Mode mode() const { return mode_; }
  uint32_t prog_id() const { return prog_id_; }
  int xsk_map_fd() const { return xsk_map_fd_; }

  // Replace the set of IPv4 addresses steered to stackd. Returns "" or an
  // error message.
  std::string set_addresses(std::span<const Ipv4Addr> addrs);
  // The same for IPv6: packets to these addresses, and Neighbor
  // Solicitations/Advertisements whose target is one of them.
  std::string set_addresses6(std::span<const Ipv6Addr> addrs);
  std::string set_flags(uint32_t flags);

 private:
  SteerProgram() = default;

  bpf_object* obj_ = nullptr;
  uint32_t attach_flags_ = 0;
  uint32_t prog_id_ = 0;
  Mode mode_ = Mode::kNative;
  int prog_fd_ = -1;
  int link_fd_ = -1;  // the bpf_link that holds the attachment
  int addrs_fd_ = -1;
  int addrs6_fd_ = -1;
  int flags_fd_ = -1;
  int xsk_map_fd_ = -1;
};

}  // namespace stackd::nic
