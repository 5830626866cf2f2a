#include "core/rtp/rtcp.h"

#include <cmath>

namespace confmix::rtcp {
namespace {

constexpr size_t kHeaderBytes = 4;
constexpr size_t kSenderInfoBytes = 20;
constexpr size_t kReportBlockBytes = 24;
constexpr int32_t kMaxCumulativeLost = 0x7fffff;
constexpr int32_t kMinCumulativeLost = -0x800000;

void Put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
uint32_t Get16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
size_t RoundUp4(size_t n) { return (n + 3) & ~size_t{3}; }

// Writes a common header; `bytes` is the whole packet, a multiple of 4.
void PutHeader(uint8_t* p, uint8_t count, uint8_t type, size_t bytes) {
  p[0] = static_cast<uint8_t>(0x80 | count);
  p[1] = type;
  Put16(p + 2, static_cast<uint32_t>(bytes / 4 - 1));
}

void PutReportBlock(uint8_t* p, const ReportBlock& block) {
  int32_t lost = block.cumulative_lost;
  if (lost > kMaxCumulativeLost) lost = kMaxCumulativeLost;
  if (lost < kMinCumulativeLost) lost = kMinCumulativeLost;
  Put32(p, block.ssrc);
  // Two's complement in 24 bits, after the 8-bit fraction.
  Put32(p + 4, (uint32_t{block.fraction_lost} << 24) | (static_cast<uint32_t>(lost) & 0xffffff));
  Put32(p + 8, block.extended_highest_sequence);
  Put32(p + 12, block.jitter);
  Put32(p + 16, block.lsr);
  Put32(p + 20, block.dlsr);
}

ReportBlock GetReportBlock(const uint8_t* p) {
  ReportBlock block;
  block.ssrc = Get32(p);
  block.fraction_lost = p[4];
  uint32_t lost = Get32(p + 4) & 0xffffff;
  // Sign-extend the 24-bit field.
  block.cumulative_lost = (lost & 0x800000) ? static_cast<int32_t>(lost) - 0x1000000
                                            : static_cast<int32_t>(lost);
  block.extended_highest_sequence = Get32(p + 8);
  block.jitter = Get32(p + 12);
  block.lsr = Get32(p + 16);
  block.dlsr = Get32(p + 20);
  return block;
}

size_t ReportPacketBytes(const ReportInput& input) {
  return kHeaderBytes + 4 + (input.has_sender_info ? kSenderInfoBytes : 0) +
         input.block_count * kReportBlockBytes;
}

// One chunk with one CNAME item, its END byte and padding.
size_t SdesPacketBytes(std::string_view cname) {
  return kHeaderBytes + 4 + RoundUp4(2 + cname.size() + 1);
}

size_t ByePacketBytes(std::string_view reason) {
  return kHeaderBytes + 4 + (reason.empty() ? 0 : RoundUp4(1 + reason.size()));
}

}  // namespace

NtpTime NtpFromUnixMs(double unix_ms) {
  if (!(unix_ms > 0)) unix_ms = 0;  // NaN too
  double whole_ms = std::floor(unix_ms);
  uint64_t ms = static_cast<uint64_t>(whole_ms);
  uint64_t seconds = ms / 1000 + kNtpUnixOffsetSeconds;
  double sub_second_ms = static_cast<double>(ms % 1000) + (unix_ms - whole_ms);
  uint64_t fraction = static_cast<uint64_t>(std::llround(sub_second_ms * 4294967.296));
  if (fraction > 0xffffffffULL) {  // rounded up to the next second
    fraction -= 0x100000000ULL;
    ++seconds;
  }
  return (seconds << 32) | fraction;
}

double UnixMsFromNtp(NtpTime ntp) {
  double seconds = static_cast<double>(ntp >> 32) - static_cast<double>(kNtpUnixOffsetSeconds);
  return seconds * 1000.0 + static_cast<double>(ntp & 0xffffffffULL) / 4294967.296;
}

size_t ReportSize(const ReportInput& input) {
  if (input.block_count > kMaxCount || (input.block_count > 0 && input.blocks == nullptr) ||
      input.cname.size() > kMaxTextBytes) {
    return 0;
  }
  return ReportPacketBytes(input) + (input.cname.empty() ? 0 : SdesPacketBytes(input.cname));
}

size_t BuildReport(const ReportInput& input, uint8_t* out, size_t capacity) {
  size_t total = ReportSize(input);
  if (total == 0 || total > capacity || out == nullptr) return 0;
  uint8_t* p = out;
  size_t report_bytes = ReportPacketBytes(input);
  PutHeader(p, static_cast<uint8_t>(input.block_count),
            input.has_sender_info ? kTypeSr : kTypeRr, report_bytes);
  Put32(p + 4, input.ssrc);
  p += 8;
  if (input.has_sender_info) {
    Put32(p, static_cast<uint32_t>(input.sender.ntp >> 32));
    Put32(p + 4, static_cast<uint32_t>(input.sender.ntp));
    Put32(p + 8, input.sender.rtp_timestamp);
    Put32(p + 12, input.sender.packet_count);
    Put32(p + 16, input.sender.octet_count);
    p += kSenderInfoBytes;
  }
  for (size_t i = 0; i < input.block_count; ++i) {
    PutReportBlock(p, input.blocks[i]);
    p += kReportBlockBytes;
  }
  if (!input.cname.empty()) {
    size_t sdes_bytes = SdesPacketBytes(input.cname);
    PutHeader(p, 1, kTypeSdes, sdes_bytes);
    Put32(p + 4, input.ssrc);
    p[8] = kSdesCname;
    p[9] = static_cast<uint8_t>(input.cname.size());
    for (size_t i = 0; i < input.cname.size(); ++i) p[10 + i] = static_cast<uint8_t>(input.cname[i]);
    // The END item and padding are zeros.
    for (size_t i = 10 + input.cname.size(); i < sdes_bytes; ++i) p[i] = 0;
    p += sdes_bytes;
  }
  return static_cast<size_t>(p - out);
}

size_t BuildBye(uint32_t ssrc, std::string_view reason, uint8_t* out, size_t capacity) {
  if (reason.size() > kMaxTextBytes || out == nullptr) return 0;
  ReportInput empty_rr;
  empty_rr.ssrc = ssrc;
  size_t rr_bytes = ReportPacketBytes(empty_rr);
  size_t bye_bytes = ByePacketBytes(reason);
  if (rr_bytes + bye_bytes > capacity) return 0;
  BuildReport(empty_rr, out, capacity);
  uint8_t* p = out + rr_bytes;
  PutHeader(p, 1, kTypeBye, bye_bytes);
  Put32(p + 4, ssrc);
  if (!reason.empty()) {
    p[8] = static_cast<uint8_t>(reason.size());
    for (size_t i = 0; i < reason.size(); ++i) p[9 + i] = static_cast<uint8_t>(reason[i]);
    for (size_t i = 9 + reason.size(); i < bye_bytes; ++i) p[i] = 0;
  }
  return rr_bytes + bye_bytes;
}

const char* ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kNone: return "none";
    case ParseError::kTooShort: return "too-short";
    case ParseError::kBadVersion: return "bad-version";
    case ParseError::kBadPacketType: return "bad-packet-type";
    case ParseError::kBadLength: return "bad-length";
    case ParseError::kBadPadding: return "bad-padding";
    case ParseError::kBadReportCount: return "bad-report-count";
    case ParseError::kBadSdes: return "bad-sdes";
    case ParseError::kBadBye: return "bad-bye";
    case ParseError::kBadApp: return "bad-app";
  }
  return "unknown";
}

