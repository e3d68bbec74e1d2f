# IPv6 next to IPv4 on a network test's topology (sourced after lib.sh,
# once setup_backend wrote $WORK/stackd.toml): a ULA /64 per test, stackd
# ::2, the Linux peer ::1 (no DAD on the peer: the test owns the link).
NET6="fd$(printf '%02x' $(( (id + 7) % 256 ))):$(printf '%x' "$id")"
SD_ADDR6="$NET6::2"
PEER_ADDR6="$NET6::1"

peer_if() { [[ $BACKEND == af_xdp ]] && echo "pev$id" || echo "$SD_IF"; }

# The peer's address, stackd's next to its IPv4 one (before start_stackd).
ipv6_up() {
  if [[ $BACKEND == af_xdp ]]; then
    ip netns exec "$NS_SD" sysctl -qw "net.ipv6.conf.$SD_IF.disable_ipv6=1"
  fi
  peer ip -6 addr add "$PEER_ADDR6/64" dev "$(peer_if)" nodad
  sed -i "s|^addresses = .*|addresses = [\"$SD_ADDR/24\", \"$SD_ADDR6/64\"]|" "$WORK/stackd.toml"
}

# After start_stackd: wait (bounded, 10 s) for stackd's DAD to finish.
wait_v6() {
  local i
  for i in $(seq 1 50); do
    peer ping -6 -c1 -W1 -q "$SD_ADDR6" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "no IPv6 ping answer from $SD_ADDR6 within 10 s"
}

# start_client_stackd with IPv6 (needs client_lib.sh): tap back-end,
# [attach], both addresses, DAD done.
start_client_stackd6() {
  setup_backend tap
  client_config "${1:-}"
  ipv6_up
  start_stackd
  wait_attach_sock
  wait_v6
}
