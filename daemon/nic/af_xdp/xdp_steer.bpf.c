// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// XDP steering program for stackd's AF_XDP back-end.
//
// On a NIC shared with the host kernel, only frames for stackd go to the XSK:
//   - ARP whose target protocol address is one of ours (requests for us and
//     replies to us); every ARP when STEER_ALL_ARP is set;
//   - IPv4 whose destination is one of ours (map stackd_addrs);
//   - IPv4 limited/subnet broadcast and multicast when STEER_V4_BCAST_MCAST
//     is set (the stack filters further);
//   - IPv6 whose destination is one of ours (map stackd_addrs6, keyed by
//     the 16-byte address: the link-local and configured addresses);
//   - Neighbor Solicitations/Advertisements (RFC 4861) whose target is one
//     of ours, whatever their (solicited-node or all-nodes) destination:
//     address resolution and duplicate address detection, as ARP by tpa;
//   - Router Advertisements when STEER_V6_RA is set (accept_ra: stackd
//     takes its default route from them; the kernel no longer sees them).
// Everything else is XDP_PASS: the host keeps working. 802.1Q/802.1ad tagged
// frames are passed to the kernel for now.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define STEER_ALL_ARP (1u << 0)
#define STEER_V4_BCAST_MCAST (1u << 1)
#define STEER_V6_RA (1u << 2)

// Our IPv4 addresses, network byte order -> unused flag byte.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u8);
} stackd_addrs SEC(".maps");

// Our IPv6 addresses (16 bytes, network order) -> unused flag byte.
struct in6_key {
  __u8 b[16];
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, struct in6_key);
  __type(value, __u8);
} stackd_addrs6 SEC(".maps");

// Index 0: STEER_* flags.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} stackd_flags SEC(".maps");

// rx queue index -> XSK.
struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} stackd_xsks SEC(".maps");

static __always_inline int to_xsk(struct xdp_md *ctx) {
  // Falls back to XDP_PASS when no socket is bound to this queue.
  return bpf_redirect_map(&stackd_xsks, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int is_ours(__u32 addr_be) {
  return bpf_map_lookup_elem(&stackd_addrs, &addr_be) != 0;
}

SEC("xdp")
int stackd_steer(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_PASS;

  __u32 zero = 0;
  __u32 *flagp = bpf_map_lookup_elem(&stackd_flags, &zero);
  __u32 flags = flagp ? *flagp : 0;

  __u16 proto = bpf_ntohs(eth->h_proto);
  __u8 *l3 = (__u8 *)(eth + 1);

  if (proto == ETH_P_ARP) {
    if (flags & STEER_ALL_ARP) return to_xsk(ctx);
    // RFC 826: htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)
    if ((void *)(l3 + 28) > end) return XDP_PASS;
    if (l3[4] != 6 || l3[5] != 4) return XDP_PASS;
    __u32 tpa;
    __builtin_memcpy(&tpa, l3 + 24, 4);
    return is_ours(tpa) ? to_xsk(ctx) : XDP_PASS;
  }

  if (proto == ETH_P_IP) {
    // RFC 791: destination address at offset 16.
    if ((void *)(l3 + 20) > end) return XDP_PASS;
    __u32 daddr;
    __builtin_memcpy(&daddr, l3 + 16, 4);
    if (is_ours(daddr)) return to_xsk(ctx);
    if (flags & STEER_V4_BCAST_MCAST) {
      __u32 d = bpf_ntohl(daddr);
      // Limited broadcast, multicast 224/4, or an Ethernet broadcast
      // (subnet-directed broadcast arrives to ff:ff:ff:ff:ff:ff).
      if (d == 0xffffffffu || (d >> 28) == 0xe) return to_xsk(ctx);
      if (eth->h_dest[0] == 0xff && eth->h_dest[1] == 0xff && eth->h_dest[2] == 0xff &&
          eth->h_dest[3] == 0xff && eth->h_dest[4] == 0xff && eth->h_dest[5] == 0xff)
        return to_xsk(ctx);
    }
    return XDP_PASS;
  }

  if (proto == ETH_P_IPV6) {
    // RFC 8200: destination address at offset 24.
    if ((void *)(l3 + 40) > end) return XDP_PASS;
    struct in6_key k;
    __builtin_memcpy(&k, l3 + 24, 16);
    if (bpf_map_lookup_elem(&stackd_addrs6, &k)) return to_xsk(ctx);
    // RFC 4861 §4.3/§4.4: ICMPv6 (next header 58) NS (135) / NA (136),
    // target address at offset 8 of the message.
    if (l3[6] != 58) return XDP_PASS;
    if ((void *)(l3 + 40 + 16) > end) return XDP_PASS;  // an RA's fixed part
    if (l3[40] == 134 && (flags & STEER_V6_RA)) return to_xsk(ctx);
    if ((void *)(l3 + 40 + 24) > end) return XDP_PASS;
    if (l3[40] != 135 && l3[40] != 136) return XDP_PASS;
    __builtin_memcpy(&k, l3 + 48, 16);
    return bpf_map_lookup_elem(&stackd_addrs6, &k) ? to_xsk(ctx) : XDP_PASS;
  }

  // ETH_P_8021Q / ETH_P_8021AD and everything else: the kernel's.
  return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
