// One client's shared-memory segment: a sealed memfd (no name in /dev/shm,
// nothing left behind when anyone dies) mapped with Boost.Interprocess.
//
//   auto seg = Segment::create(geometry, &err);   // memfd sized and sealed
//   send seg->fd() with SCM_RIGHTS;  seg->base() is the daemon's mapping
//
// F_SEAL_SHRINK: the client holds the fd too, and a client that could
// ftruncate it smaller would make stackd fault (SIGBUS) on its next access.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/interprocess/mapped_region.hpp>

#include "stackd/abi/segment.h"

namespace stackd::ipc {

class Segment {
 public:
  static std::unique_ptr<Segment> create(const abi::Geometry& geo, uint32_t client_id, std::string* err);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int fd() const { return fd_; }
  uint8_t* base() const { return static_cast<uint8_t*>(region_.get_address()); }
  size_t size() const { return region_.get_size(); }

 private:
  Segment(int fd, boost::interprocess::mapped_region region) : fd_(fd), region_(std::move(region)) {}
  int fd_;
  boost::interprocess::mapped_region region_;
};

}  // namespace stackd::ipc
