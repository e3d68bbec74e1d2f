#!/usr/bin/env bash
# UDP against the Linux kernel, on each back-end: 2,000 datagrams of random
# sizes 1..65,507 bytes to the echo service come back byte-identical
# (fragmented both ways above 1472 bytes), and a datagram to a closed port
# is refused (ICMP port unreachable seen by the kernel's socket as ECONNREFUSED).
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
count=${STACKD_UDP_COUNT:-2000}

for b in $(backends); do
  log "== back-end $b"
  setup_backend "$b"
  start_stackd
  timeout 300 ip netns exec "$NS_PEER" python3 "$here/udp_echo_client.py" "$SD_ADDR" \
    --count "$count" --seed "$id" || fail "udp echo"
  timeout 20 ip netns exec "$NS_PEER" python3 "$here/udp_refused.py" "$SD_ADDR" 4242 \
    || fail "closed port not refused"
  n=$(stackd_counter UdpNoPorts)
  [[ $n -ge 1 ]] || fail "UdpNoPorts=$n"
  stop_stackd || fail "stackd did not shut down cleanly"
  log "back-end $b: ok"
done
