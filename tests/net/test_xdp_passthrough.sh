#!/usr/bin/env bash
# On a NIC shared with the host kernel, the XDP program claims only stackd's
# traffic: the kernel's own address on the same interface keeps working
# (ICMP and UDP) while stackd runs, and stackd's address is answered by stackd.
source "$(dirname "$0")/lib.sh"
STACKD_NET_BACKENDS=af_xdp
setup_backend af_xdp
KERNEL_ADDR="$NET.3"
ip netns exec "$NS_SD" ip addr add "$KERNEL_ADDR/24" dev "$SD_IF"
start_stackd

peer ping -c 3 -i 0.2 -W 2 -q "$KERNEL_ADDR" >/dev/null || fail "kernel address unreachable with XDP attached"
# UDP to a socket of the kernel on the shared interface.
ip netns exec "$NS_SD" timeout 10 python3 -c "
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$KERNEL_ADDR', 5555)); s.settimeout(8)
d,a=s.recvfrom(100); s.sendto(d.upper(), a)" &
listener=$!
sleep 0.5
got=$(timeout 10 ip netns exec "$NS_PEER" python3 -c "
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b'kernel', ('$KERNEL_ADDR', 5555)); print(s.recv(100).decode())") || true
wait $listener || true
[[ $got == KERNEL ]] || fail "UDP to the kernel's address on the shared NIC: got '$got'"
log "kernel traffic on the shared interface passes: ICMP and UDP to $KERNEL_ADDR"

# stackd's address is still answered by stackd (its counters move).
before=$(stackd_counter IcmpInEchos)
peer ping -c 3 -i 0.2 -W 2 -q "$SD_ADDR" >/dev/null || fail "stackd address unreachable"
after=$(stackd_counter IcmpInEchos)
[[ $((after - before)) -ge 3 ]] || fail "stackd did not see the echos (IcmpInEchos $before -> $after)"

stop_stackd || fail "stackd did not shut down cleanly"
ip netns exec "$NS_SD" ip link show "$SD_IF" | grep -q "xdp" && fail "XDP program left attached after exit"
log "ok"
