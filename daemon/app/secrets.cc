#include "app/secrets.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace stackd::app {

bool fill_tcp_secrets(stack::TcpSecrets& s, std::string* err) {
  uint8_t buf[sizeof(s.isn) + sizeof(s.cookie)];
  size_t got = 0;
  while (got < sizeof(buf)) {
    // Blocks only until the kernel's pool is initialised (early boot).
    const ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (err) *err = std::string("getrandom: ") + std::strerror(errno);
      return false;
    }
    got += static_cast<size_t>(n);
  }
  std::memcpy(s.isn.data(), buf, sizeof(s.isn));
  std::memcpy(s.cookie.data(), buf + sizeof(s.isn), sizeof(s.cookie));
  return true;
}

}  // namespace stackd::app
