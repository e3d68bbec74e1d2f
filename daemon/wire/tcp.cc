#include "wire/tcp.h"

#include <cstring>

namespace stackd::wire {

namespace {

constexpr size_t kMssLen = 4;
constexpr size_t kWsLen = 3;
constexpr size_t kSackOkLen = 2;
constexpr size_t kTsLen = 10;

size_t pad4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

Expected<TcpOptions> TcpOptions::parse(std::span<const uint8_t> opts) {
  TcpOptions o;
  size_t i = 0;
  const size_t n = opts.size();
  while (i < n) {
    uint8_t kind = opts[i];
    if (kind == tcp_opt::kEol) break;  // RFC 9293 §3.1: end of option list
    if (kind == tcp_opt::kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return DropReason::kTcpBadOptions;  // no room for the length
    size_t len = opts[i + 1];
    if (len < 2 || len > n - i) return DropReason::kTcpBadOptions;
    const uint8_t* p = opts.data() + i + 2;
    switch (kind) {
      case tcp_opt::kMss:
        if (len != kMssLen) return DropReason::kTcpBadOptions;
        o.mss = load_be16(p);
        break;
      case tcp_opt::kWindowScale:
        if (len != kWsLen) return DropReason::kTcpBadOptions;
        o.window_scale = p[0];
        break;
      case tcp_opt::kSackPermitted:
        if (len != kSackOkLen) return DropReason::kTcpBadOptions;
        o.sack_permitted = true;
        break;
      case tcp_opt::kSack: {
        // RFC 2018 §3: 8n + 2 bytes, n >= 1 (at most 4 fit in 40 bytes).
        if (len < 10 || (len - 2) % 8 != 0) return DropReason::kTcpBadOptions;
        o.sack_count = static_cast<uint8_t>((len - 2) / 8);
        for (size_t k = 0; k < o.sack_count; ++k)
          o.sack[k] = {load_be32(p + 8 * k), load_be32(p + 8 * k + 4)};
        break;
      }
      case tcp_opt::kTimestamps:
        if (len != kTsLen) return DropReason::kTcpBadOptions;
        o.timestamps = TcpTimestamps{load_be32(p), load_be32(p + 4)};
        break;
      default:
        if (o.unknown_count < kTcpMaxUnknownOptions)
          o.unknown[o.unknown_count++] = {kind, std::span<const uint8_t>(p, len - 2)};
        break;
    }
    i += len;
  }
  return o;
}

size_t TcpOptions::compact_len() const {
  size_t n = 0;
  if (mss) n += kMssLen;
  if (window_scale) n += kWsLen;
  if (sack_permitted) n += kSackOkLen;
  if (timestamps) n += kTsLen;
  if (sack_count) n += 2 + 8 * size_t{sack_count};
  for (const auto& u : unknown_options()) n += 2 + u.data.size();
  return n;
}

size_t TcpOptions::aligned_len() const {
  size_t n = 0;
  if (mss) n += 4;
  if (window_scale) n += 4;                   // NOP WS
  if (sack_permitted && timestamps) n += 12;  // SACKOK TS
  else if (timestamps) n += 12;               // NOP NOP TS
  else if (sack_permitted) n += 4;            // NOP NOP SACKOK
  if (sack_count) n += 4 + 8 * size_t{sack_count};  // NOP NOP SACK
  for (const auto& u : unknown_options()) n += 2 + u.data.size();
  return n;
}

size_t TcpOptions::emitted_len() const {
  size_t a = pad4(aligned_len());
  return a <= kTcpMaxOptionsLen ? a : pad4(compact_len());
}

void TcpOptions::emit(std::span<uint8_t> out) const {
  assert(out.size() == emitted_len() && out.size() <= kTcpMaxOptionsLen);
  const bool aligned = pad4(aligned_len()) <= kTcpMaxOptionsLen;
  uint8_t* p = out.data();
  auto nop = [&](int count) {
    if (!aligned) return;
    for (int k = 0; k < count; ++k) *p++ = tcp_opt::kNop;
  };
  if (mss) {
    p[0] = tcp_opt::kMss;
    p[1] = kMssLen;
    store_be16(p + 2, *mss);
    p += kMssLen;
  }
  if (window_scale) {
    nop(1);
    p[0] = tcp_opt::kWindowScale;
    p[1] = kWsLen;
    p[2] = *window_scale;
    p += kWsLen;
  }
  if (sack_permitted) {
    if (!timestamps) nop(2);
    p[0] = tcp_opt::kSackPermitted;
    p[1] = kSackOkLen;
    p += kSackOkLen;
  }
  if (timestamps) {
    if (!sack_permitted) nop(2);
    p[0] = tcp_opt::kTimestamps;
    p[1] = kTsLen;
    store_be32(p + 2, timestamps->tsval);
    store_be32(p + 6, timestamps->tsecr);
    p += kTsLen;
  }
  if (sack_count) {
    nop(2);
    p[0] = tcp_opt::kSack;
    p[1] = static_cast<uint8_t>(2 + 8 * sack_count);
    p += 2;
    for (const auto& b : sack_blocks()) {
      store_be32(p, b.left);
      store_be32(p + 4, b.right);
      p += 8;
    }
  }
  for (const auto& u : unknown_options()) {
    p[0] = u.kind;
    p[1] = static_cast<uint8_t>(2 + u.data.size());
    if (!u.data.empty()) std::memmove(p + 2, u.data.data(), u.data.size());
    p += 2 + u.data.size();
  }
  // RFC 9293 §3.1: the padding is zeros (an EOL followed by zeros).
  std::memset(p, 0, static_cast<size_t>(out.data() + out.size() - p));
}

bool TcpOptions::operator==(const TcpOptions& o) const {
  if (mss != o.mss || window_scale != o.window_scale || sack_permitted != o.sack_permitted ||
      timestamps != o.timestamps || sack_count != o.sack_count ||
      unknown_count != o.unknown_count)
    return false;
  return std::ranges::equal(sack_blocks(), o.sack_blocks()) &&
         std::ranges::equal(unknown_options(), o.unknown_options());
}

Expected<TcpRepr> TcpRepr::parse(TcpView<const uint8_t> v, const IpAddr& src, const IpAddr& dst,
                                 ChecksumCheck check) {
  if (check == ChecksumCheck::kVerify && !v.verify_checksum(src, dst))
    return DropReason::kTcpBadChecksum;
  auto opts = TcpOptions::parse(v.options());
  if (!opts) return opts.error();
  TcpRepr r;
  r.src_port = v.src_port();
  r.dst_port = v.dst_port();
  r.seq = v.seq();
  r.ack = v.ack();
  r.flags = v.flags();
  r.window = v.window();
  r.urgent = v.urgent();
  r.options = *opts;
  r.payload_len = static_cast<uint32_t>(v.payload().size());
  return r;
}

Expected<TcpRepr> TcpRepr::parse(std::span<const uint8_t> bytes, const IpAddr& src,
                                 const IpAddr& dst, ChecksumCheck check) {
  auto v = TcpView<const uint8_t>::checked(bytes);
  if (!v) return v.error();
  return parse(*v, src, dst, check);
}

void TcpRepr::emit(std::span<uint8_t> buf, const IpAddr& src, const IpAddr& dst) const {
  const size_t hl = header_len();
  assert(buf.size() == hl + payload_len);
  TcpView<uint8_t> v(buf);
  v.set_src_port(src_port);
  v.set_dst_port(dst_port);
  v.set_seq(seq);
  v.set_ack(ack);
  buf[12] = static_cast<uint8_t>((hl / 4) << 4);
  v.set_flags(flags);
  v.set_window(window);
  v.set_urgent(urgent);
  options.emit(buf.subspan(kTcpMinHeaderLen, hl - kTcpMinHeaderLen));
  v.fill_checksum(src, dst);
}

}  // namespace stackd::wire
