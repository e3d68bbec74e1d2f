// JSON from any proto message by reflection, for `stackctl -j`: the same
// message the table is printed from. Unlike protobuf's JsonPrintOptions,
// 64-bit integers are JSON numbers (counters must be numbers for jq and
// Prometheus-style consumers); field names are the proto names; fields at
// their default value are printed too, so every object has every key.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace stackctl {

std::string to_json(const google::protobuf::Message& m);
std::string json_string(const std::string& s);  // quoted and escaped

}  // namespace stackctl
