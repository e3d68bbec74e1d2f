// Every drop has a typed reason, counted in one place (STYLE.md #14).
// Add reasons here (keep the layer grouping); names are what logs, tests
// and the control plane show.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stackd {

#define STACKD_DROP_REASONS(X)                                                   \
  /* nic / buffers */                                                            \
  X(kNoBuffer, "no_buffer")                 /* pool exhausted */                 \
  X(kTxRingFull, "tx_ring_full")            /* device refused the frame */       \
  X(kFaultInjected, "fault_injected")       /* seeded fault injector */          \
  /* Ethernet */                                                                 \
  X(kEthTruncated, "eth_truncated")                                              \
  X(kEthNotForUs, "eth_not_for_us")         /* unicast to another MAC */         \
  X(kEthMulticastNotJoined, "eth_mcast_not_joined")                              \
  X(kEthSrcMulticast, "eth_src_multicast")                                       \
  X(kEthUnknownType, "eth_unknown_ethertype")                                    \
  X(kEthVlanNotConfigured, "eth_vlan_not_configured")                            \
  X(kIfaceDown, "iface_down")                                                    \
  X(kFrameTooBig, "frame_too_big")          /* larger than the MTU */            \
  /* ARP */                                                                      \
  X(kArpTruncated, "arp_truncated")                                              \
  X(kArpUnsupported, "arp_unsupported")     /* htype/ptype/hlen/plen */          \
  X(kArpBadOp, "arp_bad_op")                                                     \
  X(kArpBadSender, "arp_bad_sender")        /* multicast/broadcast/zero */       \
  X(kArpNotForUs, "arp_not_for_us")                                              \
  X(kArpAddrConflict, "arp_addr_conflict")  /* sender claims our address */      \
  X(kNeighPendingOverflow, "neigh_pending_overflow")                             \
  X(kNeighUnresolved, "neigh_unresolved")   /* resolution failed */              \
  X(kNeighCacheFull, "neigh_cache_full")                                         \
  /* IPv4 (RFC 1122 §3.2.1) */                                                   \
  X(kIpTruncated, "ip_truncated")                                                \
  X(kIpBadVersion, "ip_bad_version")                                             \
  X(kIpBadIhl, "ip_bad_ihl")                                                     \
  X(kIpBadTotalLength, "ip_bad_total_length")                                    \
  X(kIpBadChecksum, "ip_bad_checksum")                                           \
  X(kIpBadSource, "ip_bad_source")          /* broadcast/multicast/loopback */   \
  X(kIpBadOptions, "ip_bad_options")                                             \
  X(kIpTtlExpired, "ip_ttl_expired")                                             \
  X(kIpNotForUs, "ip_not_for_us")           /* no forwarding */                  \
  X(kIpMartianDest, "ip_martian_destination")                                    \
  X(kIpUnknownProtocol, "ip_unknown_protocol")                                   \
  X(kIpNoRoute, "ip_no_route")                                                   \
  X(kIpFragNeededDf, "ip_frag_needed_df")   /* DF set, larger than MTU */        \
  X(kIpFragBad, "ip_frag_bad")              /* bad offset/length */              \
  X(kIpFragOverlap, "ip_frag_overlap")      /* RFC 5722-style discard */         \
  X(kIpFragTooMany, "ip_frag_too_many")                                          \
  X(kIpFragTooBig, "ip_frag_too_big")       /* reassembled > 65535 */            \
  X(kIpReasmTimeout, "ip_reasm_timeout")                                         \
  X(kIpReasmMemory, "ip_reasm_memory")      /* global memory bound */            \
  X(kIpFirewall, "ip_firewall")                                                  \
  X(kFwReject, "fw_reject")                 /* firewall reject (RST/ICMP sent) */ \
  X(kConntrackFull, "conntrack_full")       /* new flow, table at its bound */   \
  X(kIpFragDuplicate, "ip_frag_duplicate")  /* exact duplicate fragment */      \
  X(kIp6NotSupported, "ip6_not_supported")                                       \
  X(kIp6Truncated, "ip6_truncated")                                              \
  X(kIp6BadVersion, "ip6_bad_version")                                           \
  X(kIp6BadPayloadLength, "ip6_bad_payload_length")                             \
  X(kIp6BadExtHeader, "ip6_bad_ext_header")  /* malformed ext header/option */  \
  X(kIp6ExtChainTooLong, "ip6_ext_chain_too_long")  /* walker bound */         \
  X(kNdpBadOption, "ndp_bad_option")        /* length 0 or past the end */      \
  X(kNdpInvalid, "ndp_invalid")             /* RFC 4861 §6.1/§7.1 validity */   \
  X(kIp6BadSource, "ip6_bad_source")        /* multicast/loopback source */     \
  X(kIp6NotForUs, "ip6_not_for_us")         /* no forwarding */                 \
  X(kIp6Tentative, "ip6_tentative_dst")     /* RFC 4862 §5.4: not yet ours */   \
  X(kIp6UnknownOption, "ip6_unknown_option") /* RFC 8200 §4.2 action bits */    \
  X(kIp6Rh0, "ip6_rh0")                     /* RFC 5095: type 0 routing hdr */  \
  X(kIp6UnknownRouting, "ip6_unknown_routing") /* RFC 8200 §4.4, segs left */   \
  X(kIp6FragHeaderChain, "ip6_frag_header_chain") /* RFC 7112 */                \
  X(kIp6UnknownNextHeader, "ip6_unknown_next_header")                           \
  X(kIp6NoRoute, "ip6_no_route")                                                \
  X(kIp6PacketTooBig, "ip6_packet_too_big") /* larger than MTU, no frag */     \
  X(kIp6HopLimitExceeded, "ip6_hop_limit_exceeded")                             \
  X(kNdpBadHopLimit, "ndp_bad_hop_limit")   /* RFC 4861 §7.1: not 255 */       \
  X(kNdpUnsolicitedNoEntry, "ndp_unsolicited_na") /* §7.2.5: no entry, ignored */ \
  X(kNdpDadConflict, "ndp_dad_conflict")    /* RFC 4862 §5.4.3/§5.4.4 */         \
  X(kNdpNotOurTarget, "ndp_not_our_target")                                      \
  X(kNdpIgnored, "ndp_ignored")             /* RS, redirect; RA without accept_ra */ \
  X(kMldInvalid, "mld_invalid")             /* RFC 3810 §5/§6.2: not link-local, hop limit != 1, bad length */ \
  X(kIpLoopbackFull, "ip_loopback_full")    /* local delivery queue bound */    \
  /* ICMP */                                                                     \
  X(kIcmpTruncated, "icmp_truncated")                                            \
  X(kIcmpBadChecksum, "icmp_bad_checksum")                                       \
  X(kIcmpUnknownType, "icmp_unknown_type")                                       \
  X(kIcmpEchoToBroadcast, "icmp_echo_to_broadcast")                              \
  X(kIcmpRateLimited, "icmp_rate_limited")                                       \
  /* UDP */                                                                      \
  X(kUdpTruncated, "udp_truncated")                                              \
  X(kUdpBadLength, "udp_bad_length")                                             \
  X(kUdpBadChecksum, "udp_bad_checksum")                                         \
  X(kUdpNoPort, "udp_no_port")                                                   \
  X(kUdpRcvbufFull, "udp_rcvbuf_full")                                           \
  X(kUdpZeroChecksumV6, "udp_zero_checksum_v6")                                  \
  /* raw sockets */                                                               \
  X(kRawRcvbufFull, "raw_rcvbuf_full")      /* a raw socket's queue bound */     \
  /* TCP (grows with the TCP issue) */                                           \
  X(kTcpTruncated, "tcp_truncated")                                              \
  X(kTcpBadChecksum, "tcp_bad_checksum")                                         \
  X(kTcpBadOffset, "tcp_bad_data_offset")                                        \
  X(kTcpBadOptions, "tcp_bad_options")      /* RFC 9293 MUST-7: illegal length */ \
  X(kTcpNoSocket, "tcp_no_socket")                                              \
  X(kTcpUnacceptable, "tcp_unacceptable")   /* RFC 9293 §3.10.7.4 first check */ \
  X(kTcpPaws, "tcp_paws")                   /* RFC 7323 §5.3 */                  \
  X(kTcpRstInvalid, "tcp_rst_invalid")      /* RFC 5961 §3.2 challenge ACK */    \
  X(kTcpSynInWindow, "tcp_syn_in_window")   /* RFC 5961 §4.2 challenge ACK */    \
  X(kTcpAckInvalid, "tcp_ack_invalid")      /* RFC 5961 §5.2 / unsent data */    \
  X(kTcpNoAck, "tcp_no_ack")                /* §3.10.7.4 fifth: ACK bit off */   \
  X(kTcpOutOfOrder, "tcp_out_of_order")     /* no room to hold it */             \
  X(kTcpListenOverflow, "tcp_listen_overflow")                                   \
  X(kTcpSynCookieBad, "tcp_syn_cookie_bad") /* cookie ACK failed its check */    \
  X(kTcpIcmpOutOfWindow, "tcp_icmp_out_of_window") /* RFC 5927 §4.1 */           \
  X(kTcpSynSentBad, "tcp_syn_sent_bad")     /* §3.10.7.3 */                     \
  X(kTcpChallengeAckLimit, "tcp_challenge_ack_limit") /* RFC 5961 §7 */ \
  X(kTcpNoBuffer, "tcp_no_buffer")          /* buffer pool exhausted */ \
  X(kLinkDown, "link_down")                 /* interface set down (control plane) */

enum class DropReason : uint16_t {
#define STACKD_X(id, name) id,
  STACKD_DROP_REASONS(STACKD_X)
#undef STACKD_X
      kCount
};

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

constexpr std::string_view drop_reason_name(DropReason r) {
  constexpr std::string_view kNames[] = {
#define STACKD_X(id, name) name,
      STACKD_DROP_REASONS(STACKD_X)
#undef STACKD_X
  };
  auto i = static_cast<size_t>(r);
  return i < kDropReasonCount ? kNames[i] : std::string_view("unknown");
}

// The one place drops are counted.
struct DropStats {
  std::array<uint64_t, kDropReasonCount> count{};

  void drop(DropReason r) { ++count[static_cast<size_t>(r)]; }
  uint64_t operator[](DropReason r) const { return count[static_cast<size_t>(r)]; }
  uint64_t total() const {
    uint64_t t = 0;
    for (auto c : count) t += c;
    return t;
  }
};

}  // namespace stackd
