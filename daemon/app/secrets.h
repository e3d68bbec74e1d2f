// Secrets the stack core takes as input, drawn by the daemon from the
// kernel's CSPRNG (getrandom(2)) at every start: RFC 6528 §3 requires the
// ISN secret to be unpredictable, and a SYN cookie is only as strong as
// its key. A fixed or reused secret lets an off-path attacker predict ISNs
// and forge cookies.
#pragma once

#include <string>

#include "stack/config.h"

namespace stackd::app {

// Fill `s` from getrandom(); false (with `err`) if the kernel cannot give
// random bytes.
bool fill_tcp_secrets(stack::TcpSecrets& s, std::string* err);

}  // namespace stackd::app
