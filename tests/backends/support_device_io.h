// Device and socket I/O with bounded waits for the back-end tests. Waits
// poll() a file descriptor with a deadline; nothing sleeps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/addr.h"
#include "nic/device.h"

namespace stackd::test {

using FrameMatch = std::function<bool(std::span<const uint8_t>)>;

// Receives from `dev` (waiting on wait_fd) until a frame matches or
// `timeout_ms` passes; returns a copy of the matching frame. Frames that do
// not match are counted in *others (when given) and released.
std::optional<std::vector<uint8_t>> wait_frame(nic::Device& dev, const FrameMatch& match,
                                               int timeout_ms, int* others = nullptr);

// Copies `frame` into a buffer from `pool`, transmits it and flushes.
bool send_frame(nic::Device& dev, buf::FramePool& pool, std::span<const uint8_t> frame);

// A UDP socket bound to addr:port (in namespace `ns`, or the calling
// thread's when ns is empty). -1 on failure.
int udp_socket(const std::string& ns, Ipv4Addr addr, uint16_t port);
bool udp_send(int fd, Ipv4Addr dst, uint16_t port, const std::string& payload);
// The next datagram, or nullopt after timeout_ms.
std::optional<std::string> udp_recv(int fd, int timeout_ms);

}  // namespace stackd::test
