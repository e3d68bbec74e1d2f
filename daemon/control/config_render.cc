#include "control/config_render.h"

#include <sstream>

#include <toml++/toml.h>

namespace stackd::control {

std::optional<std::string> running_config_text(std::string_view file_text, std::string_view file_name,
                                               const RunningConfig& r, std::string* err) {
  toml::table doc;
  try {
    doc = toml::parse(file_text, file_name);
  } catch (const toml::parse_error& e) {
    *err = std::string(e.description());
    return std::nullopt;
  }
  if (auto* ifaces = doc["interface"].as_array()) {
    for (auto& node : *ifaces) {
      auto* t = node.as_table();
      if (t == nullptr) continue;
      auto name = (*t)["name"].value<std::string>();
      if (!name) continue;
      auto it = r.addresses.find(*name);
      if (it == r.addresses.end()) continue;
      toml::array a;
      for (const auto& p : it->second) a.push_back(p);
      t->insert_or_assign("addresses", std::move(a));
    }
  }
  toml::array routes;
  for (const auto& x : r.routes) {
    toml::table t;
    // The file's `default` is IPv4's; ::/0 is written as a prefix.
    t.insert("to", x.dst() == "0.0.0.0/0" ? std::string("default") : x.dst());
    if (!x.via().empty()) t.insert("via", x.via());
    if (!x.dev().empty()) t.insert("dev", x.dev());
    if (x.metric() != 0) t.insert("metric", static_cast<int64_t>(x.metric()));
    if (x.mtu() != 0) t.insert("mtu", static_cast<int64_t>(x.mtu()));
    routes.push_back(std::move(t));
  }
  toml::array neighs;
  for (const auto& n : r.neighbours) {
    toml::table t;
    t.insert("address", n.addr());
    t.insert("mac", n.lladdr());
    t.insert("dev", n.dev());
    neighs.push_back(std::move(t));
  }
  doc.erase("route");
  doc.erase("neighbour");
  if (!routes.empty()) doc.insert("route", std::move(routes));
  if (!neighs.empty()) doc.insert("neighbour", std::move(neighs));
  std::ostringstream out;
  out << toml::toml_formatter(doc) << "\n";
  return out.str();
}

}  // namespace stackd::control
