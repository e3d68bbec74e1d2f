// What every service implementation shares: the command queue into the
// worker, the authorizer, the hooks the daemon wires, and helpers that run
// a command on the worker and turn "the worker did not answer" into
// UNAVAILABLE, and that poll snapshots into Watch event streams.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "control/command_queue.h"
#include "control/peer_auth.h"
#include "stack/stack.h"
#include "stackd/v1/stackd.grpc.pb.h"

namespace stackd::control {

class CaptureHub;

// Reload: re-read the config file and apply the difference (the daemon's
// reload code, app/reload.*, wires it). ok=false + errors: the old config
// stays in force.
struct ReloadOutcome {
  bool ok = false;
  std::string message;
  std::vector<std::string> errors;  // "file:line:col: key: message"
};
using ReloadHook = std::function<ReloadOutcome()>;

struct ServiceContext {
  CommandQueue* queue = nullptr;
  Authorizer* auth = nullptr;
  CaptureHub* capture = nullptr;
  std::string config_path;
  std::string config_text;  // as loaded at start
  ReloadHook reload;        // empty: not wired (Reload answers UNIMPLEMENTED)
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds watch_interval{200};
};

inline grpc::Status worker_gone() {
  return {grpc::StatusCode::UNAVAILABLE, "stackd: the dataplane worker did not answer (stopping or stalled)"};
}

// Run fn(stack, now) -> grpc::Status on the worker and wait for it.
template <typename F>
grpc::Status on_worker(ServiceContext& c, F fn) {
  auto r = c.queue->call(std::move(fn), c.timeout);
  return r ? *r : worker_gone();
}

// Server-streaming Watch: snapshot (on the worker) a map key -> message
// every watch_interval, write ADDED/CHANGED/REMOVED for the difference
// until the client cancels.
template <typename Msg, typename Event, typename SnapFn, typename SetFn>
grpc::Status watch_snapshots(ServiceContext& c, grpc::ServerContext* ctx, bool initial,
                             grpc::ServerWriter<Event>* w, SnapFn snap, SetFn set) {
  std::map<std::string, std::string> prev;  // key -> serialized message
  bool first = true;
  while (!ctx->IsCancelled()) {
    auto now = c.queue->call(snap, c.timeout);
    if (!now) return worker_gone();
    std::map<std::string, std::string> cur;
    for (const auto& [k, m] : *now) cur[k] = m.SerializeAsString();
    auto emit = [&](::stackd::v1::EventKind kind, const Msg& m) {
      Event e;
      e.set_kind(kind);
      set(e, m);
      return w->Write(e);
    };
    for (const auto& [k, m] : *now) {
      auto it = prev.find(k);
      bool ok = true;
      if (it == prev.end()) {
        if (!first || initial) ok = emit(::stackd::v1::EVENT_ADDED, m);
      } else if (it->second != cur[k]) {
        ok = emit(::stackd::v1::EVENT_CHANGED, m);
      }
      if (!ok) return grpc::Status::OK;  // the client went away
    }
    for (const auto& [k, bytes] : prev) {
      if (cur.count(k)) continue;
      Msg m;
      m.ParseFromString(bytes);
      if (!emit(::stackd::v1::EVENT_REMOVED, m)) return grpc::Status::OK;
    }
    prev = std::move(cur);
    first = false;
    std::this_thread::sleep_for(c.watch_interval);
  }
  return grpc::Status::OK;
}

// The services, each over the shared context (services_*.cc).
std::unique_ptr<grpc::Service> make_links_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_addresses_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_routes_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_neighbours_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_firewall_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_connections_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_counters_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_config_service(ServiceContext& c);
std::unique_ptr<grpc::Service> make_capture_service(ServiceContext& c);

}  // namespace stackd::control
