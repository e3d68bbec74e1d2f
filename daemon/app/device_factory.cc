// The glue between interface configs and the NIC back-ends
// (nic/af_xdp: AfXdpDevice, nic/tap: TapDevice).
#include "app/device_factory.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "l2/ipv6_addr.h"
#include "nic/af_xdp/af_xdp_device.h"
#include "nic/tap/tap_device.h"

namespace stackd::app {

std::string set_device_ipv4_addresses(nic::Device& dev, const std::vector<IpPrefix>& v4) {
  auto* xdp = dynamic_cast<nic::AfXdpDevice*>(&dev);
  if (xdp == nullptr) return "";
  std::vector<Ipv4Addr> list;
  for (const auto& p : v4)
    if (p.addr.is_v4()) list.push_back(p.addr.v4());
  std::string err = xdp->set_addresses(list);
  return err.empty() ? "" : "af_xdp: " + err;
}

stack::Backend resolve_auto_backend(const std::string& ifname) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dev = fs::path("/sys/class/net") / ifname;
  if (!fs::exists(dev, ec)) return stack::Backend::kTap;             // nothing there: make a tap
  if (fs::exists(dev / "tun_flags", ec)) return stack::Backend::kTap;  // an existing tap device
  return stack::Backend::kAfXdp;
}

namespace {

std::variant<OpenedDevice, std::string> open_af_xdp(const stack::InterfaceConfig& ic,
                                                    const DaemonConfig& dc) {
  nic::AfXdpConfig xc;
  xc.ifname = ic.name;
  xc.frame_count = dc.umem_frames;
  // Half the frames stay posted for receive, half serve transmit.
  xc.rx_frames = dc.umem_frames / 2;
  xc.ring_size = std::min<uint32_t>(1024, dc.umem_frames / 2);
  if (ic.ipv6 && ic.accept_ra) xc.steer_flags |= nic::kSteerV6RouterAdvert;
  auto r = nic::AfXdpDevice::open(xc);
  if (auto* msg = std::get_if<std::string>(&r)) return "af_xdp: " + *msg;
  auto dev = std::move(std::get<std::unique_ptr<nic::AfXdpDevice>>(r));
  // The XDP program steers frames for our IPv4 addresses (and their ARP).
  std::vector<Ipv4Addr> v4;
  for (const auto& p : ic.addrs)
    if (p.addr.is_v4()) v4.push_back(p.addr.v4());
  if (auto err = dev->set_addresses(v4); !err.empty()) return "af_xdp: " + err;
  // IPv6: the link-local address the stack derives from the MAC it will
  // use (stack::Stack::attach: the configured one, else the device's) and
  // the configured addresses; ND for them is steered by target address.
  if (ic.ipv6) {
    std::vector<Ipv6Addr> v6{l2::link_local_from_mac(ic.mac.value_or(dev->info().mac))};
    for (const auto& p : ic.addrs)
      if (p.addr.is_v6()) v6.push_back(p.addr.v6());
    if (auto err = dev->set_addresses6(v6); !err.empty()) return "af_xdp: " + err;
  }
  std::string desc = fmt::format("af_xdp ({} mode)", dev->mode_name());
  return OpenedDevice{std::move(dev), std::move(desc)};
}

std::variant<OpenedDevice, std::string> open_tap(const stack::InterfaceConfig& ic) {
  nic::TapConfig tc;
  tc.ifname = ic.name;
  tc.mac = ic.mac.value_or(MacAddr{});  // zero: the back-end derives one
  tc.mtu = ic.mtu;
  // A frame holds the Ethernet header and headroom besides the MTU.
  tc.frame_size = ic.mtu + 14 + 256 <= 2048 ? 2048 : 16384;
  auto r = nic::TapDevice::open(tc);
  if (auto* msg = std::get_if<std::string>(&r)) return "tap: " + *msg;
  return OpenedDevice{std::move(std::get<std::unique_ptr<nic::TapDevice>>(r)), "tap"};
}

}  // namespace

std::variant<OpenedDevice, std::string> open_device(const stack::InterfaceConfig& ic,
                                                    const DaemonConfig& dc) {
  stack::Backend b = ic.backend == stack::Backend::kAuto ? resolve_auto_backend(ic.name) : ic.backend;
  switch (b) {
    case stack::Backend::kAfXdp:
      return open_af_xdp(ic, dc);
    case stack::Backend::kTap:
    case stack::Backend::kAuto:
      break;
  }
  return open_tap(ic);
}

}  // namespace stackd::app
