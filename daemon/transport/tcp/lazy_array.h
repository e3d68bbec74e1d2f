// LazyArray<T, N>: a fixed-size array whose storage is allocated at the
// first write, so a bookkeeping structure that most connections never use
// (RxRanges' out-of-order islands, SackScoreboard's SACKed ranges) costs one
// pointer in an idle TCB instead of its full array (tcp README "Memory").
//
// Reading an element of an unallocated array yields T{} (const access);
// non-const operator[] allocates. Callers only index below their own
// element count, which is zero until they first store something.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

namespace stackd::tcp {

template <typename T, size_t N>
class LazyArray {
 public:
  LazyArray() = default;
  LazyArray(const LazyArray& o) : p_(o.p_ ? std::make_unique<std::array<T, N>>(*o.p_) : nullptr) {}
  LazyArray& operator=(const LazyArray& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<std::array<T, N>>(*o.p_) : nullptr;
    return *this;
  }
  LazyArray(LazyArray&&) noexcept = default;
  LazyArray& operator=(LazyArray&&) noexcept = default;

  T& operator[](size_t i) {
    if (!p_) p_ = std::make_unique<std::array<T, N>>();
    return (*p_)[i];
  }
  const T& operator[](size_t i) const {
    static const T kZero{};
    return p_ ? (*p_)[i] : kZero;
  }
  static constexpr size_t size() { return N; }
  bool allocated() const { return p_ != nullptr; }
  void release() { p_.reset(); }  // back to no storage (contents become T{})

 private:
  std::unique_ptr<std::array<T, N>> p_;
};

}  // namespace stackd::tcp
