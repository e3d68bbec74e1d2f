// stackctl: the operator's client of stackd's control plane (gRPC over the
// unix socket). Parses with grammar.h, calls one RPC, prints the answer as
// the familiar tool would (render.h) or as JSON (-j, json.h). Errors: one
// line on stderr (JSON under -j) and exit status 1 (2 for usage errors).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "grammar.h"
#include "json.h"
#include "render.h"
#include "stackd/v1/stackd.grpc.pb.h"

namespace stackctl {
namespace {

constexpr const char* kDefaultSocket = "/run/stackd/control.sock";

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    default: return "UNKNOWN";
  }
}

int error(bool json, const std::string& msg, const char* code = "USAGE", int rc = 1) {
  if (json) std::fprintf(stderr, "{\"error\":%s,\"code\":\"%s\"}\n", json_string(msg).c_str(), code);
  else std::fprintf(stderr, "stackctl: %s\n", msg.c_str());
  return rc;
}

class Client {
 public:
  Client(const Invocation& inv, std::shared_ptr<grpc::Channel> ch) : inv_(inv), ch_(std::move(ch)) {}

  int fail(const grpc::Status& s) {
    std::string msg = s.error_message();
    // UNAVAILABLE from the transport (no daemon, socket gone) vs from stackd
    // itself, whose messages start with "stackd: ".
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && msg.rfind("stackd: ", 0) != 0)
      msg = fmt::format("cannot reach stackd at {}: {}", socket(), msg);
    return error(inv_.json, msg, code_name(s.error_code()));
  }
  std::string socket() const { return inv_.socket.empty() ? kDefaultSocket : inv_.socket; }

  template <typename Msg, typename Render>
  int show(const grpc::Status& s, const Msg& m, Render r) {
    if (!s.ok()) return fail(s);
    std::fputs(inv_.json ? (to_json(m) + "\n").c_str() : r(m).c_str(), stdout);
    return 0;
  }
  int done(const grpc::Status& s) { return s.ok() ? 0 : fail(s); }

  std::unique_ptr<grpc::ClientContext> ctx(std::chrono::seconds deadline = std::chrono::seconds(15)) {
    auto c = std::make_unique<grpc::ClientContext>();
    if (deadline.count() > 0) c->set_deadline(std::chrono::system_clock::now() + deadline);
    return c;
  }

  int run();

 private:
  int stats();
  int capture();
  int monitor();
  int config_check();

  const Invocation& inv_;
  std::shared_ptr<grpc::Channel> ch_;
};

