// RTP packets (RFC 3550 section 5.1): parsing a datagram into a view of its fields, and
// writing the fixed 12-byte header. Parsing never reads past `size` and never allocates.
#pragma once
#include <cstddef>
#include <cstdint>

namespace confmix::rtp {

/** Bytes in the fixed RTP header. */
constexpr size_t kRtpHeaderSize = 12;
/** Most CSRCs one header can list (a 4-bit count). */
constexpr size_t kMaxCsrcs = 15;

/** The outcome of ParseRtp: kOk, or why the datagram is not an RTP packet we accept. */
enum class RtpParseResult : uint8_t {
  kOk = 0,
  kTooShort,          // shorter than the fixed header
  kBadVersion,        // version field is not 2
  kCsrcOverrun,       // the CSRC list runs past the end
  kExtensionOverrun,  // the header extension, or the length it claims, runs past the end
  kBadPadding,        // padding bit set but the count is 0 or longer than the payload
  kNotRtp,            // RTCP sharing the port (rtcp-mux): second byte 200..204
};
/** Number of RtpParseResult values (the size of a counter array indexed by them). */
constexpr size_t kRtpParseResultCount = 7;

/** Stable kebab-case name of a result, e.g. "csrc-overrun"; "ok" for kOk. */
const char* RtpParseResultName(RtpParseResult result);

/** The fields of one parsed packet. Pointers view the caller's datagram. */
struct RtpPacketView {
  uint8_t version = 0;                     // always 2 once parsed
  bool padding = false;                    // P bit
  bool extension = false;                  // X bit
  bool marker = false;                     // M bit
  uint8_t payload_type = 0;                // 7 bits
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrc_count = 0;                  // entries used in `csrcs`
  uint32_t csrcs[kMaxCsrcs] = {};
  uint16_t extension_profile = 0;          // "defined by profile" word, when `extension`
  const uint8_t* extension_data = nullptr;  // extension body (after its 4-byte header)
  size_t extension_size = 0;               // bytes in the extension body
  const uint8_t* payload = nullptr;         // payload, padding removed
  size_t payload_size = 0;
  uint8_t padding_size = 0;                // padding bytes removed from the end
};

/** Parses `data`; on kOk fills `out`, otherwise leaves `out` unspecified. */
RtpParseResult ParseRtp(const uint8_t* data, size_t size, RtpPacketView* out);

/** True when the datagram is RTCP multiplexed with RTP (RFC 5761: version 2, type 200..204). */
bool IsMuxedRtcp(const uint8_t* data, size_t size);

/** Writes a 12-byte header with no CSRC, extension or padding to `out`. */
void WriteRtpHeader(uint8_t* out, bool marker, uint8_t payload_type, uint16_t sequence,
                    uint32_t timestamp, uint32_t ssrc);

}  // namespace confmix::rtp
