#!/usr/bin/env bash
# Debian's iperf3, unmodified, under the shim (issue 5): TCP with 4 streams
# and UDP, each with --bidir (both directions at once):
#   1. iperf3 -s (shim) <- Linux iperf3 -c
#   2. iperf3 -c (shim) -> Linux iperf3 -s
# Both ends' JSON (-J) are read: no "error", every direction received
# bytes (the receiver's count, TCP: never more than was sent), UDP loss below
# STACKD_IPERF_MAX_LOSS % (default 5) at -b STACKD_IPERF_UDP_RATE.
# Duration -t STACKD_IPERF_SECONDS (3; 2 in an ASan build; STACKD_HEAVY=1: 10).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
source "$(dirname "$0")/shim_lib.sh"
command -v iperf3 >/dev/null || fail "iperf3 is not installed (deploy/install-deps.sh)"
if [[ ${STACKD_HEAVY:-0} == 1 ]]; then
  secs=${STACKD_IPERF_SECONDS:-10}
elif [[ ${#SHIM_ENV[@]} -gt 1 ]]; then
  secs=${STACKD_IPERF_SECONDS:-2}
else
  secs=${STACKD_IPERF_SECONDS:-3}
fi
udp_rate=${STACKD_IPERF_UDP_RATE:-20M}
max_loss=${STACKD_IPERF_MAX_LOSS:-5}

start_client_stackd

# check_json FILE LABEL PROTO: the checks above on one end's report.
check_json() {
  python3 - "$1" "$2" "$3" "$max_loss" <<'PY' || fail "$2: $(head -c 2000 "$1")"
import json, sys
path, label, proto, max_loss = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
r = json.load(open(path))
if "error" in r:
    sys.exit(f"{label}: iperf3 error: {r['error']}")
end = r["end"]
bad = []
if proto == "tcp" and label.endswith("(server)"):
    # the server's report counts its own side only: what it received
    # from the client and what it sent back
    for key in ("sum_received", "sum_sent_bidir_reverse"):
        print(f"{label} {key}: {end[key]['bytes']} bytes")
        if end[key]["bytes"] <= 0:
            bad.append(f"{key}: 0 bytes")
elif proto == "tcp":
    for fwd, rev in (("sum_sent", "sum_received"), ("sum_sent_bidir_reverse", "sum_received_bidir_reverse")):
        sent, got = end[fwd]["bytes"], end[rev]["bytes"]
        print(f"{label} {fwd}: {sent} bytes sent, {got} received, "
              f"{end[rev]['bits_per_second'] / 1e6:.0f} Mbit/s")
        # the test ends by time: what was still in flight is not counted
        if got <= 0 or got > sent:
            bad.append(f"{fwd}: sent {sent} received {got}")
    if len(end["streams"]) != 8:
        bad.append(f"{len(end['streams'])} streams, expected 4 each way")
else:
    for key in ("sum", "sum_bidir_reverse"):
        s = end[key]
        print(f"{label} {key}: {s['packets']} datagrams, {s['lost_packets']} lost "
              f"({s['lost_percent']:.2f} %), {s['bytes']} bytes")
        # (a server's own "sum" shows bytes 0 for what it received: iperf3 3.12)
        if s["packets"] <= 0 or (s["bytes"] <= 0 and not label.endswith("(server)")):
            bad.append(f"{key}: nothing received")
        if s["lost_percent"] > max_loss or s["lost_packets"] < 0:
            bad.append(f"{key}: loss {s['lost_percent']} %")
if bad:
    sys.exit(f"{label}: " + "; ".join(bad))
PY
}

# run SERVER_SIDE PROTO: one iperf3 test, server on SERVER_SIDE (shim|linux).
run() {
  local side=$1 proto=$2 port=$((5201 + RANDOM % 100)) opts=(-t "$secs" --bidir)
  [[ $proto == tcp ]] && opts+=(-P 4) || opts+=(-u -b "$udp_rate")
  local label="iperf3 $proto server on the $side"
  log "$label: -c ${opts[*]}"
  if [[ $side == shim ]]; then
    timeout $((secs + 40)) "${SHIMMED[@]}" iperf3 -s -1 -J -B "$SD_ADDR" -p $port >"$WORK/s.json" 2>"$WORK/s.err" &
    local s=$!
    wait_gauge TcpListeners 1 50  # the shimmed server's listen(), seen by stackd
    peer timeout $((secs + 30)) iperf3 -c "$SD_ADDR" -p $port "${opts[@]}" -J >"$WORK/c.json" 2>"$WORK/c.err" || log "$label: the client exited with status $?"
  else
    peer timeout $((secs + 40)) iperf3 -s -1 -J -B "$PEER_ADDR" -p $port >"$WORK/s.json" 2>"$WORK/s.err" &
    local s=$!
    wait_peer_port $port
    timeout $((secs + 30)) "${SHIMMED[@]}" iperf3 -c "$PEER_ADDR" -p $port "${opts[@]}" -J >"$WORK/c.json" 2>"$WORK/c.err" || log "$label: the client exited with status $?"
  fi
  wait $s || fail "$label: the server failed: $(head -c 1500 "$WORK/s.json") $(cat "$WORK/s.err")"
  check_json "$WORK/c.json" "$label (client)" $proto
  check_json "$WORK/s.json" "$label (server)" $proto
  wait_gauge IpcSockets 0 50
}

run shim tcp
run shim udp
run linux tcp
run linux udp
log "PASS"
