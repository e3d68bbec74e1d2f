// Tables in the tools' own formats (ip, ss, nstat, nft) from the stackd.v1
// response messages; -j prints the same messages as JSON (json.h).
#pragma once

#include <string>

#include "stackd/v1/stackd.pb.h"

namespace stackctl {

namespace pb = ::stackd::v1;

std::string render(const pb::ListLinksResponse& r);
std::string render(const pb::ListAddressesResponse& r);
std::string render(const pb::ListRoutesResponse& r);
std::string render(const pb::Route& r);  // one `ip route` line
std::string render(const pb::ListNeighboursResponse& r);
std::string render(const pb::Neighbour& n);
std::string render(const pb::ListRulesResponse& r, bool handles);
// ss columns; info: the TCP_INFO line (-i); ext: uid and index (-e); proc: users:(("comm",pid=N)) (-p).
std::string render(const pb::ListConnectionsResponse& r, bool info, bool ext, bool proc = false);
std::string render(const pb::Connection& c, bool info, bool ext, bool proc = false);
std::string render(const pb::Link& l);
std::string render(const pb::ListCountersResponse& r);
// `config show`: the running config file, then the rule set as the
// commands that recreate it (comments: the file format has no rules).
std::string render(const pb::ConfigShowResponse& r);

}  // namespace stackctl
