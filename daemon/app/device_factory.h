// Opening the device under each configured interface: backend af_xdp, tap,
// or auto (af_xdp when a kernel interface of that name exists and is not
// itself a tun/tap device; otherwise a tap device of that name).
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "app/config.h"
#include "nic/device.h"
#include "stack/config.h"

namespace stackd::app {

struct OpenedDevice {
  std::unique_ptr<nic::Device> device;
  std::string description;  // "af_xdp (native mode)", "tap"
};

// The device, or the back-end's message saying why it could not be opened.
std::variant<OpenedDevice, std::string> open_device(const stack::InterfaceConfig& ic,
                                                    const DaemonConfig& dc);

// A reload changed the interface's IPv4 addresses: AF_XDP devices steer
// frames for them (the XDP program's map); other devices need nothing.
// Returns "" or the error.
std::string set_device_ipv4_addresses(nic::Device& dev, const std::vector<IpPrefix>& v4);

// What backend = auto picks for `ifname` on this host.
stack::Backend resolve_auto_backend(const std::string& ifname);

}  // namespace stackd::app
