#include "core/rtp/rtp_packet.h"

namespace confmix::rtp {
namespace {

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t Read32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

void Write32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

const char* RtpParseResultName(RtpParseResult result) {
  switch (result) {
    case RtpParseResult::kOk: return "ok";
    case RtpParseResult::kTooShort: return "too-short";
    case RtpParseResult::kBadVersion: return "bad-version";
    case RtpParseResult::kCsrcOverrun: return "csrc-overrun";
    case RtpParseResult::kExtensionOverrun: return "extension-overrun";
    case RtpParseResult::kBadPadding: return "bad-padding";
    case RtpParseResult::kNotRtp: return "not-rtp";
  }
  return "unknown";
}

bool IsMuxedRtcp(const uint8_t* data, size_t size) {
  return size >= 2 && (data[0] >> 6) == 2 && data[1] >= 200 && data[1] <= 204;
}

RtpParseResult ParseRtp(const uint8_t* data, size_t size, RtpPacketView* out) {
  if (data == nullptr || size < 1) return RtpParseResult::kTooShort;
  if ((data[0] >> 6) != 2) return RtpParseResult::kBadVersion;
  // RTCP is recognised before the length check: an empty RR is only 8 bytes.
  if (IsMuxedRtcp(data, size)) return RtpParseResult::kNotRtp;
  if (size < kRtpHeaderSize) return RtpParseResult::kTooShort;

  out->version = 2;
  out->padding = (data[0] & 0x20) != 0;
  out->extension = (data[0] & 0x10) != 0;
  out->csrc_count = data[0] & 0x0f;
  out->marker = (data[1] & 0x80) != 0;
  out->payload_type = data[1] & 0x7f;
  out->sequence = Read16(data + 2);
  out->timestamp = Read32(data + 4);
  out->ssrc = Read32(data + 8);

  size_t offset = kRtpHeaderSize;
  if (size - offset < static_cast<size_t>(out->csrc_count) * 4) return RtpParseResult::kCsrcOverrun;
  for (size_t i = 0; i < out->csrc_count; ++i, offset += 4) out->csrcs[i] = Read32(data + offset);

  out->extension_profile = 0;
  out->extension_data = nullptr;
  out->extension_size = 0;
  if (out->extension) {
    if (size - offset < 4) return RtpParseResult::kExtensionOverrun;
    out->extension_profile = Read16(data + offset);
    size_t body = static_cast<size_t>(Read16(data + offset + 2)) * 4;
    offset += 4;
    if (size - offset < body) return RtpParseResult::kExtensionOverrun;
    out->extension_data = data + offset;
    out->extension_size = body;
    offset += body;
  }

  size_t remaining = size - offset;
  out->padding_size = 0;
  if (out->padding) {
    // The count sits in the last byte and includes itself, so 0 is never valid.
    uint8_t count = remaining > 0 ? data[size - 1] : 0;
    if (count == 0 || count > remaining) return RtpParseResult::kBadPadding;
    out->padding_size = count;
    remaining -= count;
  }
  out->payload = data + offset;
  out->payload_size = remaining;
  return RtpParseResult::kOk;
}

void WriteRtpHeader(uint8_t* out, bool marker, uint8_t payload_type, uint16_t sequence,
                    uint32_t timestamp, uint32_t ssrc) {
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7f));
  out[2] = static_cast<uint8_t>(sequence >> 8);
  out[3] = static_cast<uint8_t>(sequence);
  Write32(out + 4, timestamp);
  Write32(out + 8, ssrc);
}

}  // namespace confmix::rtp
