// Network namespaces for the back-end tests: every test makes its own,
// named after the pid, and removes them even when it fails (RAII). Traffic
// never leaves them: the test thread itself enters the namespace that holds
// the device, so the root namespace gets no addresses or routes.
#pragma once

#include <string>
#include <vector>

namespace stackd::test {

// Runs a shell command; returns its exit status (-1 if it did not run).
int sh(const std::string& cmd);
// Runs a shell command and returns its standard output.
std::string sh_output(const std::string& cmd);

// Short unique suffix for names (pid and a counter): interface names must
// fit IFNAMSIZ, so keep prefixes to 4 characters.
std::string unique_suffix();

// Creates the named namespaces; deletes them (and the links in them) when
// it goes away.
class NetnsGuard {
 public:
  explicit NetnsGuard(std::vector<std::string> names);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  bool ok() const { return ok_; }

 private:
  std::vector<std::string> names_;
  bool ok_ = true;
};

// Moves the calling thread into a namespace; moves it back when destroyed.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  bool ok() const { return ok_; }

 private:
  int old_fd_ = -1;
  bool ok_ = false;
};

// A socket created inside namespace `ns` (a socket keeps the namespace it
// was created in, so the caller can use it from anywhere). -1 on failure.
int socket_in(const std::string& ns, int domain, int type, int protocol);

}  // namespace stackd::test