int Client::run() {
  switch (inv_.op) {
    case Op::kLinkList: {
      pb::ListLinksResponse r;
      auto s = pb::Links::NewStub(ch_)->List(ctx().get(), inv_.link_list, &r);
      return show(s, r, [](const auto& m) { return render(m); });
    }
    case Op::kLinkSet: {
      pb::Link r;
      return done(pb::Links::NewStub(ch_)->Set(ctx().get(), inv_.link_set, &r));
    }
    case Op::kAddrList: {
      pb::ListAddressesResponse r;
      auto s = pb::Addresses::NewStub(ch_)->List(ctx().get(), inv_.addr_list, &r);
      return show(s, r, [](const auto& m) { return render(m); });
    }
    case Op::kAddrAdd: {
      pb::Address r;
      return done(pb::Addresses::NewStub(ch_)->Create(ctx().get(), inv_.addr, &r));
    }
    case Op::kAddrDel: {
      pb::Empty r;
      return done(pb::Addresses::NewStub(ch_)->Delete(ctx().get(), inv_.addr, &r));
    }
    case Op::kRouteList: {
      pb::ListRoutesResponse r;
      auto s = pb::Routes::NewStub(ch_)->List(ctx().get(), inv_.route_list, &r);
      return show(s, r, [](const auto& m) { return render(m); });
    }
    case Op::kRouteAdd:
    case Op::kRouteReplace: {
      pb::Route r;
      auto stub = pb::Routes::NewStub(ch_);
      auto c = ctx();
      return done(inv_.op == Op::kRouteAdd ? stub->Create(c.get(), inv_.route, &r)
                                           : stub->Replace(c.get(), inv_.route, &r));
    }
    case Op::kRouteDel: {
      pb::Empty r;
      return done(pb::Routes::NewStub(ch_)->Delete(ctx().get(), inv_.route_del, &r));
    }
    case Op::kNeighList: {
      pb::ListNeighboursResponse r;
      auto s = pb::Neighbours::NewStub(ch_)->List(ctx().get(), inv_.neigh_list, &r);
      return show(s, r, [](const auto& m) { return render(m); });
    }
    case Op::kNeighAdd: {
      pb::Neighbour r;
      return done(pb::Neighbours::NewStub(ch_)->Create(ctx().get(), inv_.neigh, &r));
    }
    case Op::kNeighDel: {
      pb::Empty r;
      return done(pb::Neighbours::NewStub(ch_)->Delete(ctx().get(), inv_.neigh_del, &r));
    }
    case Op::kNeighFlush: {
      pb::FlushNeighboursResponse r;
      return done(pb::Neighbours::NewStub(ch_)->Flush(ctx().get(), inv_.neigh_flush, &r));
    }
    case Op::kFwList: {
      pb::ListRulesResponse r;
      auto s = pb::Firewall::NewStub(ch_)->List(ctx().get(), {}, &r);
      return show(s, r, [&](const auto& m) { return render(m, inv_.fw_handles); });
    }
    case Op::kFwAdd: {
      pb::Rule r;
      auto s = pb::Firewall::NewStub(ch_)->Create(ctx().get(), inv_.fw_add, &r);
      if (!s.ok()) return fail(s);
      // The handle, as `nft --echo --handle` would show it.
      if (inv_.json) std::printf("%s\n", to_json(r).c_str());
      else std::printf("handle %llu\n", static_cast<unsigned long long>(r.handle()));
      return 0;
    }
    case Op::kFwDelete: {
      pb::Empty r;
      return done(pb::Firewall::NewStub(ch_)->Delete(ctx().get(), inv_.fw_del, &r));
    }
    case Op::kFwPolicy: {
      pb::Empty r;
      return done(pb::Firewall::NewStub(ch_)->SetPolicy(ctx().get(), inv_.fw_policy, &r));
    }
    case Op::kFwFlush: {
      pb::ReplaceRulesResponse r;
      pb::ReplaceRulesRequest q;  // empty set, accept policies: `nft flush ruleset`
      return done(pb::Firewall::NewStub(ch_)->Replace(ctx().get(), q, &r));
    }
    case Op::kConnList: {
      pb::ListConnectionsResponse r;
      auto s = pb::Connections::NewStub(ch_)->List(ctx().get(), inv_.conn, &r);
      return show(s, r, [&](const auto& m) { return render(m, inv_.conn_info, inv_.conn_ext, inv_.conn_proc); });
    }
    case Op::kStats: return stats();
    case Op::kCapture: return capture();
    case Op::kMonitor: return monitor();
    case Op::kConfigShow: {
      pb::ConfigShowResponse r;
      auto s = pb::Config::NewStub(ch_)->Show(ctx().get(), {}, &r);
      return show(s, r, [](const auto& m) { return render(m); });
    }
    case Op::kConfigCheck: return config_check();
    case Op::kDaemonReload: {
      pb::ReloadResponse r;
      auto s = pb::Config::NewStub(ch_)->Reload(ctx(std::chrono::seconds(60)).get(), {}, &r);
      if (!s.ok()) return fail(s);
      if (inv_.json) std::printf("%s\n", to_json(r).c_str());
      else if (!r.ok()) for (const auto& e : r.errors()) std::fprintf(stderr, "%s\n", e.text().c_str());
      if (!r.ok()) return error(inv_.json, "reload failed: " + r.message() + " (the old config stays)", "FAILED");
      return 0;
    }
    case Op::kHelp: std::fputs(usage().c_str(), stdout); return 0;
  }
  return 0;
}

