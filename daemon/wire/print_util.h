// Internal helpers of the printers (print.cc, print_l4.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/drop_reason.h"

namespace stackd::wire {

inline std::string malformed(std::string_view proto, DropReason r) {
  std::string s = "[|";
  s += proto;
  s += ": ";
  s += drop_reason_name(r);
  return s + "]";
}

inline std::string hex_string(std::span<const uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

}  // namespace stackd::wire
