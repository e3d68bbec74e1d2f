#!/usr/bin/env bash
# stackd quickstart: install dependencies, build, and run stackd on this one
# machine against the Linux kernel in a network namespace.
#
#   [ns stackd-demo-sd: stackd on veth sd-demo0 via AF_XDP, 10.77.0.2]  <-- veth -->
#   [ns stackd-demo-peer: Linux, veth sd-demo1, 10.77.0.1]
#
# The Linux peer pings stackd (ARP both ways, ICMP echo, a fragmented ping)
# and exchanges UDP with stackd's echo service; then stackd keeps running
# for you to try things until Ctrl-C (or exits at once with
# --non-interactive / STACKD_DEMO_NONINTERACTIVE=1, or when stdin is not a
# terminal). The namespaces are removed on exit.
#   --backend tap   use the TAP back-end (io_uring) instead of AF_XDP
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

interactive=1
backend=af_xdp
while (($#)); do
  case $1 in
    --non-interactive) interactive=0 ;;
    --backend) backend=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ ${STACKD_DEMO_NONINTERACTIVE:-0} == 1 ]] && interactive=0
[[ -t 0 ]] || interactive=0
[[ $(id -u) -eq 0 ]] || { echo "quickstart: run as root (namespaces, XDP)" >&2; exit 1; }

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Installing dependencies (Debian packages)"
bash deploy/install-deps.sh

say "Building (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target stackd stackctl stk_echo_client

NS_SD=stackd-demo-sd NS_PEER=stackd-demo-peer
SD_ADDR=10.77.0.2 PEER_ADDR=10.77.0.1 SD_MAC=02:5d:00:00:77:02
work=$(mktemp -d /tmp/stackd-demo.XXXXXX)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del "$NS_SD" 2>/dev/null || true
  ip netns del "$NS_PEER" 2>/dev/null || true
  rm -rf "$work"
  echo "quickstart: cleaned up namespaces $NS_SD and $NS_PEER"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Creating namespaces and a veth pair ($backend back-end)"
ip netns del "$NS_SD" 2>/dev/null || true
ip netns del "$NS_PEER" 2>/dev/null || true
ip netns add "$NS_PEER"
ip netns exec "$NS_PEER" ip link set lo up
if [[ $backend == tap ]]; then
  NS_SD=$NS_PEER IF=sd-demo-tap
  ip netns exec "$NS_PEER" ip tuntap add dev $IF mode tap
  ip netns exec "$NS_PEER" ip addr add $PEER_ADDR/24 dev $IF
  ip netns exec "$NS_PEER" ip link set $IF up
else
  IF=sd-demo0
  ip netns add "$NS_SD"
  ip netns exec "$NS_SD" ip link set lo up
  ip link add $IF netns "$NS_SD" type veth peer name sd-demo1 netns "$NS_PEER"
  ip netns exec "$NS_SD" ip link set $IF address $SD_MAC up
  # veth passes checksum-offloaded frames with partial checksums to its
  # peer; a real wire never carries those, so compute them in software.
  ip netns exec "$NS_PEER" ethtool -K sd-demo1 tx off >/dev/null
  ip netns exec "$NS_PEER" ip addr add $PEER_ADDR/24 dev sd-demo1
  ip netns exec "$NS_PEER" ip link set sd-demo1 up
fi

cat >"$work/stackd.toml" <<TOML
[daemon]
log_level = "info"

[[interface]]
name = "$IF"
backend = "$backend"
mac = "$SD_MAC"
addresses = ["$SD_ADDR/24"]

[[service]]
kind = "echo"
proto = "udp"
port = 7

[[service]]
kind = "discard"
proto = "udp"
port = 9

[[service]]
kind = "echo"
proto = "tcp"
port = 7

[control]
socket = "$work/control.sock"

[attach]
socket = "$work/stackd.sock"
TOML
say "Starting stackd (config $work/stackd.toml)"
cat "$work/stackd.toml"
ip netns exec "$NS_SD" build/release/daemon/app/stackd --config "$work/stackd.toml" &
pid=$!
for _ in $(seq 1 50); do
  ip netns exec "$NS_PEER" ping -c1 -W1 -q $SD_ADDR >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "stackd exited"; exit 1; }
  sleep 0.2
done

say "The Linux peer pings stackd"
ip netns exec "$NS_PEER" ping -c 5 -i 0.2 $SD_ADDR
ip netns exec "$NS_PEER" ip neigh show $SD_ADDR

say "A 60000-byte ping: fragmented both ways, reassembled by each side"
ip netns exec "$NS_PEER" ping -c 2 -s 60000 $SD_ADDR

say "UDP with stackd's echo service (RFC 862) on port 7"
ip netns exec "$NS_PEER" python3 - $SD_ADDR <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for msg in (b"hello, stackd", b"x" * 30000):
    s.sendto(msg, (sys.argv[1], 7))
    data, peer = s.recvfrom(65535)
    print(f"sent {len(msg)} bytes, echoed {len(data)} bytes from {peer[0]}:{peer[1]}, identical: {data == msg}")
s.sendto(b"closed?", (sys.argv[1], 4242))
s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s2.settimeout(2); s2.connect((sys.argv[1], 4242))
s2.send(b"closed?")
try:
    s2.recv(10)
except ConnectionRefusedError:
    print("port 4242 (closed): ECONNREFUSED from stackd's ICMP port unreachable")
PY

ctl() { build/release/stackctl/stackctl -s "$work/control.sock" "$@"; }

