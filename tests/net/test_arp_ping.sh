#!/usr/bin/env bash
# ARP both ways and ICMP echo against the Linux kernel, on each back-end:
#  - stackd resolves the kernel's MAC itself (the peer has a permanent entry
#    for stackd, so only stackd's own ARP request can make replies flow);
#  - the kernel resolves stackd's MAC (its entry shows stackd's address);
#  - ping -c 200 -i 0.01 gets 200 replies; ping -s 60000 (fragmented both ways) works.
source "$(dirname "$0")/lib.sh"

for b in $(backends); do
  log "== back-end $b"
  setup_backend "$b"
  peer ip neigh replace "$SD_ADDR" lladdr "$SD_MAC" dev "$(peer ip -o route get "$SD_ADDR" | awk '{for(i=1;i<NF;i++) if($i=="dev") print $(i+1)}')" nud permanent
  start_stackd
  out=$(stackd_counter ArpOutRequests)
  [[ $out -ge 1 ]] || fail "stackd sent no ARP request of its own (ArpOutRequests=$out)"
  log "stackd resolved the kernel by ARP (ArpOutRequests=$out)"

  dev=$(peer ip -o route get "$SD_ADDR" | awk '{for(i=1;i<NF;i++) if($i=="dev") print $(i+1)}')
  peer ip neigh del "$SD_ADDR" dev "$dev"
  peer ping -c1 -W2 -q "$SD_ADDR" >/dev/null || fail "ping after neighbour flush"
  peer ip neigh show "$SD_ADDR" dev "$dev" | grep -qi "lladdr $SD_MAC" \
    || fail "kernel did not resolve stackd's MAC: $(peer ip neigh show "$SD_ADDR")"
  log "kernel resolved stackd by ARP: $(peer ip neigh show "$SD_ADDR" dev "$dev")"

  res=$(timeout 60 ip netns exec "$NS_PEER" ping -c 200 -i 0.01 -W 2 -q "$SD_ADDR" || true)
  echo "$res" | tail -n 2
  echo "$res" | grep -q "200 packets transmitted, 200 received" || fail "ping -c 200 lost replies"

  res=$(timeout 30 ip netns exec "$NS_PEER" ping -c 5 -i 0.2 -W 2 -s 60000 -q "$SD_ADDR" || true)
  echo "$res" | tail -n 2
  echo "$res" | grep -q "5 packets transmitted, 5 received" || fail "ping -s 60000 failed"

  stop_stackd || fail "stackd did not shut down cleanly"
  log "back-end $b: ok"
done
