// stackd: read the config, open a device per interface, bring the stack
// up on them and run the dataplane worker until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/device_factory.h"
#include "app/log.h"
#include "app/loop_source.h"
#include "app/notify.h"
#include "app/reload.h"
#include "app/runtime.h"
#include "app/secrets.h"
#include "app/stack_worker.h"
#include "control/server.h"
#include "ipc/attach_server.h"
#include "stack/stack.h"

namespace stackd::app {
namespace {

int run_daemon(const Config& cfg, const std::string& config_path) {
  // Devices outlive the stack that refers to them (declared first,
  // destroyed last); destroying an AF_XDP device detaches its program.
  std::vector<OpenedDevice> devices;
  for (const auto& ic : cfg.stack.interfaces) {
    auto r = open_device(ic, cfg.daemon);
    if (auto* msg = std::get_if<std::string>(&r)) {
      log::error({{"STACKD_INTERFACE", ic.name}}, "interface {}: {}", ic.name, *msg);
      return 1;
    }
    devices.push_back(std::move(std::get<OpenedDevice>(r)));
  }

  // Fresh TCP secrets (ISNs, ports, SYN cookies) at every start.
  stack::StackConfig stack_cfg = cfg.stack;
  stack::TcpSecrets secrets;
  if (std::string err; !fill_tcp_secrets(secrets, &err)) {
    log::error("tcp secrets: {}", err);
    return 1;
  }
  stack_cfg.tcp.secrets = secrets;
  stack::Stack stack(stack_cfg);
  // Duplicate address detection (RFC 4862) runs in the stack core, which
  // does not log: its outcome is logged here.
  stack.set_ipv6_addr_hook([](const l2::Interface& i, const Ipv6Addr& a, l2::Ipv6AddrState s,
                              Instant) {
    if (s == l2::Ipv6AddrState::kDuplicate)
      log::error("interface {}: duplicate address {} detected (RFC 4862 DAD): another node on "
                 "the link uses it; stackd will not use it",
                 i.name, a.to_string());
    else
      log::info("interface {}: IPv6 address {} ready (duplicate address detection passed)",
                i.name, a.to_string());
  });
  std::vector<int> wait_fds;
  for (size_t i = 0; i < devices.size(); ++i) {
    uint16_t index = stack.attach(i, *devices[i].device, monotonic_now());
    const auto& ic = cfg.stack.interfaces[i];
    MacAddr mac = ic.mac.value_or(devices[i].device->info().mac);
    uint32_t mtu = ic.mtu;
    for (const auto& ifp : stack.interfaces()) {
      if (ifp && ifp->index == index) {
        mac = ifp->mac;
        mtu = ifp->mtu;
      }
    }
    log::info({{"STACKD_INTERFACE", ic.name}}, "interface {}: {} mac {} mtu {} addr {}", ic.name, devices[i].description,
              mac.to_string(), mtu, format_addrs(ic.addrs));
    wait_fds.push_back(devices[i].device->wait_fd());
  }

  // Work the worker serves in the same loop besides the NICs (LoopSource):
  // client attach and rings, control-plane commands, the service manager's
  // watchdog and status (app/notify.h). Created after the stack, destroyed
  // before it.
  StackWorker worker(stack);
  auto notifier = Notifier::from_env();
  Heartbeats beats(1);
  std::vector<std::unique_ptr<LoopSource>> sources;
  if (notifier)
    sources.push_back(std::make_unique<NotifySource>(
        *notifier, beats, 0, [&worker](Instant t) { return worker.status(t); }, monotonic_now()));
  // [attach]: the client attach listener and the clients' sockets (daemon/ipc).
  const session::SessionTable* sessions = nullptr;  // for the control plane's `conn -p`
  if (cfg.attach.enabled) {
    std::string ipc_err;
    auto ipc = ipc::AttachServer::create(stack, cfg.attach, &ipc_err);
    if (!ipc) {
      log::error("attach: {}", ipc_err);
      return 1;
    }
    sessions = &ipc->table();
    sources.push_back(std::move(ipc));
  }
  for (auto& src : sources) {
    worker.add_source(src.get());
    for (int fd : src->wait_fds()) wait_fds.push_back(fd);
  }

  // ---- [control]: the gRPC control plane (daemon/control/). Its command
  // queue is a LoopSource; gRPC serves on its own threads.
  std::unique_ptr<control::ControlServer> ctl;
  if (cfg.control.enabled) {
    std::ifstream in(config_path);
    std::stringstream text;
    text << in.rdbuf();
    ctl = std::make_unique<control::ControlServer>(stack, cfg.control, config_path, text.str());
    ctl->set_sessions(sessions);
    // Config.Reload runs the same reload as SIGHUP (app/reload.h), on the
    // worker's thread through the command queue.
    ctl->set_reload_hook([&worker, c = ctl.get()]() {
      control::ReloadOutcome out;
      auto r = c->queue().call(
          [&worker](stack::Stack&, Instant now) { return worker.reload_config(now); });
      if (!r) {
        out.message = "stackd: the dataplane worker did not answer (stopping or stalled)";
        return out;
      }
      out.ok = r->ok;
      out.message = r->summary();
      for (const auto& e : r->errors) out.errors.push_back(e.to_string());
      return out;
    });
    if (std::string cerr; !ctl->start(&cerr)) {
      if (cfg.control.configured) {
        log::error("control: {}", cerr);
        return 1;
      }
      log::warn("control: {}; running without the control API (configure [control])", cerr);
      ctl.reset();
    } else {
      worker.add_source(&ctl->queue());
      for (int fd : ctl->queue().wait_fds()) wait_fds.push_back(fd);
      log::info("control: listening on {}", ctl->socket_path());
      if (!ctl->metrics_listen().empty())
        log::info("control: Prometheus metrics on http://{}/metrics", ctl->metrics_listen());
    }
  }
  // ---- end [control]
  std::string err;
  auto rt = Runtime::create(worker, wait_fds, Duration::micros(cfg.daemon.busy_poll_us), &err);
  if (!rt) {
    log::error("runtime: {}", err);
    return 1;
  }
  rt->set_test_stall(Runtime::test_stall_from_env());
  // SIGHUP (and the control plane's Config.Reload) re-read the file: app/reload.h.
  ReloadContext reload_ctx{config_path, cfg, stack, notifier.get(),
                           [&rt](uint32_t us) { rt->set_busy_poll(Duration::micros(us)); },
                           [&devices, &cfg](const std::string& name, const std::vector<IpPrefix>& v4) {
                             for (size_t i = 0; i < devices.size(); ++i)
                               if (cfg.stack.interfaces[i].name == name)
                                 return set_device_ipv4_addresses(*devices[i].device, v4);
                             return std::string("no such interface");
                           }};
  worker.set_reload([&reload_ctx, &ctl, &config_path](Instant now) {
    auto r = reload(reload_ctx, now);
    if (r.ok && ctl) {
      // `config show` renders the running state on the file as now loaded.
      std::ifstream in(config_path);
      std::stringstream text;
      text << in.rdbuf();
      ctl->set_config_text(text.str());
    }
    return r;
  });
  log::info("stackd {} running: {} interface(s), {} route(s), {} service(s), busy-poll {} us",
            STACKD_VERSION, devices.size(), cfg.stack.routes.size(), cfg.stack.services.size(),
            cfg.daemon.busy_poll_us);
  if (notifier) notifier->ready(worker.status(monotonic_now()));
  rt->run();
  if (notifier) notifier->stopping();
  worker.report();
  if (ctl) ctl->stop();  // before the stack and the worker go away
  rt.reset();
  sources.clear();
  log::info("stopped");
  return 0;
}

}  // namespace
}  // namespace stackd::app

