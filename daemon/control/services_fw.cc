// Firewall: nft-like rules with stable handles over ip::filter::Filter.
// Every edit builds and swaps a whole compiled snapshot (filter.h), so a
// packet sees the old rules or the new ones, never half.
#include <fmt/format.h>

#include "control/convert.h"
#include "control/service_common.h"
#include "ip/filter/filter.h"

namespace stackd::control {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;
namespace flt = ip::filter;

flt::Hook hook_of(pb::Hook h) { return h == pb::HOOK_OUTPUT ? flt::Hook::kOutput : flt::Hook::kInput; }

Status policy_ok(pb::Verdict v) {
  if (v == pb::VERDICT_ACCEPT || v == pb::VERDICT_DROP) return Status::OK;
  return {StatusCode::INVALID_ARGUMENT, "a chain policy is accept or drop"};
}

class FirewallService final : public pb::Firewall::Service {
 public:
  explicit FirewallService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListRulesRequest*, pb::ListRulesResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "fw list"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      list_rules(s, out);
      return Status::OK;
    });
  }

  Status Create(ServerContext* ctx, const pb::CreateRuleRequest* req, pb::Rule* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "fw add"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      std::string err;
      auto r = control::from_pb(s, req->rule(), &err);
      if (!r) return Status(StatusCode::INVALID_ARGUMENT, err);
      r->handle = 0;  // the filter assigns handles on creation
      const flt::Hook h = hook_of(req->rule().hook());
      auto& fw = s.firewall();
      flt::FwResult<uint64_t> res = std::string("no position");
      switch (req->where_case()) {
        case pb::CreateRuleRequest::kPosition: res = fw.insert(h, req->position(), *r); break;
        case pb::CreateRuleRequest::kBeforeHandle: res = fw.insert_before(req->before_handle(), *r); break;
        default: res = fw.append(h, *r); break;
      }
      if (!res) return Status(StatusCode::INVALID_ARGUMENT, res.error());
      *out = req->rule();
      out->set_handle(*res);
      return Status::OK;
    });
  }

  Status Delete(ServerContext* ctx, const pb::DeleteRuleRequest* req, pb::Empty*) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "fw delete"); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      auto res = s.firewall().remove(req->handle());
      if (!res) return Status(StatusCode::NOT_FOUND, res.error());
      return Status::OK;
    });
  }

  Status Replace(ServerContext* ctx, const pb::ReplaceRulesRequest* req, pb::ReplaceRulesResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "fw replace"); !s.ok()) return s;
    if (auto s = policy_ok(req->input_policy()); !s.ok()) return s;
    if (auto s = policy_ok(req->output_policy()); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      flt::Ruleset rs;
      rs.input.policy = control::from_pb(req->input_policy());
      rs.output.policy = control::from_pb(req->output_policy());
      for (int i = 0; i < req->rules_size(); ++i) {
        std::string err;
        auto r = control::from_pb(s, req->rules(i), &err);
        if (!r) return Status(StatusCode::INVALID_ARGUMENT, fmt::format("rule {}: {}", i + 1, err));
        rs.chain(hook_of(req->rules(i).hook())).rules.push_back(std::move(*r));
      }
      auto res = s.firewall().replace(std::move(rs));
      if (!res) return Status(StatusCode::INVALID_ARGUMENT, res.error());
      out->set_rules(static_cast<uint32_t>(*res));
      return Status::OK;
    });
  }

  Status SetPolicy(ServerContext* ctx, const pb::SetPolicyRequest* req, pb::Empty*) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "fw policy"); !s.ok()) return s;
    if (auto s = policy_ok(req->policy()); !s.ok()) return s;
    return on_worker(c_, [&](stack::Stack& s, Instant) {
      auto res = s.firewall().set_policy(hook_of(req->hook()), control::from_pb(req->policy()));
      if (!res) return Status(StatusCode::INVALID_ARGUMENT, res.error());
      return Status::OK;
    });
  }

 private:
  ServiceContext& c_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_firewall_service(ServiceContext& c) {
  return std::make_unique<FirewallService>(c);
}

}  // namespace stackd::control
