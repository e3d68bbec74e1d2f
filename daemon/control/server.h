// ControlServer: the gRPC control plane of one stackd. Owns the command
// queue (a LoopSource the worker serves), the services, the unix-socket
// listener with peer credentials, the optional loopback TCP port (health
// only), grpc.health.v1 and server reflection. gRPC runs its own threads;
// the stack is touched only through the command queue.
//
//   ControlServer ctl(stack, cfg.control, path, text);
//   ctl.start(&err);  worker.add_source(&ctl.queue());  ... rt->run();  ctl.stop();
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "app/config.h"
#include "control/capture.h"
#include "control/command_queue.h"
#include "control/metrics_http.h"
#include "control/peer_auth.h"
#include "control/service_common.h"

namespace stackd::control {

class ControlServer {
 public:
  ControlServer(stack::Stack& stack, const app::ControlConfig& cfg, std::string config_path,
                std::string config_text);
  ~ControlServer();

  // Listen and serve; false + *err when the socket or port cannot be used.
  bool start(std::string* err);
  // Stop serving (cancels streams) and close the socket. Idempotent. Call
  // once the worker stopped polling: calls still waiting for it give up
  // at once (UNAVAILABLE).
  void stop();

  CommandQueue& queue() { return queue_; }
  // CALL POINT: the daemon's reload (app/reload.*) plugs in here.
  void set_reload_hook(ReloadHook h) { ctx_.reload = std::move(h); }
  // After a successful reload (SIGHUP or Config.Reload): the file's new
  // text, the base `config show` renders the running state on.
  void set_config_text(std::string text) {
    std::lock_guard lk(ctx_.config_mu);
    ctx_.config_text = std::move(text);
  }
  // The attached clients' sockets, for `conn -p` (set before start()).
  void set_sessions(const session::SessionTable* t) { ctx_.sessions = t; }
  const std::string& socket_path() const { return cfg_.socket; }
  // The metrics address when [control] metrics_listen is set ("" otherwise).
  const std::string& metrics_listen() const { return cfg_.metrics_listen; }

 private:
  app::ControlConfig cfg_;
  CommandQueue queue_;
  Authorizer auth_;
  CaptureHub capture_;
  ServiceContext ctx_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  UnixListener listener_;
  MetricsHttp metrics_;  // [control] metrics_listen
  bool stopped_ = false;
};

}  // namespace stackd::control
