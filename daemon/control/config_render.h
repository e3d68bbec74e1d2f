// `stackctl config show`: the running state as a config file. The file as
// last loaded (start or reload) is the base; the parts stackd changes at run
// time are rewritten from what runs now (after reloads and API edits):
// each [[interface]]'s `addresses`, the [[route]] and the [[neighbour]]
// tables. Loading the result gives the same addresses, routes and static
// neighbours. Comments and key order of those tables are not kept (toml++
// formats the document); the firewall has no file form (Config.Show sends
// the rule set beside the text).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stackd/v1/stackd.pb.h"

namespace stackd::control {

struct RunningConfig {
  std::map<std::string, std::vector<std::string>> addresses;  // interface -> configured prefixes
  std::vector<::stackd::v1::Route> routes;          // static routes (not connected)
  std::vector<::stackd::v1::Neighbour> neighbours;  // PERMANENT entries
};

// nullopt + *err when `file_text` does not parse as TOML.
std::optional<std::string> running_config_text(std::string_view file_text, std::string_view file_name,
                                               const RunningConfig& r, std::string* err);

}  // namespace stackd::control
