// The environment of an exec that may keep the process's stackd
// attachment (preload/README.md "exec"): the program's envp as given,
// without any STACKD_ATTACH it carried, plus ours when the attachment goes
// along. Only a new image that loads the shim can use it, so it goes along
// only when the envp preloads libstackshim.
//
//   ExecEnv e(envp);
//   if (e.preloads_shim() && ...) envp = e.with(value);   // valid while e lives
#pragma once

#include <string>
#include <vector>

namespace stackd::shim {

inline constexpr char kAttachVar[] = "STACKD_ATTACH";

class ExecEnv {
 public:
  explicit ExecEnv(char* const* envp) : envp_(envp) {}
  // LD_PRELOAD in envp names the shim (libstackshim).
  bool preloads_shim() const;
  // envp without STACKD_ATTACH=..., with STACKD_ATTACH=value appended when
  // value is not empty; envp itself when there is nothing to change.
  char* const* with(const std::string& value);

 private:
  char* const* envp_;
  std::string var_;
  std::vector<char*> out_;
};

}  // namespace stackd::shim