int Client::config_check() {
  // Read here, with the caller's rights; the daemon only parses.
  std::ifstream in(inv_.config_file);
  if (!in) return error(inv_.json, fmt::format("cannot read {}", inv_.config_file));
  std::stringstream text;
  text << in.rdbuf();
  pb::ConfigCheckRequest q;
  q.set_text(text.str());
  q.set_name(inv_.config_file);
  pb::ConfigCheckResponse r;
  auto s = pb::Config::NewStub(ch_)->Check(ctx().get(), q, &r);
  if (!s.ok()) return fail(s);
  if (inv_.json) {
    std::printf("%s\n", to_json(r).c_str());
  } else if (r.ok()) {
    std::puts("config OK");
  } else {
    for (const auto& e : r.errors()) std::fprintf(stderr, "%s\n", e.text().c_str());
  }
  return r.ok() ? 0 : 1;
}

int Client::stats() {
  auto stub = pb::Counters::NewStub(ch_);
  pb::ListCountersRequest q = inv_.stats;
  if (inv_.watch_interval > 0) q.set_include_zero(true);  // deltas need every counter
  pb::ListCountersResponse r;
  auto s = stub->List(ctx().get(), q, &r);
  if (!s.ok()) return fail(s);
  if (inv_.watch_interval <= 0)
    return show(s, r, [](const auto& m) { return render(m); });
  // --watch: every interval, the counters that moved (nstat's deltas).
  std::map<std::string, uint64_t> prev;
  for (const auto& c : r.counters()) prev[c.name()] = c.value();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::duration<double>(inv_.watch_interval));
    pb::ListCountersResponse now, delta;
    s = stub->List(ctx().get(), q, &now);
    if (!s.ok()) return fail(s);
    for (const auto& c : now.counters()) {
      uint64_t d = c.value() - prev[c.name()];
      prev[c.name()] = c.value();
      if (d == 0 && !inv_.stats.include_zero()) continue;
      auto* o = delta.add_counters();
      o->set_name(c.name());
      o->set_value(d);
    }
    std::fputs(inv_.json ? (to_json(delta) + "\n").c_str() : render(delta).c_str(), stdout);
    std::fflush(stdout);
  }
}

// pcap with nanosecond timestamps (magic a1b23c4d), as tcpdump -w writes.
void put32(std::FILE* f, uint32_t v) { std::fwrite(&v, 4, 1, f); }

