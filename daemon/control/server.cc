#include "control/server.h"

#include "control/metrics.h"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

namespace stackd::control {

ControlServer::ControlServer(stack::Stack& stack, const app::ControlConfig& cfg, std::string config_path,
                             std::string config_text)
    : cfg_(cfg), queue_(&stack), auth_(group_id(cfg.admin_group)) {
  ctx_.queue = &queue_;
  ctx_.auth = &auth_;
  ctx_.capture = &capture_;
  ctx_.config_path = std::move(config_path);
  ctx_.config_text = std::move(config_text);
}

ControlServer::~ControlServer() { stop(); }

bool ControlServer::start(std::string* err) {
  if (!cfg_.admin_group.empty() && !group_id(cfg_.admin_group)) {
    *err = fmt::format("control.admin_group \"{}\" does not exist", cfg_.admin_group);
    return false;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder b;
  int tcp_port = 0;
  if (cfg_.tcp_port != 0)
    b.AddListeningPort(fmt::format("127.0.0.1:{}", cfg_.tcp_port), grpc::InsecureServerCredentials(), &tcp_port);
  for (auto make : {make_links_service, make_addresses_service, make_routes_service, make_neighbours_service,
                    make_firewall_service, make_connections_service, make_counters_service,
                    make_config_service, make_capture_service}) {
    services_.push_back(make(ctx_));
    b.RegisterService(services_.back().get());
  }
  server_ = b.BuildAndStart();
  if (!server_ || (cfg_.tcp_port != 0 && tcp_port == 0)) {
    *err = cfg_.tcp_port != 0 ? fmt::format("cannot listen on 127.0.0.1:{}", cfg_.tcp_port)
                              : std::string("gRPC server did not start");
    server_.reset();
    return false;
  }
  if (!listener_.open(cfg_.socket, cfg_.group, err)) {
    server_->Shutdown();
    server_.reset();
    return false;
  }
  listener_.start(server_.get(), &auth_);
  if (!cfg_.metrics_listen.empty()) {
    // GET /metrics: a snapshot copied on the worker (a few KiB), rendered here.
    auto body = [this]() -> std::optional<std::string> {
      auto snap = queue_.call([this](stack::Stack& s, Instant) { return take_metrics(s, ctx_.sessions); },
                              ctx_.timeout);
      if (!snap) return std::nullopt;
      return render_metrics(*snap);
    };
    if (!metrics_.start(cfg_.metrics_listen, body, err)) {
      stop();
      return false;
    }
  }
  return true;
}

void ControlServer::stop() {
  if (stopped_ || !server_) return;
  stopped_ = true;
  queue_.close();  // the worker has stopped or is about to: nothing waits for it
  listener_.stop();
  metrics_.stop();
  // Streams (Watch, Capture) poll IsCancelled(); a deadline bounds the rest.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
}

}  // namespace stackd::control
