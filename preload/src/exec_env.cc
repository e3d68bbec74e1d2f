#include "exec_env.h"

#include <cstring>

namespace stackd::shim {
namespace {

bool is_var(const char* entry, const char* name) {
  const size_t n = std::strlen(name);
  return std::strncmp(entry, name, n) == 0 && entry[n] == '=';
}

}  // namespace

bool ExecEnv::preloads_shim() const {
  for (char* const* e = envp_; e != nullptr && *e != nullptr; ++e)
    if (is_var(*e, "LD_PRELOAD") && std::strstr(*e, "stackshim") != nullptr) return true;
  return false;
}

char* const* ExecEnv::with(const std::string& value) {
  bool has = false;
  for (char* const* e = envp_; e != nullptr && *e != nullptr; ++e) has |= is_var(*e, kAttachVar);
  if (!has && value.empty()) return envp_;
  out_.clear();
  for (char* const* e = envp_; e != nullptr && *e != nullptr; ++e)
    if (!is_var(*e, kAttachVar)) out_.push_back(*e);
  if (!value.empty()) {
    var_ = std::string(kAttachVar) + "=" + value;
    out_.push_back(var_.data());
  }
  out_.push_back(nullptr);
  return out_.data();
}

}  // namespace stackd::shim
