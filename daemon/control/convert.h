// The stack core's objects as stackd.v1 messages and back. Everything here
// reads or changes the stack, so it runs on the worker's thread (inside a
// CommandQueue command), never on an RPC thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ip/fib.h"
#include "ip/filter/rule.h"
#include "l2/interface.h"
#include "l2/neighbour_cache.h"
#include "stack/stack.h"
#include "stackd/v1/stackd.pb.h"
#include "transport/tcp/congestion.h"
#include "transport/tcp/tcb.h"
#include "transport/udp.h"

namespace stackd::control {

namespace pb = ::stackd::v1;

// Interface name <-> index of the stack (0 / "" when unknown).
uint16_t ifindex_of(const stack::Stack& s, const std::string& name);
std::string ifname_of(const stack::Stack& s, uint16_t index);
l2::Interface* iface_by_name(stack::Stack& s, const std::string& name);

// A request's family filter: 0 any, 4, 6.
inline bool in_family(uint32_t family, const IpAddr& a) { return family == 0 || (family == 4) == a.is_v4(); }

// An interface's addresses as `ip addr` lists them: IPv4 ones as configured,
// IPv6 ones as they run (link-local first, with their DAD flags).
std::vector<pb::Address> addresses_of(const l2::Interface& i, uint32_t family);

pb::Link to_pb(const l2::Interface& i);
pb::Route to_pb(const stack::Stack& s, const ip::Route& r);
pb::Neighbour to_pb(const stack::Stack& s, const l2::NeighInfo& n);
pb::Connection to_pb(const tcp::Tcb& t);
// UDP: "UNCONN" (bound) or "ESTAB" (connected), as ss shows them.
pb::Connection to_pb(const transport::UdpSocket& s);

// ss(8) state names: "ESTAB", "SYN-SENT", ...; filter names: "established", ...
std::string ss_state(tcp::TcpState st);
bool ss_state_matches(tcp::TcpState st, const std::string& filter);

pb::Verdict to_pb(ip::filter::Action a);
ip::filter::Action from_pb(pb::Verdict v);
pb::Rule to_pb(const stack::Stack& s, const ip::filter::Rule& r, ip::filter::Hook h);
// The whole rule set with counters and policies (`fw list`, `config show`).
void list_rules(stack::Stack& s, pb::ListRulesResponse* out);
// nullopt + *err when a field does not make sense (unknown interface, bad prefix).
std::optional<ip::filter::Rule> from_pb(const stack::Stack& s, const pb::Rule& r, std::string* err);

}  // namespace stackd::control
