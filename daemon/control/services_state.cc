// Connections (`ss -tuanpie`), Counters (`nstat` names) and Config (show,
// check, reload).
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "app/config.h"
#include "base/counters.h"
#include "base/drop_reason.h"
#include "ip/fib.h"
#include "l2/link.h"
#include "control/config_render.h"
#include "control/convert.h"
#include "control/owners.h"
#include "control/service_common.h"
#include "transport/tcp/tcp_layer.h"
#include "transport/udp.h"

namespace stackd::control {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

uint16_t port_of(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || endpoint.compare(colon + 1, std::string::npos, "*") == 0) return 0;
  return static_cast<uint16_t>(std::stoul(endpoint.substr(colon + 1)));
}

// ss(8) semantics: no state filter and no -l/-a: connected sockets only.
bool wanted(const pb::ListConnectionsRequest& q, tcp::TcpState st, const pb::Connection& c) {
  const bool listen = st == tcp::TcpState::kListen;
  if (q.state_size() > 0) {
    bool any = false;
    for (const auto& f : q.state()) any |= ss_state_matches(st, f);
    if (!any) return false;
  } else if (q.listening()) {
    if (!listen) return false;
  } else if (!q.all()) {
    if (listen || st == tcp::TcpState::kClosed) return false;
  }
  if (q.sport() != 0 && port_of(c.local()) != q.sport()) return false;
  if (q.dport() != 0 && port_of(c.peer()) != q.dport()) return false;
  return true;
}

std::map<std::string, pb::Connection> connection_map(stack::Stack& s) {
  std::map<std::string, pb::Connection> m;
  s.tcp().for_each_tcb([&](const tcp::Tcb& t) {
    if (t.state == tcp::TcpState::kClosed) return;
    pb::Connection c = to_pb(t);
    const std::string key = fmt::format("tcp {} {}", c.local(), c.peer());
    // Only state changes are events; queues and TCP_INFO move constantly.
    c.clear_recv_q();
    c.clear_send_q();
    c.clear_tcp_info();
    m[key] = std::move(c);
  });
  return m;
}

class ConnectionsService final : public pb::Connections::Service {
 public:
  explicit ConnectionsService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListConnectionsRequest* req, pb::ListConnectionsResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "conn list"); !s.ok()) return s;
    for (const auto& f : req->state()) {
      bool known = false;
      for (auto st = 0; st <= static_cast<int>(tcp::TcpState::kTimeWait); ++st)
        known |= ss_state_matches(static_cast<tcp::TcpState>(st), f);
      if (!known && f != "all")
        return {StatusCode::INVALID_ARGUMENT, fmt::format("unknown state \"{}\"", f)};
    }
    const bool tcp = req->tcp() || !req->udp(), udp = req->udp() || !req->tcp();
    std::vector<Owner> owners;  // by connection, filled in after the worker's part
    auto st = on_worker(c_, [&](stack::Stack& s, Instant) {
      if (tcp)
        s.tcp().for_each_tcb([&](const tcp::Tcb& t) {
          pb::Connection c = to_pb(t);
          if (!wanted(*req, t.state, c)) return;
          *out->add_connections() = std::move(c);
          owners.push_back(owner_of(c_.sessions, t));
        });
      if (udp) {
        const auto by_client = udp_owners(c_.sessions);
        s.udp().for_each_socket([&](const transport::UdpSocket& u) {
          pb::Connection c = to_pb(u);
          // ss: an unconnected UDP socket is listed as a listener would be.
          if (!wanted(*req, u.connected() ? tcp::TcpState::kEstablished : tcp::TcpState::kListen, c)) return;
          *out->add_connections() = std::move(c);
          auto it = by_client.find(&u);
          owners.push_back(it != by_client.end() ? it->second : Owner{Owner::Kind::kStackd, 0, 0});
        });
      }
      return Status::OK;
    });
    // /proc reads here, on the RPC thread, not on the worker.
    for (size_t i = 0; i < owners.size() && st.ok(); ++i) fill_owner(owners[i], out->mutable_connections(static_cast<int>(i)));
    return st;
  }

  Status Watch(ServerContext* ctx, const pb::WatchRequest* req, grpc::ServerWriter<pb::ConnectionEvent>* w) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "conn watch"); !s.ok()) return s;
    return watch_snapshots<pb::Connection>(
        c_, ctx, req->initial(), w, std::nullopt, [](stack::Stack& s, Instant) { return connection_map(s); },
        [](pb::ConnectionEvent& e, const pb::Connection& c) { *e.mutable_connection() = c; });
  }

 private:
  ServiceContext& c_;
};

class CountersService final : public pb::Counters::Service {
 public:
  explicit CountersService(ServiceContext& c) : c_(c) {}

