// RTCP packets (RFC 3550 section 6): building SR, RR, SDES CNAME and BYE into a caller's
// buffer, and parsing compound packets with every length checked. No allocation when
// building; parsing reuses the vectors of a ParsedRtcp, so a reused one stops allocating.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace confmix::rtcp {

constexpr uint8_t kTypeSr = 200;
constexpr uint8_t kTypeRr = 201;
constexpr uint8_t kTypeSdes = 202;
constexpr uint8_t kTypeBye = 203;
constexpr uint8_t kTypeApp = 204;
constexpr uint8_t kSdesCname = 1;
/** Report blocks and BYE sources one packet can carry (a 5-bit count). */
constexpr size_t kMaxCount = 31;
/** Longest SDES item text or BYE reason (an 8-bit length). */
constexpr size_t kMaxTextBytes = 255;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
constexpr uint64_t kNtpUnixOffsetSeconds = 2208988800ULL;

/** A 64-bit NTP timestamp: seconds since 1900 in the high word, fraction in the low. */
using NtpTime = uint64_t;

/** NTP time of `unix_ms` milliseconds since the Unix epoch (fractions kept). */
NtpTime NtpFromUnixMs(double unix_ms);
/** Milliseconds since the Unix epoch of an NTP time. */
double UnixMsFromNtp(NtpTime ntp);
/** The middle 32 bits of an NTP time: the LSR / arrival format, in 1/65536 s. */
inline uint32_t NtpMiddle32(NtpTime ntp) { return static_cast<uint32_t>(ntp >> 16); }

/** One reception report block (RFC 3550 6.4.1). */
struct ReportBlock {
  uint32_t ssrc = 0;                       // the source this block reports on
  uint8_t fraction_lost = 0;               // lost since the last report, in 1/256
  int32_t cumulative_lost = 0;             // signed 24-bit: -0x800000 .. 0x7fffff
  uint32_t extended_highest_sequence = 0;  // cycles << 16 | highest sequence
  uint32_t jitter = 0;                     // interarrival jitter, RTP clock units
  uint32_t lsr = 0;                        // middle 32 bits of the last SR's NTP time, 0 if none
  uint32_t dlsr = 0;                       // delay since that SR, 1/65536 s
};

/** The sender info of an SR. */
struct SenderInfo {
  NtpTime ntp = 0;             // wall clock when the report was made
  uint32_t rtp_timestamp = 0;  // the same instant on the RTP clock
  uint32_t packet_count = 0;   // RTP packets sent since the start
  uint32_t octet_count = 0;    // payload octets sent since the start
};

/** What one SR or RR compound packet says. */
struct ReportInput {
  uint32_t ssrc = 0;                   // our SSRC
  bool has_sender_info = false;        // true: SR; false: RR
  SenderInfo sender;                   // used when has_sender_info
  const ReportBlock* blocks = nullptr;  // up to kMaxCount
  size_t block_count = 0;
  std::string_view cname;              // SDES CNAME; empty: no SDES packet
};

/** Bytes BuildReport needs for `input`, or 0 if the input cannot be encoded. */
size_t ReportSize(const ReportInput& input);
/** Writes SR/RR (then SDES CNAME) to `out`; returns bytes written, 0 if invalid or no room. */
size_t BuildReport(const ReportInput& input, uint8_t* out, size_t capacity);
/** Writes an empty RR then a BYE for `ssrc` with an optional reason (compound, so
 *  RFC 3550 receivers accept it); returns bytes written, 0 if invalid or no room. */
size_t BuildBye(uint32_t ssrc, std::string_view reason, uint8_t* out, size_t capacity);

/** Why a compound packet was rejected. */
enum class ParseError : uint8_t {
  kNone,
  kTooShort,         // fewer than 4 bytes, or a header without room for its SSRC
  kBadVersion,       // version is not 2
  kBadPacketType,    // not an RTCP type (192..223): an RTP packet, say
  kBadLength,        // a length field runs past the end of the datagram
  kBadPadding,       // padding on a packet that is not the last, or a bad pad count
  kBadReportCount,   // SR/RR blocks do not fit its length
  kBadSdes,          // an SDES chunk or item runs past its packet, or is not terminated
  kBadBye,           // BYE sources or reason run past its packet
  kBadApp,           // APP shorter than its fixed header
};
constexpr size_t kParseErrorCount = 10;
/** A stable kebab-case name for `error` ("bad-length" ...). */
const char* ParseErrorName(ParseError error);

/** One SDES item; `text` points into the parsed datagram. */
struct SdesItem {
  uint32_t ssrc = 0;   // the chunk's source
  uint8_t chunk = 0;   // index of the chunk within its packet
  uint8_t type = 0;    // 1 CNAME, 2 NAME, ... 8 PRIV
  std::string_view text;
};

/** One packet of a compound; the index ranges point into ParsedRtcp's shared vectors. */
struct PacketView {
  uint8_t type = 0;           // kTypeSr .. kTypeApp
  uint8_t count = 0;          // RC / SC / subtype
  uint32_t ssrc = 0;          // sender (SR, RR, APP); first source (BYE); 0 (SDES)
  SenderInfo sender;          // SR only
  size_t first_block = 0;     // SR/RR: into report_blocks
  size_t block_count = 0;
  size_t first_item = 0;      // SDES: into sdes_items
  size_t item_count = 0;
  size_t chunk_count = 0;     // SDES: chunks (sources), including ones with no items
  size_t first_source = 0;    // BYE: into bye_sources
  size_t source_count = 0;
  bool has_reason = false;    // BYE
  std::string_view reason;    // BYE; points into the datagram
  std::string_view app_name;  // APP: 4 ASCII characters
  std::string_view app_data;  // APP
};

/** A parsed compound packet. Views point into the datagram, which must outlive them. */
struct ParsedRtcp {
  std::vector<PacketView> packets;        // SR, RR, SDES, BYE, APP in order
  std::vector<ReportBlock> report_blocks;
  std::vector<SdesItem> sdes_items;
  std::vector<uint32_t> bye_sources;
  size_t skipped = 0;                     // RTCP packets of other types (RTPFB, XR ...)
  /** Empties every list, keeping capacity. */
  void Clear();
};

/** Parses one datagram; on error `out` is cleared and the error says why. */
ParseError ParseCompound(const uint8_t* data, size_t size, ParsedRtcp* out);

/** Parses datagrams into one reused ParsedRtcp and counts the rejects by reason. */
class RtcpReader {
 public:
  /** Parses `data`; the result is in parsed() until the next call. */
  ParseError Read(const uint8_t* data, size_t size);
  /** The last datagram's packets (empty after an error). */
  const ParsedRtcp& parsed() const { return parsed_; }
  /** Datagrams parsed without error. */
  uint64_t accepted() const { return accepted_; }
  /** Datagrams rejected for `error`. */
  uint64_t rejected(ParseError error) const { return rejected_[static_cast<size_t>(error)]; }

 private:
  ParsedRtcp parsed_;
  uint64_t accepted_ = 0;
  uint64_t rejected_[kParseErrorCount] = {};
};

}  // namespace confmix::rtcp
