#!/usr/bin/env bash
# Two programs on ONE stackd talk to each other through stackd's own
# address (local delivery, daemon/ip/README.md "Local delivery"): both ends
# under the shim, then both ends on the native client library. Nothing of
# it may touch the NIC: the tap's kernel side sees no more than a handful
# of frames while megabytes move.
#   socat TCP-LISTEN (shim) <- nc (shim)          file, byte-exact (client -> server)
#   socat TCP-LISTEN (shim) -> socat (shim)       file, byte-exact (server -> client)
#   python3 echo server (shim) <- python3 client (shim), both directions at once
#   UDP echo (python3, shim) <- UDP client (python3, shim), 1..65507 bytes
#   stk_echo_server <- stk_echo_client (copying and zero-copy), stk_udp_tool echo <- send,
#   stk_echo_server -6 <- stk_echo_client over stackd's IPv6 address; socat TCP6-LISTEN (shim) <- socat TCP6 (shim)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v nc >/dev/null && command -v socat >/dev/null || fail "nc/socat missing (deploy/install-deps.sh)"
here=$(dirname "$0")
mb=${STACKD_SHIM_MB:-20}
NET6="fd$(printf '%02x' $(( (id + 11) % 256 ))):$(printf '%x' "$id")"
SD_ADDR6="$NET6::2"

# start_local BACKEND: stackd with [attach], its control socket in $WORK
# (not the system's default one) and an IPv6 address next to the IPv4 one.
start_local() {
  setup_backend "$1"
  # af_xdp: the kernel's own IPv6 on stackd's veth would run DAD for the
  # link-local stackd derives from the same MAC.
  [[ $1 == af_xdp ]] && ip netns exec "$NS_SD" sysctl -qw "net.ipv6.conf.$SD_IF.disable_ipv6=1"
  client_config "
[control]
socket = \"$WORK/control.sock\""
  sed -i "s|^addresses = .*|addresses = [\"$SD_ADDR/24\", \"$SD_ADDR6/64\"]|" "$WORK/stackd.toml"
  start_stackd
  local i
  for i in $(seq 1 50); do [[ -S $ATTACH_SOCK ]] && break; sleep 0.1; done
  [[ -S $ATTACH_SOCK ]] || fail "attach socket $ATTACH_SOCK did not appear"
}

# Frames stackd put on the link: the receive count of the Linux side (the
# tap's kernel end, or the peer's veth).
nic_frames() {
  local dev=$SD_IF
  [[ $BACKEND == af_xdp ]] && dev="pev$id"
  peer cat "/sys/class/net/$dev/statistics/rx_packets"
}

# server_then_client NAME SERVER... -- CLIENT...: the server in the
# background, the client retried until the server listens (bounded).
server_then_client() {
  local name=$1 srv=() cli=()
  shift
  while [[ $1 != -- ]]; do srv+=("$1"); shift; done
  shift
  cli=("$@")
  timeout 60 "${SHIMMED[@]}" "${srv[@]}" </dev/null &
  local s=$!
  local i ok=0
  for i in $(seq 1 50); do
    if timeout 60 "${SHIMMED[@]}" "${cli[@]}"; then ok=1; break; fi
    kill -0 $s 2>/dev/null || break  # the server ended: no point retrying
    sleep 0.2
  done
  [[ $ok == 1 ]] || fail "$name: client"
  wait $s || fail "$name: server"
}

