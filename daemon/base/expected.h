// A value or the reason there is none. Parsers return Expected<Repr> with a
// DropReason, so every rejected packet is counted under a typed reason.
// (std::expected is C++23; this is the small part we need.)
#pragma once

#include <utility>
#include <variant>

#include "base/drop_reason.h"

namespace stackd {

template <class T, class E = DropReason>
class Expected {
 public:
  Expected(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT implicit
  Expected(E e) : v_(std::in_place_index<1>, e) {}             // NOLINT implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  E error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace stackd