int main(int argc, char** argv) {
  using namespace stackd::app;
  // Before anything could start a thread: every thread inherits the mask,
  // and the runtime reads these signals from its signalfd.
  block_signals();
  // systemd's journal stream on stderr: log natively, with fields.
  log::use_journal_if_stderr();

  CLI::App cli{"stackd: user-space TCP/IP stack daemon"};
  std::string config_path = "/etc/stackd/stackd.toml";
  bool check_only = false;
  std::string level_arg;
  cli.add_option("-c,--config", config_path, "configuration file (TOML)")->capture_default_str();
  cli.add_flag("--check-config", check_only, "validate the configuration, print \"config OK\" or the errors, exit");
  cli.add_option("-v,--log-level", level_arg, "log level, overrides [daemon] log_level")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  cli.set_version_flag("--version", "stackd " STACKD_VERSION);
  CLI11_PARSE(cli, argc, argv);

  auto res = load_config(config_path);
  if (!res.ok()) {
    std::string text;
    for (const auto& e : res.errors) text += e.to_string() + "\n";
    if (!check_only) text += fmt::format("stackd: {} error(s) in {}; not starting\n", res.errors.size(), config_path);
    log::raw(text);
    return 1;
  }
  if (check_only) {
    std::fputs("config OK\n", stdout);
    return 0;
  }
  Config cfg = std::move(res.config);
  log::set_level(level_arg.empty() ? cfg.daemon.log_level : *parse_log_level(level_arg));
  try {
    return run_daemon(cfg, config_path);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}
