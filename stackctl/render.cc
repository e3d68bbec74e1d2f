#include "render.h"

#include <fmt/format.h>

#include "grammar.h"

namespace stackctl {

namespace {
// `ip addr`: "inet" or "inet6" by the address's family.
std::string_view inet(const std::string& prefix) {
  return prefix.find(':') == std::string::npos ? "inet" : "inet6";
}
}  // namespace

std::string render(const pb::Link& l) {
  const auto& s = l.stats();
  std::string o = fmt::format("{}: {}: <{}> mtu {}\n    link/ether {}\n", l.index(), l.name(),
                              l.up() ? "UP,LOWER_UP" : "DOWN", l.mtu(), l.mac());
  for (const auto& a : l.addresses()) o += fmt::format("    {} {}\n", inet(a), a);
  o += fmt::format("    RX:  bytes {} packets {} dropped {} mcast {}\n", s.rx_bytes(), s.rx_packets(),
                   s.rx_dropped(), s.rx_multicast());
  o += fmt::format("    TX:  bytes {} packets {} dropped {}\n", s.tx_bytes(), s.tx_packets(), s.tx_dropped());
  return o;
}

std::string render(const pb::ListLinksResponse& r) {
  std::string o;
  for (const auto& l : r.links()) o += render(l);
  return o;
}

std::string render(const pb::ListAddressesResponse& r) {
  std::string o;
  for (const auto& a : r.addresses())
    o += fmt::format("{}: {} {}{}\n", a.dev(), inet(a.prefix()), a.prefix(), a.flags().empty() ? "" : " " + a.flags());
  return o;
}

std::string render(const pb::Route& r) {
  std::string o = r.dst() == "0.0.0.0/0" || r.dst() == "::/0" ? "default" : r.dst();
  if (!r.via().empty()) o += " via " + r.via();
  if (!r.dev().empty()) o += " dev " + r.dev();
  if (r.connected()) o += " proto kernel scope link";
  if (r.metric() != 0) o += fmt::format(" metric {}", r.metric());
  if (r.mtu() != 0) o += fmt::format(" mtu {}", r.mtu());
  return o;
}

std::string render(const pb::ListRoutesResponse& r) {
  std::string o;
  for (const auto& x : r.routes()) o += render(x) + "\n";
  return o;
}

std::string render(const pb::Neighbour& n) {
  std::string o = n.addr() + " dev " + n.dev();
  if (!n.lladdr().empty()) o += " lladdr " + n.lladdr();
  return o + " " + n.state();
}

std::string render(const pb::ListNeighboursResponse& r) {
  std::string o;
  for (const auto& n : r.neighbours()) o += render(n) + "\n";
  return o;
}

std::string render(const pb::ListRulesResponse& r, bool handles) {
  std::string o;
  auto verdict = [](pb::Verdict v) { return v == pb::VERDICT_DROP ? "drop" : "accept"; };
  for (auto hook : {pb::HOOK_INPUT, pb::HOOK_OUTPUT}) {
    o += fmt::format("chain {} {{ policy {}\n", hook == pb::HOOK_INPUT ? "input" : "output",
                     verdict(hook == pb::HOOK_INPUT ? r.input_policy() : r.output_policy()));
    for (const auto& x : r.rules()) {
      if (x.hook() != hook) continue;
      std::string text = rule_text(x);
      // nft prints the counter before the verdict: keep the verdict last.
      auto sp = text.rfind(' ');
      std::string head = sp == std::string::npos ? "" : text.substr(0, sp) + " ";
      std::string verb = sp == std::string::npos ? text : text.substr(sp + 1);
      o += fmt::format("\t{}counter packets {} bytes {} {}", head, x.packets(), x.bytes(), verb);
      if (handles) o += fmt::format(" # handle {}", x.handle());
      o += "\n";
    }
    o += "}\n";
  }
  return o;
}

std::string render(const pb::Connection& c, bool info, bool ext, bool proc) {
  std::string o = fmt::format("{:<6}{:<11}{:>7} {:>7} {:<25} {:<25}", c.netid(), c.state(), c.recv_q(), c.send_q(),
                              c.local(), c.peer());
  // ss -p: the owner (no fd: stackd does not know the client's descriptor numbers).
  if (proc && c.pid() != 0) o += fmt::format(" users:((\"{}\",pid={}))", c.comm(), c.pid());
  if (ext) o += fmt::format("{} ino:{}", c.pid() != 0 ? fmt::format(" uid:{}", c.uid()) : "", c.index());
  o += "\n";
  if (info && c.has_tcp_info()) {
    const auto& i = c.tcp_info();
    o += fmt::format("\t {} {}wscale:{},{} rto:{} rtt:{:.3f}/{:.3f} mss:{} rcvmss:{} cwnd:{}", i.congestion(),
                     std::string(i.timestamps() ? "ts " : "") + (i.sack() ? "sack " : ""), i.snd_wscale(),
                     i.rcv_wscale(), i.rto_us() / 1000, i.rtt_us() / 1000.0, i.rttvar_us() / 1000.0, i.snd_mss(),
                     i.rcv_mss(), i.snd_cwnd());
    if (i.snd_ssthresh() < 0x7fffffffu) o += fmt::format(" ssthresh:{}", i.snd_ssthresh());
    o += fmt::format(" bytes_acked:{} bytes_received:{} segs_out:{} segs_in:{} snd_wnd:{} rcv_wnd:{}",
                     i.bytes_acked(), i.bytes_received(), i.segs_out(), i.segs_in(), i.snd_wnd(), i.rcv_wnd());
    if (i.unacked() != 0) o += fmt::format(" unacked:{}", i.unacked());
    if (i.reordering() > 3) o += fmt::format(" reordering:{}", i.reordering());  // as ss: when not 3
    o += fmt::format(" retrans:{}/{}\n", i.retransmits(), i.total_retrans());
  }
  return o;
}

std::string render(const pb::ListConnectionsResponse& r, bool info, bool ext, bool proc) {
  std::string o = fmt::format("{:<6}{:<11}{:>7} {:>7} {:<25} {:<25}\n", "Netid", "State", "Recv-Q", "Send-Q",
                              "Local Address:Port", "Peer Address:Port");
  for (const auto& c : r.connections()) o += render(c, info, ext, proc);
  return o;
}

std::string render(const pb::ListCountersResponse& r) {
  std::string o = "#stackd\n";
  for (const auto& c : r.counters()) o += fmt::format("{:<31} {:<15} {}\n", c.name(), c.value(), "0.0");
  if (r.drops_size() > 0) o += "#drops\n";
  for (const auto& c : r.drops()) o += fmt::format("{:<31} {}\n", c.name(), c.value());
  return o;
}

std::string render(const pb::ConfigShowResponse& r) {
  std::string o = r.text();
  const auto& fw = r.firewall();
  if (fw.rules_size() == 0 && fw.input_policy() == pb::VERDICT_ACCEPT && fw.output_policy() == pb::VERDICT_ACCEPT)
    return o;
  o += "\n# firewall (not part of the file; recreate with stackctl):\n";
  auto policy = [](pb::Verdict v) { return v == pb::VERDICT_DROP ? "drop" : "accept"; };
  o += fmt::format("#   stackctl fw policy input {}\n#   stackctl fw policy output {}\n", policy(fw.input_policy()),
                   policy(fw.output_policy()));
  for (const auto& x : fw.rules())
    o += fmt::format("#   stackctl fw add {} {}\n", x.hook() == pb::HOOK_OUTPUT ? "output" : "input", rule_text(x));
  return o;
}

}  // namespace stackctl
