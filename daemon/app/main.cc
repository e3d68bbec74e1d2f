// stackd: read the config, open a device per interface, bring the stack
// up on them and run the dataplane worker until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/device_factory.h"
#include "app/log.h"
#include "app/loop_source.h"
#include "app/runtime.h"
#include "app/secrets.h"
#include "app/stack_worker.h"
#include "ipc/attach_server.h"
#include "stack/stack.h"

namespace stackd::app {
namespace {

std::string join_addrs(const std::vector<IpPrefix>& addrs) {
  std::string out;
  for (const auto& a : addrs) {
    if (!out.empty()) out += ",";
    out += a.to_string();
  }
  return out.empty() ? "none" : out;
}

int run_daemon(const Config& cfg) {
  // Devices outlive the stack that refers to them (declared first,
  // destroyed last); destroying an AF_XDP device detaches its program.
  std::vector<OpenedDevice> devices;
  for (const auto& ic : cfg.stack.interfaces) {
    auto r = open_device(ic, cfg.daemon);
    if (auto* msg = std::get_if<std::string>(&r)) {
      log::error("interface {}: {}", ic.name, *msg);
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
    log::info("interface {}: {} mac {} mtu {} addr {}", ic.name, devices[i].description,
              mac.to_string(), mtu, join_addrs(ic.addrs));
    wait_fds.push_back(devices[i].device->wait_fd());
  }

  // Work the worker serves in the same loop besides the NICs (LoopSource):
  // client attach and rings, control-plane commands. Created after the
  // stack, destroyed before it.
  std::vector<std::unique_ptr<LoopSource>> sources;
  // [attach]: the client attach listener and the clients' sockets (daemon/ipc).
  if (cfg.attach.enabled) {
    std::string ipc_err;
    auto ipc = ipc::AttachServer::create(stack, cfg.attach, &ipc_err);
    if (!ipc) {
      log::error("attach: {}", ipc_err);
      return 1;
    }
    sources.push_back(std::move(ipc));
  }
  StackWorker worker(stack);
  for (auto& src : sources) {
    worker.add_source(src.get());
    for (int fd : src->wait_fds()) wait_fds.push_back(fd);
  }
  std::string err;
  auto rt = Runtime::create(worker, wait_fds, Duration::micros(cfg.daemon.busy_poll_us), &err);
  if (!rt) {
    log::error("runtime: {}", err);
    return 1;
  }
  log::info("stackd {} running: {} interface(s), {} route(s), {} service(s), busy-poll {} us",
            STACKD_VERSION, devices.size(), cfg.stack.routes.size(), cfg.stack.services.size(),
            cfg.daemon.busy_poll_us);
  rt->run();
  worker.report();
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
    return run_daemon(cfg);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}
