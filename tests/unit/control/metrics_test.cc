// /metrics: node_exporter's netstat names under stackd_, counters vs
// gauges, drop reasons and interfaces as labels, and the HTTP/1.1 replies
// (200 with the exposition content type, HEAD, 404, 405, 400, 503).
#include "control/metrics.h"

#include <gtest/gtest.h>

#include "control/metrics_http.h"

namespace stackd::control {
namespace {

TEST(Metrics, NetstatNamesAsNodeExporter) {
  EXPECT_EQ(netstat_metric_name("TcpRetransSegs"), "stackd_netstat_Tcp_RetransSegs");
  EXPECT_EQ(netstat_metric_name("TcpExtSyncookiesSent"), "stackd_netstat_TcpExt_SyncookiesSent");
  EXPECT_EQ(netstat_metric_name("IpExtInOctets"), "stackd_netstat_IpExt_InOctets");
  EXPECT_EQ(netstat_metric_name("IpInReceives"), "stackd_netstat_Ip_InReceives");
  EXPECT_EQ(netstat_metric_name("Ip6InReceives"), "stackd_netstat_Ip6_InReceives");
  EXPECT_EQ(netstat_metric_name("IcmpInEchos"), "stackd_netstat_Icmp_InEchos");
  EXPECT_EQ(netstat_metric_name("Icmp6InEchos"), "stackd_netstat_Icmp6_InEchos");
  EXPECT_EQ(netstat_metric_name("Udp6InDatagrams"), "stackd_netstat_Udp6_InDatagrams");
  EXPECT_EQ(netstat_metric_name("UdpNoPorts"), "stackd_netstat_Udp_NoPorts");
}

TEST(Metrics, RenderedExposition) {
  MetricsSnapshot s;
  s.counters.inc(Counter::TcpRetransSegs, 7);
  s.counters.inc(Counter::TcpCurrEstab, 2);
  s.drops.drop(DropReason::kIpFirewall);
  s.gauges.set(Gauge::TcpTcbsInUse, 5);
  MetricsSnapshot::Link l;
  l.name = "veth0";
  l.up = true;
  l.mtu = 1500;
  l.stats.rx_bytes = 1234;
  l.stats.tx_packets = 9;
  s.links.push_back(l);
  const std::string o = render_metrics(s);
  EXPECT_NE(o.find("# TYPE stackd_netstat_Tcp_RetransSegs counter\nstackd_netstat_Tcp_RetransSegs 7\n"),
            std::string::npos);
  EXPECT_NE(o.find("# TYPE stackd_netstat_Tcp_CurrEstab gauge\nstackd_netstat_Tcp_CurrEstab 2\n"), std::string::npos);
  EXPECT_NE(o.find("stackd_drops_total{reason=\"" + std::string(drop_reason_name(DropReason::kIpFirewall)) + "\"} 1\n"),
            std::string::npos);
  EXPECT_NE(o.find("# TYPE stackd_TcpTcbsInUse gauge\nstackd_TcpTcbsInUse 5\n"), std::string::npos);
  EXPECT_NE(o.find("stackd_network_receive_bytes_total{device=\"veth0\"} 1234\n"), std::string::npos);
  EXPECT_NE(o.find("stackd_network_transmit_packets_total{device=\"veth0\"} 9\n"), std::string::npos);
  EXPECT_NE(o.find("stackd_network_up{device=\"veth0\"} 1\n"), std::string::npos);
  EXPECT_EQ(o.find("stackd_attach_clients"), std::string::npos);  // no [attach]
  // Every sample line is "name[{labels}] value"; every metric has one TYPE.
  size_t types = 0, pos = 0;
  while ((pos = o.find("# TYPE ", pos)) != std::string::npos) ++types, ++pos;
  EXPECT_EQ(types, kCounterCount + 1 + kGaugeCount + 9 + 1);
  EXPECT_EQ(o.back(), '\n');
}

TEST(MetricsHttp, Replies) {
  int calls = 0;
  MetricsBody body = [&]() -> std::optional<std::string> {
    ++calls;
    return std::string("x 1\n");
  };
  std::string r = http_reply("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", body);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_TRUE(r.ends_with("\r\n\r\nx 1\n"));
  EXPECT_TRUE(http_reply("GET /metrics?x=1 HTTP/1.0\r\n\r\n", body).starts_with("HTTP/1.1 200"));
  r = http_reply("HEAD /metrics HTTP/1.1\r\n\r\n", body);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(r.ends_with("\r\n\r\n"));
  EXPECT_TRUE(http_reply("GET / HTTP/1.1\r\n\r\n", body).starts_with("HTTP/1.1 404"));
  r = http_reply("POST /metrics HTTP/1.1\r\n\r\n", body);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 405"));
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos);
  EXPECT_TRUE(http_reply("garbage\r\n\r\n", body).starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(http_reply("GET /metrics SMTP\r\n\r\n", body).starts_with("HTTP/1.1 400"));
  EXPECT_EQ(calls, 3);  // only the 200s asked for the body
  MetricsBody gone = [] { return std::optional<std::string>(); };
  EXPECT_TRUE(http_reply("GET /metrics HTTP/1.1\r\n\r\n", gone).starts_with("HTTP/1.1 503"));
}

}  // namespace
}  // namespace stackd::control