int Client::capture() {
  grpc::ClientContext c;
  auto reader = pb::Capture::NewStub(ch_)->Start(&c, inv_.capture);
  std::FILE* out = nullptr;
  bool to_stdout = inv_.capture_file == "-";
  if (!inv_.capture_file.empty()) {
    out = to_stdout ? stdout : std::fopen(inv_.capture_file.c_str(), "wb");
    if (out == nullptr) return error(inv_.json, fmt::format("cannot write {}", inv_.capture_file));
  }
  pb::CaptureRecord rec;
  bool header = false;
  uint64_t n = 0;
  while (reader->Read(&rec)) {
    if (!header) {
      header = true;
      if (out != nullptr) {
        put32(out, 0xa1b23c4d);
        uint16_t ver[2] = {2, 4};
        std::fwrite(ver, 2, 2, out);
        put32(out, 0);
        put32(out, 0);
        put32(out, rec.snaplen());
        put32(out, rec.link_type());
        std::fflush(out);
      }
      continue;
    }
    ++n;
    if (out != nullptr) {
      put32(out, static_cast<uint32_t>(rec.ts_ns() / 1'000'000'000));
      put32(out, static_cast<uint32_t>(rec.ts_ns() % 1'000'000'000));
      put32(out, static_cast<uint32_t>(rec.data().size()));
      put32(out, rec.orig_len());
      std::fwrite(rec.data().data(), 1, rec.data().size(), out);
      std::fflush(out);
    } else if (inv_.json) {
      std::printf("%s\n", to_json(rec).c_str());
      std::fflush(stdout);
    } else {
      std::printf("%llu.%09llu %s %s length %u\n", static_cast<unsigned long long>(rec.ts_ns() / 1'000'000'000),
                  static_cast<unsigned long long>(rec.ts_ns() % 1'000'000'000), rec.dev().c_str(),
                  rec.outgoing() ? "Out" : "In", rec.orig_len());
      std::fflush(stdout);
    }
  }
  auto s = reader->Finish();
  if (out != nullptr && !to_stdout) std::fclose(out);
  if (!s.ok()) return fail(s);
  if (!to_stdout) std::fprintf(stderr, "%llu packets captured\n", static_cast<unsigned long long>(n));
  return 0;
}

int Client::monitor() {
  std::mutex mu;
  int rc = 0;
  auto kind_prefix = [](pb::EventKind k) { return k == pb::EVENT_REMOVED ? "Deleted " : ""; };
  auto emit = [&](const std::string& tag, const google::protobuf::Message& ev, pb::EventKind k,
                  const std::string& text) {
    std::lock_guard<std::mutex> g(mu);
    if (inv_.json) std::printf("{\"object\":\"%s\",\"event\":%s}\n", tag.c_str(), to_json(ev).c_str());
    else std::printf("[%s] %s%s\n", tag.c_str(), kind_prefix(k), text.c_str());
    std::fflush(stdout);
  };
  auto watch = [&](const std::string& what) {
    grpc::ClientContext c;
    pb::WatchRequest q;
    grpc::Status s;
    if (what == "route") {
      auto rd = pb::Routes::NewStub(ch_)->Watch(&c, q);
      for (pb::RouteEvent e; rd->Read(&e);) emit("ROUTE", e, e.kind(), render(e.route()));
      s = rd->Finish();
    } else if (what == "neigh") {
      auto rd = pb::Neighbours::NewStub(ch_)->Watch(&c, q);
      for (pb::NeighbourEvent e; rd->Read(&e);) emit("NEIGH", e, e.kind(), render(e.neighbour()));
      s = rd->Finish();
    } else if (what == "link") {
      auto rd = pb::Links::NewStub(ch_)->Watch(&c, q);
      for (pb::LinkEvent e; rd->Read(&e);) {
        const auto& l = e.link();
        emit("LINK", e, e.kind(), fmt::format("{}: {}: <{}> mtu {}", l.index(), l.name(), l.up() ? "UP" : "DOWN", l.mtu()));
      }
      s = rd->Finish();
    } else {
      auto rd = pb::Connections::NewStub(ch_)->Watch(&c, q);
      for (pb::ConnectionEvent e; rd->Read(&e);) {
        std::string line = render(e.connection(), false, false);
        line.pop_back();
        emit("CONN", e, e.kind(), line);
      }
      s = rd->Finish();
    }
    std::lock_guard<std::mutex> g(mu);
    if (!s.ok()) rc = fail(s);
  };
  std::vector<std::thread> threads;
  for (const auto& w : inv_.monitor) threads.emplace_back(watch, w);
  for (auto& t : threads) t.join();
  return rc;
}

}  // namespace
}  // namespace stackctl

int main(int argc, char** argv) {
  using namespace stackctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string err;
  auto inv = parse(args, &err);
  if (!inv) {
    bool json = false;  // -j among the global options: the usage error as JSON too
    for (size_t i = 0; i < args.size() && !args[i].empty() && args[i][0] == '-'; ++i) {
      json |= args[i] == "-j" || args[i] == "--json";
      if (args[i] == "-s" || args[i] == "--socket") ++i;
    }
    return error(json, err, "USAGE", 2);
  }
  if (inv->op == Op::kHelp) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (inv->socket.empty())
    if (const char* env = std::getenv("STACKCTL_SOCKET")) inv->socket = env;
  const std::string path = inv->socket.empty() ? kDefaultSocket : inv->socket;
  grpc::ChannelArguments ca;
  auto ch = grpc::CreateCustomChannel("unix:" + path, grpc::InsecureChannelCredentials(), ca);
  Client c(*inv, ch);
  return c.run();
}
