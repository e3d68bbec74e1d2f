// SYN cookies: when the SYN queue is full the listener answers a SYN
// without keeping state, encoding what it must remember in its ISN (and,
// when timestamps are negotiated, in the low bits of its TSval), and
// rebuilds the connection from the returning ACK. The idea is Bernstein's
// and Linux's (net/ipv4/syncookies.c); the layout below is ours.
//
// ISN = H0(tuple, peer_isn) + ( t mod 32  << 27    time counter, 64 s units
//                             | mss_index << 24    index into kSynCookieMss
//                             | H1(tuple, peer_isn, t) mod 2^24 )
// H0, H1 are SipHash-2-4 under the listener's secret. Adding H0 hides the
// counter and the MSS index from anyone who did not send the SYN.
//
// TSval (only when the SYN carried timestamps) = ts_now with its low 6 bits
// replaced by: bits 0-3 the peer's window shift (15 = no window scaling),
// bit 4 SACK-permitted, bit 5 ECN; stepped back 64 if that moved it
// forward, so TSval never runs ahead of our clock (as Linux does). The peer
// echoes it in TSecr. Without timestamps a cookie carries the MSS only and
// the connection goes without window scaling and SACK.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/time.h"
#include "transport/tcp/isn.h"
#include "transport/tcp/seq.h"
#include "transport/tcp/siphash.h"

namespace stackd::tcp {

// MSS values a cookie can carry (3 bits): the largest not above the peer's
// MSS is chosen. Common Ethernet/tunnel/IPv6/jumbo values, Linux-like.
inline constexpr std::array<uint16_t, 8> kSynCookieMss = {536, 1220, 1300, 1380,
                                                          1440, 1460, 4312, 8960};
// The counter ticks every 64 s; a cookie is accepted while the counter has
// moved by less than this (Linux MAX_SYNCOOKIE_AGE): 64 to 128 s of life.
inline constexpr Duration kSynCookiePeriod = Duration::seconds(64);
inline constexpr uint32_t kSynCookieMaxAge = 2;

// What the SYN asked for, and what we must remember of it.
struct SynCookieOptions {
  uint16_t mss = 536;           // the peer's MSS option (RFC 9293 default 536 if absent)
  bool ts_ok = false;           // the SYN carried a timestamp option (RFC 7323)
  uint32_t ts_now = 0;          // our TSval clock now (used only with ts_ok)
  bool ws_ok = false;           // the SYN carried window scaling
  uint8_t peer_wscale = 0;      // its shift count (0..14, RFC 7323 §2.3)
  bool sack_ok = false;         // SACK-permitted (RFC 2018)
  bool ecn_ok = false;          // ECN setup SYN (RFC 3168)
};

struct SynCookie {
  SeqNum isn;                   // our ISN for the SYN-ACK
  std::optional<uint32_t> tsval;  // our TSval for the SYN-ACK (with ts_ok)
};

// What a valid cookie gives back.
struct SynCookieDecoded {
  uint16_t mss = 536;
  bool ts_ok = false;
  bool ws_ok = false;
  uint8_t peer_wscale = 0;
  bool sack_ok = false;
  bool ecn_ok = false;
};

// The counter for `now` (64 s units, full width).
constexpr uint32_t syn_cookie_counter(Instant now) {
  return static_cast<uint32_t>(static_cast<uint64_t>(now.ns) /
                               static_cast<uint64_t>(kSynCookiePeriod.ns));
}

// Index into kSynCookieMss for a peer MSS (0 when even 536 is too large,
// as Linux does).
uint8_t syn_cookie_mss_index(uint16_t peer_mss);

// Make the SYN-ACK's ISN (and TSval) for a SYN from `t.remote`.
SynCookie syn_cookie_encode(const ConnTuple& t, SeqNum peer_isn, const SynCookieOptions& opt,
                            Instant now, const SipKey& secret);

// Check the ACK completing a cookie handshake: `cookie` = SEG.ACK - 1,
// `peer_isn` = SEG.SEQ - 1, `tsecr` the ACK's TSecr if it carried
// timestamps. nullopt when the cookie is forged, for another tuple, or
// too old.
std::optional<SynCookieDecoded> syn_cookie_decode(const ConnTuple& t, SeqNum cookie,
                                                  SeqNum peer_isn, std::optional<uint32_t> tsecr,
                                                  Instant now, const SipKey& secret);

}  // namespace stackd::tcp
