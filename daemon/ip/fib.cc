#include "ip/fib.h"

#include <algorithm>

#include "base/byteorder.h"

namespace stackd::ip {

Fib::V6Key Fib::v6_key(const Ipv6Addr& a, int len) {
  uint64_t hi = load_be64(a.b.data()), lo = load_be64(a.b.data() + 8);
  auto mask = [](int bits) -> uint64_t {
    if (bits <= 0) return 0;
    if (bits >= 64) return ~uint64_t{0};
    return ~uint64_t{0} << (64 - bits);
  };
  return {hi & mask(len), lo & mask(len - 64)};
}

std::vector<Route>* Fib::bucket(const IpPrefix& net) {
  if (net.addr.is_v4()) return v4_.find_exact(net.len, net.addr.v4().v);
  return v6_.find_exact(net.len, v6_key(net.addr.v6(), net.len));
}
const std::vector<Route>* Fib::bucket(const IpPrefix& net) const {
  if (net.addr.is_v4()) return v4_.find_exact(net.len, net.addr.v4().v);
  return v6_.find_exact(net.len, v6_key(net.addr.v6(), net.len));
}
std::vector<Route>& Fib::make_bucket(const IpPrefix& net) {
  if (net.addr.is_v4()) return v4_.get_or_create(net.len, net.addr.v4().v);
  return v6_.get_or_create(net.len, v6_key(net.addr.v6(), net.len));
}
void Fib::erase_bucket(const IpPrefix& net) {
  if (net.addr.is_v4())
    v4_.erase(net.len, net.addr.v4().v);
  else
    v6_.erase(net.len, v6_key(net.addr.v6(), net.len));
}

namespace {
bool valid(const Route& r) {
  if (r.dst.len > r.dst.addr.max_prefix()) return false;
  if (r.gateway && r.gateway->family() != r.dst.addr.family()) return false;
  return true;
}
void insert_sorted(std::vector<Route>& b, const Route& r) {
  auto pos = std::find_if(b.begin(), b.end(), [&](const Route& x) { return x.metric > r.metric; });
  b.insert(pos, r);
}
}  // namespace

FibStatus Fib::add(const Route& in) {
  if (!valid(in)) return FibStatus::kInvalid;
  Route r = in;
  r.dst = in.dst.network();
  if (auto* b = bucket(r.dst)) {
    for (const auto& x : *b)
      if (x.metric == r.metric) return FibStatus::kExists;
  }
  insert_sorted(make_bucket(r.dst), r);
  ++size_;
  return FibStatus::kOk;
}

FibStatus Fib::replace(const Route& in) {
  if (!valid(in)) return FibStatus::kInvalid;
  Route r = in;
  r.dst = in.dst.network();
  if (auto* b = bucket(r.dst)) {
    for (auto& x : *b)
      if (x.metric == r.metric) {
        x = r;
        return FibStatus::kOk;
      }
  }
  insert_sorted(make_bucket(r.dst), r);
  ++size_;
  return FibStatus::kOk;
}

FibStatus Fib::remove(const IpPrefix& dst, std::optional<uint32_t> metric) {
  if (dst.len > dst.addr.max_prefix()) return FibStatus::kInvalid;
  IpPrefix net = dst.network();
  auto* b = bucket(net);
  if (b == nullptr) return FibStatus::kNotFound;
  auto it = metric ? std::find_if(b->begin(), b->end(),
                                  [&](const Route& x) { return x.metric == *metric; })
                   : b->begin();
  if (it == b->end()) return FibStatus::kNotFound;
  b->erase(it);
  --size_;
  if (b->empty()) erase_bucket(net);
  return FibStatus::kOk;
}

size_t Fib::remove_interface(uint16_t ifindex) {
  std::vector<Route> doomed;
  auto collect = [&](const Route& r) {
    if (r.ifindex == ifindex) doomed.push_back(r);
  };
  v4_.for_each(collect);
  v6_.for_each(collect);
  for (const auto& r : doomed) remove(r.dst, r.metric);
  return doomed.size();
}

FibStatus Fib::add_connected(const IpPrefix& iface_addr, uint16_t ifindex, uint32_t metric) {
  if (iface_addr.len >= iface_addr.addr.max_prefix()) return FibStatus::kOk;
  Route r;
  r.dst = iface_addr.network();
  r.ifindex = ifindex;
  r.metric = metric;
  r.connected = true;
  return replace(r);
}

const Route* Fib::lookup_v4(Ipv4Addr dst) const {
  const auto* b = v4_.longest([&](int len) { return dst.v & IpPrefix::v4_mask(len); });
  return b == nullptr ? nullptr : &b->front();
}

const Route* Fib::lookup(const IpAddr& dst) const {
  if (dst.is_v4()) return lookup_v4(dst.v4());
  const auto* b = v6_.longest([&](int len) { return v6_key(dst.v6(), len); });
  return b == nullptr ? nullptr : &b->front();
}

const Route* Fib::find(const IpPrefix& dst) const {
  if (dst.len > dst.addr.max_prefix()) return nullptr;
  const auto* b = bucket(dst.network());
  return b == nullptr ? nullptr : &b->front();
}

std::vector<Route> Fib::list() const {
  std::vector<Route> out;
  out.reserve(size_);
  v4_.for_each([&](const Route& r) { out.push_back(r); });
  v6_.for_each([&](const Route& r) { out.push_back(r); });
  return out;
}

}  // namespace stackd::ip