void ParsedRtcp::Clear() {
  packets.clear();
  report_blocks.clear();
  sdes_items.clear();
  bye_sources.clear();
  skipped = 0;
}

namespace {

// Parses one packet's body [body, end); `packet` is its start (chunks align to it).
ParseError ParsePacket(const uint8_t* packet, const uint8_t* end, uint8_t type, uint8_t count,
                       ParsedRtcp* out) {
  const uint8_t* p = packet + kHeaderBytes;
  size_t body = static_cast<size_t>(end - p);
  PacketView view;
  view.type = type;
  view.count = count;
  switch (type) {
    case kTypeSr:
    case kTypeRr: {
      size_t fixed = 4 + (type == kTypeSr ? kSenderInfoBytes : 0);
      if (body < fixed) return ParseError::kTooShort;
      if (body - fixed < count * kReportBlockBytes) return ParseError::kBadReportCount;
      view.ssrc = Get32(p);
      p += 4;
      if (type == kTypeSr) {
        view.sender.ntp = (uint64_t{Get32(p)} << 32) | Get32(p + 4);
        view.sender.rtp_timestamp = Get32(p + 8);
        view.sender.packet_count = Get32(p + 12);
        view.sender.octet_count = Get32(p + 16);
        p += kSenderInfoBytes;
      }
      view.first_block = out->report_blocks.size();
      view.block_count = count;
      for (size_t i = 0; i < count; ++i, p += kReportBlockBytes) {
        out->report_blocks.push_back(GetReportBlock(p));
      }
      // Bytes after the blocks are a profile-specific extension: ignored.
      break;
    }
    case kTypeSdes: {
      view.first_item = out->sdes_items.size();
      view.chunk_count = count;
      for (size_t chunk = 0; chunk < count; ++chunk) {
        if (end - p < 4) return ParseError::kBadSdes;
        uint32_t source = Get32(p);
        p += 4;
        for (;;) {
          if (p >= end) return ParseError::kBadSdes;  // no END item
          uint8_t item_type = *p;
          if (item_type == 0) {
            // END, then zeros up to the next 32-bit boundary of the packet.
            size_t offset = RoundUp4(static_cast<size_t>(p + 1 - packet));
            if (offset > static_cast<size_t>(end - packet)) return ParseError::kBadSdes;
            p = packet + offset;
            break;
          }
          if (end - p < 2) return ParseError::kBadSdes;
          size_t length = p[1];
          if (static_cast<size_t>(end - p) < 2 + length) return ParseError::kBadSdes;
          SdesItem item;
          item.ssrc = source;
          item.chunk = static_cast<uint8_t>(chunk);
          item.type = item_type;
          item.text = std::string_view(reinterpret_cast<const char*>(p + 2), length);
          out->sdes_items.push_back(item);
          p += 2 + length;
        }
      }
      view.item_count = out->sdes_items.size() - view.first_item;
      break;
    }
    case kTypeBye: {
      if (body < count * size_t{4}) return ParseError::kBadBye;
      view.first_source = out->bye_sources.size();
      view.source_count = count;
      for (size_t i = 0; i < count; ++i, p += 4) out->bye_sources.push_back(Get32(p));
      if (count > 0) view.ssrc = out->bye_sources[view.first_source];
      if (p < end) {
        size_t length = *p;
        if (static_cast<size_t>(end - p) < 1 + length) return ParseError::kBadBye;
        view.has_reason = true;
        view.reason = std::string_view(reinterpret_cast<const char*>(p + 1), length);
      }
      break;
    }
    case kTypeApp: {
      if (body < 8) return ParseError::kBadApp;
      view.ssrc = Get32(p);
      view.app_name = std::string_view(reinterpret_cast<const char*>(p + 4), 4);
      view.app_data = std::string_view(reinterpret_cast<const char*>(p + 8), body - 8);
      break;
    }
    default:
      ++out->skipped;
      return ParseError::kNone;
  }
  out->packets.push_back(view);
  return ParseError::kNone;
}

ParseError ParseAll(const uint8_t* data, size_t size, ParsedRtcp* out) {
  if (data == nullptr || size < kHeaderBytes) return ParseError::kTooShort;
  size_t pos = 0;
  while (pos < size) {
    if (size - pos < kHeaderBytes) return ParseError::kTooShort;
    const uint8_t* packet = data + pos;
    if ((packet[0] >> 6) != 2) return ParseError::kBadVersion;
    bool padded = (packet[0] & 0x20) != 0;
    uint8_t count = packet[0] & 0x1f;
    uint8_t type = packet[1];
    // 192..223 is RTCP's range (RFC 5761); anything else is RTP or noise.
    if (type < 192 || type > 223) return ParseError::kBadPacketType;
    size_t length = (Get16(packet + 2) + size_t{1}) * 4;
    if (length > size - pos) return ParseError::kBadLength;
    const uint8_t* end = packet + length;
    if (padded) {
      // Only the last packet of a compound may be padded.
      if (pos + length != size) return ParseError::kBadPadding;
      size_t pad = end[-1];
      if (pad == 0 || pad > length - kHeaderBytes) return ParseError::kBadPadding;
      end -= pad;
    }
    ParseError error = ParsePacket(packet, end, type, count, out);
    if (error != ParseError::kNone) return error;
    pos += length;
  }
  return ParseError::kNone;
}

}  // namespace

ParseError ParseCompound(const uint8_t* data, size_t size, ParsedRtcp* out) {
  out->Clear();
  ParseError error = ParseAll(data, size, out);
  if (error != ParseError::kNone) out->Clear();
  return error;
}

ParseError RtcpReader::Read(const uint8_t* data, size_t size) {
  ParseError error = ParseCompound(data, size, &parsed_);
  if (error == ParseError::kNone) {
    ++accepted_;
  } else {
    ++rejected_[static_cast<size_t>(error)];
  }
  return error;
}

}  // namespace confmix::rtcp
