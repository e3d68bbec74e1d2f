// stackctl's command grammar: iproute2-style argument tails into one
// Invocation (which RPC, with which request message). No I/O here, so the
// grammar is unit-tested on its own (tests/unit/stackctl/).
//
//   stackctl [-j] [-s SOCKET] OBJECT [VERB] [ARGS]
//   parse({"route", "add", "10.1.0.0/16", "via", "10.0.0.1"}) -> kRouteAdd + pb::Route
//
// Objects and verbs accept unique prefixes, resolved in iproute2's order
// (`stackctl r` = `stackctl route show`, `stackctl a` = `addr`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stackd/v1/stackd.pb.h"

namespace stackctl {

namespace pb = ::stackd::v1;

enum class Op {
  kLinkList, kLinkSet,
  kAddrList, kAddrAdd, kAddrDel,
  kRouteList, kRouteAdd, kRouteReplace, kRouteDel,
  kNeighList, kNeighAdd, kNeighDel, kNeighFlush,
  kFwList, kFwAdd, kFwDelete, kFwPolicy, kFwFlush,
  kConnList,
  kStats,
  kCapture,
  kMonitor,
  kConfigShow, kConfigCheck,
  kDaemonReload,
  kHelp,
};

struct Invocation {
  Op op = Op::kHelp;
  bool json = false;
  std::string socket;  // empty: the default
  uint32_t family = 0; // -4 / -6 (0: iproute2's default per object)

  pb::ListLinksRequest link_list;
  pb::SetLinkRequest link_set;
  pb::ListAddressesRequest addr_list;
  pb::Address addr;
  pb::ListRoutesRequest route_list;  // `route show` is IPv4 unless -6, as `ip route`
  pb::Route route;
  pb::DeleteRouteRequest route_del;
  pb::ListNeighboursRequest neigh_list;
  pb::Neighbour neigh;
  pb::DeleteNeighbourRequest neigh_del;
  pb::FlushNeighboursRequest neigh_flush;
  pb::CreateRuleRequest fw_add;
  pb::DeleteRuleRequest fw_del;
  pb::SetPolicyRequest fw_policy;
  bool fw_handles = false;  // fw list -a
  pb::ListConnectionsRequest conn;
  bool conn_info = false;   // -i: TCP_INFO line
  bool conn_ext = false;    // -e: uid and index
  bool conn_proc = false;   // -p: owning process users:(("comm",pid=N))
  pb::ListCountersRequest stats;
  double watch_interval = 0;  // stats --watch [SEC]: deltas every SEC (0: once)
  pb::CaptureRequest capture;
  std::string capture_file;   // -w FILE ("-" = stdout); empty: one line per packet
  std::vector<std::string> monitor;  // route neigh link conn
  std::string config_file;
};

// argv without the program name. nullopt + *err (one line) on a usage error.
std::optional<Invocation> parse(const std::vector<std::string>& args, std::string* err);

// The firewall rule grammar alone (nft-like): `[input|output] MATCH... VERDICT`.
std::optional<pb::Rule> parse_rule(const std::vector<std::string>& words, std::string* err);
// A rule back as text in the same grammar (without the chain), as `fw list` prints it.
std::string rule_text(const pb::Rule& r);

std::string usage();

}  // namespace stackctl
