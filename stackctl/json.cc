#include "json.h"

#include <fmt/format.h>

namespace stackctl {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (c < 0x20) o += fmt::format("\\u{:04x}", c);
        else o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

namespace {

std::string base64(const std::string& in) {
  static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) o += kAlpha[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    o += kAlpha[(v >> 18) & 63];
    o += kAlpha[(v >> 12) & 63];
    o += i + 1 < in.size() ? kAlpha[(v >> 6) & 63] : '=';
    o += '=';
  }
  return o;
}

std::string value(const Message& m, const Reflection* r, const FieldDescriptor* f, int idx) {
  const bool rep = idx >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return std::to_string(rep ? r->GetRepeatedInt32(m, f, idx) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64: return std::to_string(rep ? r->GetRepeatedInt64(m, f, idx) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(rep ? r->GetRepeatedUInt32(m, f, idx) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(rep ? r->GetRepeatedUInt64(m, f, idx) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return fmt::format("{}", rep ? r->GetRepeatedDouble(m, f, idx) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return fmt::format("{}", rep ? r->GetRepeatedFloat(m, f, idx) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL: return (rep ? r->GetRepeatedBool(m, f, idx) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return json_string(std::string((rep ? r->GetRepeatedEnum(m, f, idx) : r->GetEnum(m, f))->name()));
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, idx) : r->GetString(m, f);
      return json_string(f->type() == FieldDescriptor::TYPE_BYTES ? base64(s) : s);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return to_json(rep ? r->GetRepeatedMessage(m, f, idx) : r->GetMessage(m, f));
  }
  return "null";
}

}  // namespace

std::string to_json(const Message& m) {
  const auto* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::string o = "{";
  bool first = true;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    // Unset optional (explicit presence) scalars and sub-messages are omitted.
    if (!f->is_repeated() && f->has_presence() && !r->HasField(m, f)) continue;
    if (!first) o += ",";
    first = false;
    o += json_string(f->name()) + ":";
    if (f->is_repeated()) {
      o += "[";
      for (int k = 0; k < r->FieldSize(m, f); ++k) o += (k ? "," : "") + value(m, r, f, k);
      o += "]";
    } else {
      o += value(m, r, f, -1);
    }
  }
  return o + "}";
}

}  // namespace stackctl
