#include "transport/tcp/syn_cookie.h"

namespace stackd::tcp {
namespace {

constexpr uint32_t kHashBits = 24;
constexpr uint32_t kHashMask = (1u << kHashBits) - 1;
constexpr uint32_t kCounterMask = 31;  // 5 bits
constexpr uint32_t kTsOptBits = 6;
constexpr uint32_t kTsOptMask = (1u << kTsOptBits) - 1;
constexpr uint32_t kTsWscaleNone = 0xf;
constexpr uint32_t kTsSack = 1u << 4;
constexpr uint32_t kTsEcn = 1u << 5;

uint32_t h0(const ConnTuple& t, SeqNum peer_isn, const SipKey& k) {
  TupleBytes b;
  b.u32(0x636b3030u).tuple(t).u32(peer_isn.raw());  // "ck00"
  return static_cast<uint32_t>(siphash24(k, b.bytes()));
}

uint32_t h1(const ConnTuple& t, SeqNum peer_isn, uint32_t counter, const SipKey& k) {
  TupleBytes b;
  b.u32(0x636b3031u).tuple(t).u32(peer_isn.raw()).u32(counter);  // "ck01"
  return static_cast<uint32_t>(siphash24(k, b.bytes())) & kHashMask;
}

}  // namespace

uint8_t syn_cookie_mss_index(uint16_t peer_mss) {
  uint8_t idx = 0;
  for (uint8_t i = 0; i < kSynCookieMss.size(); ++i)
    if (kSynCookieMss[i] <= peer_mss) idx = i;
  return idx;
}

SynCookie syn_cookie_encode(const ConnTuple& t, SeqNum peer_isn, const SynCookieOptions& opt,
                            Instant now, const SipKey& secret) {
  const uint32_t counter = syn_cookie_counter(now);
  const uint32_t mss_idx = syn_cookie_mss_index(opt.mss);
  const uint32_t v = ((counter & kCounterMask) << 27) | (mss_idx << kHashBits) |
                     h1(t, peer_isn, counter, secret);
  SynCookie c{SeqNum(h0(t, peer_isn, secret) + v), std::nullopt};
  if (opt.ts_ok) {
    uint32_t bits = opt.ws_ok && opt.peer_wscale <= 14 ? opt.peer_wscale : kTsWscaleNone;
    if (opt.sack_ok) bits |= kTsSack;
    if (opt.ecn_ok) bits |= kTsEcn;
    uint32_t ts = (opt.ts_now & ~kTsOptMask) | bits;
    // Never ahead of our clock (modular: the TS clock wraps too).
    if (static_cast<int32_t>(ts - opt.ts_now) > 0) ts -= kTsOptMask + 1;
    c.tsval = ts;
  }
  return c;
}

std::optional<SynCookieDecoded> syn_cookie_decode(const ConnTuple& t, SeqNum cookie,
                                                  SeqNum peer_isn, std::optional<uint32_t> tsecr,
                                                  Instant now, const SipKey& secret) {
  const uint32_t v = cookie.raw() - h0(t, peer_isn, secret);
  const uint32_t counter_now = syn_cookie_counter(now);
  // How many periods ago the cookie was made (mod 32): one from the
  // future wraps to a large age and is refused too.
  const uint32_t age = (counter_now - (v >> 27)) & kCounterMask;
  if (age >= kSynCookieMaxAge) return std::nullopt;
  const uint32_t counter = counter_now - age;
  if ((v & kHashMask) != h1(t, peer_isn, counter, secret)) return std::nullopt;

  SynCookieDecoded d;
  d.mss = kSynCookieMss[(v >> kHashBits) & 7];
  if (tsecr) {
    // RFC 7323: the ACK echoes our SYN-ACK's TSval; its low bits are the
    // options we chose not to keep state for.
    const uint32_t bits = *tsecr & kTsOptMask;
    d.ts_ok = true;
    const uint32_t ws = bits & 0xf;
    d.ws_ok = ws != kTsWscaleNone;
    d.peer_wscale = d.ws_ok ? static_cast<uint8_t>(ws) : 0;
    d.sack_ok = (bits & kTsSack) != 0;
    d.ecn_ok = (bits & kTsEcn) != 0;
  }
  return d;
}

}  // namespace stackd::tcp