run_backend() {
  start_local "$1"
  local frames0 frames nobuf full s u e t0 t1
  frames0=$(nic_frames)
  log "nc (shim) -> socat TCP-LISTEN (shim) on $SD_ADDR, $mb MB"
  t0=$(date +%s.%N)
  server_then_client "nc -> socat" socat -u TCP-LISTEN:7001,reuseaddr OPEN:"$WORK/r1",creat,trunc \
    -- nc -N "$SD_ADDR" 7001 <"$WORK/data"
  t1=$(date +%s.%N)
  same_file "$WORK/data" "$WORK/r1"
  log "  $(python3 -c "print(f'{$mb * 8 / ($t1 - $t0):.0f} Mbit/s including start-up ({$t1 - $t0:.2f} s)')")"

  log "socat TCP-LISTEN (shim) -> socat (shim): the server sends"
  server_then_client "socat -> socat" socat -u OPEN:"$WORK/data" TCP-LISTEN:7002,reuseaddr \
    -- socat -u TCP:"$SD_ADDR":7002 OPEN:"$WORK/r2",creat,trunc
  same_file "$WORK/data" "$WORK/r2"

  log "python3 echo server (shim) <- python3 client (shim): both directions at once"
  timeout 90 "${SHIMMED[@]}" python3 "$here/shim_py_echo.py" server 7003 1 >"$WORK/py.out" 2>&1 &
  s=$!
  wait_file_line "$WORK/py.out" listening
  timeout 60 "${SHIMMED[@]}" python3 "$here/shim_py_echo.py" client "$SD_ADDR" 7003 4000000 || fail "python client"
  wait $s || fail "python server: $(cat "$WORK/py.out")"

  log "UDP: python3 echo (shim) <- python3 client (shim), 300 datagrams of 1..65507 bytes"
  timeout 90 "${SHIMMED[@]}" python3 "$here/udp_echo_server.py" 7005 60 &
  u=$!
  sleep 0.5
  timeout 60 "${SHIMMED[@]}" python3 "$here/udp_echo_client.py" "$SD_ADDR" --port 7005 --count 300 \
    --deadline 50 || fail "UDP echo between two shimmed programs"
  kill $u 2>/dev/null || true

  log "native client: stk_echo_server <- stk_echo_client (copying, zero-copy)"
  "$STK_BIN/stk_echo_server" 7006 2 >"$WORK/srv.log" 2>&1 &
  e=$!
  sleep 0.3
  timeout 60 "$STK_BIN/stk_echo_client" "$SD_ADDR" 7006 4000000 || fail "native echo client"
  timeout 60 "$STK_BIN/stk_echo_client" "$SD_ADDR" 7006 4000000 --zerocopy || fail "native echo client zero-copy"
  wait $e || fail "native echo server: $(cat "$WORK/srv.log")"
  grep -c "connection from $SD_ADDR" "$WORK/srv.log" | grep -qx 2 || fail "server log: $(cat "$WORK/srv.log")"
  # IPv6 with the native library: a dual-stack server on [::], the client to our IPv6 address.
  log "native client over IPv6: stk_echo_server -6 <- stk_echo_client to [$SD_ADDR6]"
  "$STK_BIN/stk_echo_server" 7008 1 -6 >"$WORK/srv6.log" 2>&1 &
  e=$!
  sleep 0.3
  timeout 60 "$STK_BIN/stk_echo_client" "$SD_ADDR6" 7008 4000000 || fail "native echo client over IPv6"
  wait $e || fail "native echo server over IPv6: $(cat "$WORK/srv6.log")"
  grep -q "connection from $SD_ADDR6" "$WORK/srv6.log" || fail "server log: $(cat "$WORK/srv6.log")"
  log "socat TCP6 (shim) -> socat TCP6-LISTEN (shim) over [$SD_ADDR6], 2 MB"
  head -c 2000000 "$WORK/data" >"$WORK/data6"
  timeout 60 "${SHIMMED[@]}" socat -u TCP6-LISTEN:7009,reuseaddr OPEN:"$WORK/r6",creat,trunc &
  e=$!
  sleep 0.3
  timeout 60 "${SHIMMED[@]}" socat -u OPEN:"$WORK/data6" "TCP6:[$SD_ADDR6]:7009,retry=20,interval=0.2" \
    || fail "shimmed socat over IPv6"
  wait $e || fail "shimmed socat server over IPv6"
  same_file "$WORK/data6" "$WORK/r6"
  log "native UDP tool: echo <- send, 200 datagrams of 9000 bytes"
  "$STK_BIN/stk_udp_tool" echo 7007 200 >"$WORK/udp.log" 2>&1 &
  e=$!
  wait_file_line "$WORK/udp.log" "udp echo on"
  timeout 60 "$STK_BIN/stk_udp_tool" send "$SD_ADDR" 7007 200 9000 || fail "native UDP to our own address"
  wait $e || fail "native UDP echo"

  frames=$(( $(nic_frames) - frames0 ))
  log "frames on the NIC during all of it: $frames"
  (( frames < 50 )) || fail "$frames frames reached the NIC: local traffic must not"
  read -r nobuf full <<<"$(stackd_counters no_buffer ip_loopback_full | sed 's/[a-z_]*=//g')"
  [[ $nobuf == 0 && $full == 0 ]] || fail "drops: no_buffer=$nobuf ip_loopback_full=$full"
  wait_gauge IpcSockets 0
  stop_stackd || fail "stackd did not shut down cleanly"
}

head -c $((mb * 1000000)) /dev/urandom >"$WORK/data"
for b in $(backends); do
  log "=== back-end $b"
  run_backend "$b"
done
log "PASS"
