#!/usr/bin/env bash
# Prometheus text exposition on [control] metrics_listen (tap back-end):
# GET /metrics answers 200 with the exposition content type; the counters
# carry node_exporter's netstat names under stackd_ and move as traffic
# flows (ICMP echo, interface counters labelled by device); a firewall drop
# shows in stackd_drops_total{reason="ip_firewall"}; other paths are 404,
# other methods 405; nothing is labelled per connection.
source "$(dirname "$0")/control_lib.sh"

METRICS_PORT=$(( 30000 + id % 20000 ))
CTL_CONTROL_EXTRA="metrics_listen = \"127.0.0.1:$METRICS_PORT\""
control_stackd tap
URL="http://127.0.0.1:$METRICS_PORT/metrics"
scrape() { ip netns exec "$NS_SD" curl -sS --max-time 5 "$@"; }
# metric NAME-WITH-LABELS : its value in a fresh scrape
metric() { scrape "$URL" | awk -v m="$1" '$1 == m {print $2}'; }

scrape -D "$WORK/headers" -o "$WORK/m1.txt" "$URL" || fail "GET /metrics"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$WORK/headers" || fail "content type: $(cat "$WORK/headers")"
grep -q "^HTTP/1.1 200" "$WORK/headers" || fail "status: $(cat "$WORK/headers")"
grep -q "^# TYPE stackd_netstat_Tcp_RetransSegs counter$" "$WORK/m1.txt" || fail "no TYPE line for TcpRetransSegs"
grep -q "^stackd_netstat_Ip_InReceives [0-9][0-9]*$" "$WORK/m1.txt" || fail "no Ip_InReceives sample"
grep -q "^stackd_network_receive_bytes_total{device=\"$SD_IF\"} [0-9]" "$WORK/m1.txt" || fail "no per-device counter"
grep -q "^stackd_TcpTcbsInUse [0-9]" "$WORK/m1.txt" || fail "no gauge"
grep -qE "local=|peer=|port=" "$WORK/m1.txt" && fail "per-connection labels in /metrics"

echos0=$(metric stackd_netstat_Icmp_InEchos)
rx0=$(metric "stackd_network_receive_packets_total{device=\"$SD_IF\"}")
peer ping -c3 -i0.2 -q "$SD_ADDR" >/dev/null || fail "ping"
[[ $(metric stackd_netstat_Icmp_InEchos) -ge $((echos0 + 3)) ]] || fail "Icmp_InEchos did not move by 3"
[[ $(metric "stackd_network_receive_packets_total{device=\"$SD_IF\"}") -ge $((rx0 + 3)) ]] || fail "device rx did not move"

drops0=$(metric 'stackd_drops_total{reason="ip_firewall"}')
ctl fw add input icmp type echo-request drop >/dev/null || fail "fw add"
peer ping -c2 -i0.2 -W1 -q "$SD_ADDR" >/dev/null && fail "ping passed the drop rule"
[[ $(metric 'stackd_drops_total{reason="ip_firewall"}') -ge $((drops0 + 2)) ]] || fail "drops_total did not count the firewall"
[[ $(metric stackd_firewall_rules) == 1 ]] || fail "stackd_firewall_rules"
ctl fw flush || fail "fw flush"

[[ $(scrape -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/") == 404 ]] || fail "/ is not 404"
[[ $(scrape -o /dev/null -w '%{http_code}' -X POST "$URL") == 405 ]] || fail "POST is not 405"
[[ $(scrape -o /dev/null -w '%{http_code}' -I "$URL") == 200 ]] || fail "HEAD is not 200"

stop_stackd || fail "stackd did not shut down cleanly"
log "ok"