  Status List(ServerContext* ctx, const pb::ListCountersRequest* req, pb::ListCountersResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "stats"); !s.ok()) return s;
    // Copy on the worker (a few hundred bytes), format here.
    auto snap = c_.queue->call([](stack::Stack& s, Instant) { return std::make_pair(s.counters(), s.drops()); },
                               c_.timeout);
    if (!snap) return worker_gone();
    for (size_t i = 0; i < kCounterCount; ++i) {
      const uint64_t v = snap->first.v[i];
      if (v == 0 && !req->include_zero()) continue;
      auto* c = out->add_counters();
      c->set_name(std::string(counter_name(static_cast<Counter>(i))));
      c->set_value(v);
    }
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      const uint64_t v = snap->second.count[i];
      if (v == 0 && !req->include_zero()) continue;
      auto* c = out->add_drops();
      c->set_name(std::string(drop_reason_name(static_cast<DropReason>(i))));
      c->set_value(v);
    }
    return Status::OK;
  }

 private:
  ServiceContext& c_;
};

void add_errors(const std::vector<app::ConfigError>& errs,
                google::protobuf::RepeatedPtrField<pb::ConfigError>* out) {
  for (const auto& e : errs) {
    auto* o = out->Add();
    o->set_file(e.file);
    o->set_line(e.line);
    o->set_column(e.column);
    o->set_key(e.key);
    o->set_message(e.message);
    o->set_text(e.to_string());
  }
}

class ConfigService final : public pb::Config::Service {
 public:
  explicit ConfigService(ServiceContext& c) : c_(c) {}

  Status Show(ServerContext* ctx, const pb::ConfigShowRequest*, pb::ConfigShowResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "config show"); !s.ok()) return s;
    std::string file;
    {
      std::lock_guard lk(c_.config_mu);
      file = c_.config_text;
    }
    RunningConfig run;
    auto st = on_worker(c_, [&](stack::Stack& s, Instant) {
      for (const auto& i : s.interfaces()) {
        if (!i) continue;
        auto& v = run.addresses[i->name];
        for (const auto& p : i->addrs) v.push_back(p.to_string());
      }
      for (const auto& r : s.fib().list())
        if (!r.connected) run.routes.push_back(to_pb(s, r));
      s.link().neighbours().for_each([&](const l2::NeighInfo& n) {
        if (n.state == l2::NeighState::kPermanent) run.neighbours.push_back(to_pb(s, n));
      });
      list_rules(s, out->mutable_firewall());
      return Status::OK;
    });
    if (!st.ok()) return st;
    std::string err;
    auto text = running_config_text(file, c_.config_path, run, &err);
    if (!text) return {StatusCode::INTERNAL, fmt::format("{}: {}", c_.config_path, err)};
    out->set_path(c_.config_path);
    out->set_text(*text);
    out->set_file_text(file);
    return Status::OK;
  }

  Status Check(ServerContext* ctx, const pb::ConfigCheckRequest* req, pb::ConfigCheckResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kRead, "config check"); !s.ok()) return s;
    app::ConfigResult res;
    if (req->source_case() == pb::ConfigCheckRequest::kPath) {
      // Read by the daemon: only root may make it open files by name.
      if (auto s = c_.auth->check(*ctx, Access::kMutate, "config check by path"); !s.ok()) return s;
      res = app::load_config(req->path());
    } else {
      res = app::parse_config(req->text(), req->name().empty() ? "<request>" : req->name());
    }
    out->set_ok(res.ok());
    add_errors(res.errors, out->mutable_errors());
    return Status::OK;
  }

  Status Reload(ServerContext* ctx, const pb::ReloadRequest*, pb::ReloadResponse* out) override {
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "daemon reload"); !s.ok()) return s;
    // CALL POINT for the daemon's reload (app/reload.*): the lead wires
    // ServiceContext::reload in main.cc at merge time.
    if (!c_.reload) return {StatusCode::UNIMPLEMENTED, "reload is not wired into this stackd build"};
    ReloadOutcome r = c_.reload();
    out->set_ok(r.ok);
    out->set_message(r.message);
    for (const auto& e : r.errors) out->add_errors()->set_text(e);
    return Status::OK;
  }

 private:
  ServiceContext& c_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_connections_service(ServiceContext& c) {
  return std::make_unique<ConnectionsService>(c);
}
std::unique_ptr<grpc::Service> make_counters_service(ServiceContext& c) {
  return std::make_unique<CountersService>(c);
}
std::unique_ptr<grpc::Service> make_config_service(ServiceContext& c) {
  return std::make_unique<ConfigService>(c);
}

}  // namespace stackd::control