say "TCP with stackd's echo service on port 7, seen with stackctl (gRPC control plane)"
ip netns exec "$NS_PEER" python3 - $SD_ADDR <<'PY' &
import socket, sys, time, hashlib
s = socket.create_connection((sys.argv[1], 7), timeout=5)
data = bytes(range(256)) * 4096  # 1 MiB
s.sendall(data); got = b""
while len(got) < len(data):
    got += s.recv(65536)
print(f"echoed 1 MiB over TCP, identical: {got == data}")
time.sleep(1.5)   # hold the connection while stackctl looks at it
s.close()
PY
tcp_client=$!
sleep 1
ctl conn -tni
wait $tcp_client

say "stackctl: routes, neighbours, a few counters"
ctl route
ctl neigh
ctl stats | grep -E '^(IpInReceives|TcpActiveOpens|TcpPassiveOpens|TcpInSegs|TcpOutSegs|UdpInDatagrams)' || true

say "A native client (libstackclient) on stackd's sockets, against a Linux echo server"
ip netns exec "$NS_PEER" python3 - $PEER_ADDR <<'PY' &
import socket, sys
l = socket.create_server((sys.argv[1], 5007)); l.settimeout(10)
c, _ = l.accept()
while (b := c.recv(65536)):
    c.sendall(b)
PY
echo_server=$!
for _ in $(seq 1 50); do
  ip netns exec "$NS_PEER" ss -ltn 2>/dev/null | grep -q ":5007 " && break
  sleep 0.1
done
STACKD_SOCKET="$work/stackd.sock" build/release/libclient/stk_echo_client $PEER_ADDR 5007 1000000 \
  || echo "native client failed"
wait $echo_server 2>/dev/null || true

say "Unmodified programs on stackd through stackrun (LD_PRELOAD=libstackshim.so)"
mkdir -p "$work/www"
head -c 2000000 /dev/urandom >"$work/www/blob"
echo "hello from a Linux web server" >"$work/www/index.txt"
ip netns exec "$NS_PEER" python3 -m http.server --bind $PEER_ADDR --directory "$work/www" 8080 \
  >"$work/peer_http.log" 2>&1 &
peer_http=$!
for _ in $(seq 1 50); do
  ip netns exec "$NS_PEER" ss -ltn 2>/dev/null | grep -q ":8080 " && break
  sleep 0.1
done
echo "\$ stackrun curl http://$PEER_ADDR:8080/index.txt     (curl's socket lives in stackd)"
STACKD_SOCKET="$work/stackd.sock" build/release/preload/stackrun -- \
  curl -sS --max-time 10 http://$PEER_ADDR:8080/index.txt || echo "curl under stackrun failed"
STACKD_SOCKET="$work/stackd.sock" STACKD_QUIET=1 build/release/preload/stackrun -- \
  curl -sS --max-time 20 -o "$work/blob.got" http://$PEER_ADDR:8080/blob \
  && cmp -s "$work/www/blob" "$work/blob.got" && echo "2 MB fetched under stackrun, identical: True"
kill $peer_http 2>/dev/null; wait $peer_http 2>/dev/null || true

echo "\$ stackrun python3 -m http.server 8081    (a server under the shim; the Linux peer's curl asks it)"
STACKD_SOCKET="$work/stackd.sock" STACKD_QUIET=1 build/release/preload/stackrun -- \
  python3 -m http.server --directory "$work/www" 8081 >"$work/shim_http.log" 2>&1 &
shim_http=$!
for _ in $(seq 1 50); do
  ip netns exec "$NS_PEER" curl -s --max-time 1 -o /dev/null http://$SD_ADDR:8081/ 2>/dev/null && break
  sleep 0.2
done
ip netns exec "$NS_PEER" curl -sS --max-time 10 http://$SD_ADDR:8081/index.txt || echo "the peer's curl failed"
ctl conn -tlnp | grep -E 'State|:8081' || true   # the listener and its owner (ss -p)
kill $shim_http 2>/dev/null; wait $shim_http 2>/dev/null || true

say "stackd's counters (SIGUSR1)"
kill -USR1 $pid; sleep 0.5

cat <<EOT

stackd is running in namespace $NS_SD with address $SD_ADDR; the Linux peer is $NS_PEER ($PEER_ADDR).
Try next:
  ip netns exec $NS_PEER ping -f -c 10000 $SD_ADDR          # flood ping
  ip netns exec $NS_PEER python3 -c 'import socket; s=socket.socket(2,2); s.sendto(b"hi",("$SD_ADDR",7)); print(s.recv(99))'
  ip netns exec $NS_PEER tcpdump -ni sd-demo1 -c 20          # watch the wire (apt-get install tcpdump)
  kill -USR1 $pid                                                # print stackd's nstat counters
  build/release/stackctl/stackctl -s $work/control.sock conn -tni   # ss-like connections (-j: JSON)
  build/release/stackctl/stackctl -s $work/control.sock fw add input tcp dport 7 drop
  STACKD_SOCKET=$work/stackd.sock build/release/libclient/stk_echo_client $PEER_ADDR PORT BYTES
  STACKD_SOCKET=$work/stackd.sock build/release/preload/stackrun -- curl http://$PEER_ADDR:PORT/   # any program
EOT
if ((interactive)); then
  echo "Press Ctrl-C to stop stackd and remove the namespaces."
  wait $pid
else
  echo "(non-interactive: stopping)"
fi
