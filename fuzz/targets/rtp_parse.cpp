// RTP header parsing (RFC 3550 5.1) of any datagram: never reads outside it, and what it reports
// adds up to the datagram's size.
#include "core/rtp/rtp_packet.h"
#include "fuzz_check.h"

using namespace confmix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rtp::RtpPacketView view;
  const rtp::RtpParseResult result = rtp::ParseRtp(data, size, &view);
  FUZZ_CHECK(static_cast<size_t>(result) < rtp::kRtpParseResultCount);
  FUZZ_CHECK(rtp::RtpParseResultName(result) != nullptr);
  const bool muxed_rtcp = rtp::IsMuxedRtcp(data, size);
  if (muxed_rtcp) FUZZ_CHECK(result != rtp::RtpParseResult::kOk);
  if (result != rtp::RtpParseResult::kOk) return 0;
  FUZZ_CHECK(view.version == 2);
  FUZZ_CHECK(view.csrc_count <= rtp::kMaxCsrcs);
  FUZZ_CHECK(view.payload_type < 128);
  FUZZ_CHECK(fuzz::Within(view.payload, view.payload_size, data, size));
  if (view.extension) FUZZ_CHECK(fuzz::Within(view.extension_data, view.extension_size, data, size));
  const size_t header = rtp::kRtpHeaderSize + 4 * view.csrc_count + (view.extension ? 4 + view.extension_size : 0);
  FUZZ_CHECK(header + view.payload_size + view.padding_size == size);
  // The fixed header written back from the view reads the same.
  uint8_t rebuilt[rtp::kRtpHeaderSize];
  rtp::WriteRtpHeader(rebuilt, view.marker, view.payload_type, view.sequence, view.timestamp, view.ssrc);
  rtp::RtpPacketView again;
  FUZZ_CHECK(rtp::ParseRtp(rebuilt, sizeof rebuilt, &again) == rtp::RtpParseResult::kOk ||
             rtp::IsMuxedRtcp(rebuilt, sizeof rebuilt));
  return 0;
}
