#include "ipc/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/interprocess/file_mapping.hpp>
#include <fmt/format.h>

namespace stackd::ipc {

std::unique_ptr<Segment> Segment::create(const abi::Geometry& geo, uint32_t client_id, std::string* err) {
  const std::string name = fmt::format("stackd-client-{}", client_id);
  const int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *err = fmt::format("memfd_create: {}", std::strerror(errno));
    return nullptr;
  }
  if (ftruncate(fd, geo.segment_bytes) != 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    *err = fmt::format("memfd size/seal: {}", std::strerror(errno));
    close(fd);
    return nullptr;
  }
  try {
    // Boost maps by name; /proc/self/fd/N names this memfd.
    boost::interprocess::file_mapping fm(fmt::format("/proc/self/fd/{}", fd).c_str(),
                                         boost::interprocess::read_write);
    boost::interprocess::mapped_region region(fm, boost::interprocess::read_write, 0, geo.segment_bytes);
    return std::unique_ptr<Segment>(new Segment(fd, std::move(region)));
  } catch (const std::exception& e) {
    *err = fmt::format("mapping the segment: {}", e.what());
    close(fd);
    return nullptr;
  }
}

Segment::~Segment() { close(fd_); }

}  // namespace stackd::ipc
