// What every service implementation shares: the command queue into the
// worker, the authorizer, the hooks the daemon wires, and helpers that run
// a command on the worker and turn "the worker did not answer" into
// UNAVAILABLE, and that poll snapshots into Watch event streams.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <vector>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "control/command_queue.h"
#include "control/peer_auth.h"
#include "stack/stack.h"
#include "stackd/v1/stackd.grpc.pb.h"

namespace stackd::session {
class SessionTable;
}

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

// Changes made through the API, logged on the worker as they are applied,
// so a Watch stream reports them even when they are undone before its next
// snapshot. Worker-thread only (touched inside commands): no lock.
struct ChangeLog {
  enum class Topic : uint8_t { kRoute, kNeigh, kLink };
  struct Entry {
    uint64_t seq;
    Topic topic;
    ::stackd::v1::EventKind kind;
    std::string key;    // the Watch snapshot's key for the object
    std::string bytes;  // the message as the snapshot serializes it
  };
  void add(Topic t, ::stackd::v1::EventKind k, std::string key, const google::protobuf::Message& m) {
    entries.push_back({next++, t, k, std::move(key), m.SerializeAsString()});
    if (entries.size() > kMax) entries.pop_front();  // a watcher this far behind relies on its snapshot
  }
  std::deque<Entry> entries;
  uint64_t next = 1;
  static constexpr size_t kMax = 4096;
};

// Watch keys and the fields a Watch ignores (they move without news).
inline std::string watch_key(const ::stackd::v1::Route& r) { return r.dst() + " " + std::to_string(r.metric()); }
inline std::string watch_key(const ::stackd::v1::Neighbour& n) { return n.dev() + " " + n.addr(); }
inline std::string watch_key(const ::stackd::v1::Link& l) { return l.name(); }
inline ::stackd::v1::Neighbour watch_view(::stackd::v1::Neighbour n) {
  n.clear_probes();
  n.clear_pending();
  return n;
}
inline ::stackd::v1::Link watch_view(::stackd::v1::Link l) {
  l.clear_stats();
  return l;
}

struct ServiceContext {
  CommandQueue* queue = nullptr;
  Authorizer* auth = nullptr;
  CaptureHub* capture = nullptr;
  std::string config_path;
  // The file as last loaded (start, then each successful reload): the base
  // of Config.Show. Written by the reload's thread, read by RPC threads.
  std::string config_text;
  std::mutex config_mu;
  ReloadHook reload;        // empty: not wired (Reload answers UNIMPLEMENTED)
  // The clients' sockets (daemon/session), for the owners of connections;
  // null without [attach]. Read on the worker's thread only.
  const session::SessionTable* sessions = nullptr;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds watch_interval{200};
  ChangeLog changes;  // worker-thread only
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

// Server-streaming Watch: every watch_interval, on the worker, take a
// snapshot (key -> message) and the API changes logged for `topic` since
// the last one; write the logged changes in order, then ADDED/CHANGED/
// REMOVED for whatever else differs from the previous snapshot (changes
// the dataplane made itself: neighbour states, connections). Until the
// client cancels.
template <typename Msg, typename Event, typename SnapFn, typename SetFn>
grpc::Status watch_snapshots(ServiceContext& c, grpc::ServerContext* ctx, bool initial,
                             grpc::ServerWriter<Event>* w, std::optional<ChangeLog::Topic> topic, SnapFn snap,
                             SetFn set) {
  using Map = std::map<std::string, Msg>;
  struct Tick {
    Map now;
    std::vector<ChangeLog::Entry> changes;
  };
  std::map<std::string, std::string> prev;  // key -> serialized message
  bool first = true;
  uint64_t cursor = 0;  // 0: start at the log's end
  auto emit = [&](::stackd::v1::EventKind kind, const Msg& m) {
    Event e;
    e.set_kind(kind);
    set(e, m);
    return w->Write(e);
  };
  while (!ctx->IsCancelled()) {
    auto tick = c.queue->call(
        [&](stack::Stack& s, Instant now) {
          Tick t{snap(s, now), {}};
          if (topic && cursor != 0)
            for (const auto& e : c.changes.entries)
              if (e.seq >= cursor && e.topic == *topic) t.changes.push_back(e);
          cursor = c.changes.next;
          return t;
        },
        c.timeout);
    if (!tick) return worker_gone();
    for (const auto& e : tick->changes) {
      Msg m;
      m.ParseFromString(e.bytes);
      if (!emit(e.kind, m)) return grpc::Status::OK;  // the client went away
      if (e.kind == ::stackd::v1::EVENT_REMOVED) prev.erase(e.key);
      else prev[e.key] = e.bytes;
    }
    std::map<std::string, std::string> cur;
    for (const auto& [k, m] : tick->now) cur[k] = m.SerializeAsString();
    for (const auto& [k, m] : tick->now) {
      auto it = prev.find(k);
      bool ok = true;
      if (it == prev.end()) {
        if (!first || initial) ok = emit(::stackd::v1::EVENT_ADDED, m);
      } else if (it->second != cur[k]) {
        ok = emit(::stackd::v1::EVENT_CHANGED, m);
      }
      if (!ok) return grpc::Status::OK;
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
