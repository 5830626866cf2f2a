// RTCP compound packets (SR, RR, SDES, BYE, APP, and lengths that lie) through the parser and a
// leg's RTCP session: every view stays inside the datagram, and the session survives anything.
#include <memory>
#include <string>

#include "core/media/rtcp_session.h"
#include "core/rtp/rtcp.h"
#include "fuzz_check.h"

using namespace confmix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static rtcp::RtcpReader reader;
  const rtcp::ParseError error = reader.Read(data, size);
  FUZZ_CHECK(static_cast<size_t>(error) < rtcp::kParseErrorCount);
  FUZZ_CHECK(rtcp::ParseErrorName(error) != nullptr);
  const rtcp::ParsedRtcp& parsed = reader.parsed();
  if (error != rtcp::ParseError::kNone) FUZZ_CHECK(parsed.packets.empty());
  for (const rtcp::PacketView& packet : parsed.packets) {
    FUZZ_CHECK(packet.first_block + packet.block_count <= parsed.report_blocks.size());
    FUZZ_CHECK(packet.first_item + packet.item_count <= parsed.sdes_items.size());
    FUZZ_CHECK(packet.first_source + packet.source_count <= parsed.bye_sources.size());
    FUZZ_CHECK(fuzz::Within(packet.reason.data(), packet.reason.size(), data, size));
    FUZZ_CHECK(fuzz::Within(packet.app_name.data(), packet.app_name.size(), data, size));
    FUZZ_CHECK(fuzz::Within(packet.app_data.data(), packet.app_data.size(), data, size));
    if (!packet.has_reason) FUZZ_CHECK(packet.reason.empty());
  }
  for (const rtcp::SdesItem& item : parsed.sdes_items) FUZZ_CHECK(fuzz::Within(item.text.data(), item.text.size(), data, size));

  // The same datagram reaching a leg's session, once while we send and once while we do not.
  RtcpSessionConfig config;
  config.cname = "fuzz";
  config.seed = 1;
  config.wall_offset_ms = 1.7e12;
  std::string why;
  auto session = RtcpSession::Create(config, &why);
  FUZZ_CHECK(session != nullptr);
  session->SetReceiveClock(8000);
  RtpArrival arrival;
  arrival.ssrc = size >= 8 ? (static_cast<uint32_t>(data[4]) << 24 | data[5] << 16 | data[6] << 8 | data[7]) : 1;
  arrival.payload_bytes = 160;
  arrival.arrival_ms = 10;
  session->OnRtp(arrival);
  RtcpSenderState sender;
  sender.ssrc = 0x5eed;
  sender.packets_sent = 50;
  sender.octets_sent = 8000;
  const bool ok = session->OnRtcp(data, size, 20, &sender);
  FUZZ_CHECK(ok == (error == rtcp::ParseError::kNone));
  session->OnRtcp(data, size, 40, nullptr);
  session->UpdateSent(&sender);
  const RtcpSessionStats& stats = session->stats();
  FUZZ_CHECK(stats.bye_reason_size <= stats.bye_reason.size());
  if (session->TakeBye()) FUZZ_CHECK(stats.bye);
  uint8_t report[1500];
  const size_t written = session->ReportIfDue(1e6, &sender, report, sizeof report);
  FUZZ_CHECK(written <= sizeof report);
  if (written > 0) FUZZ_CHECK(reader.Read(report, written) == rtcp::ParseError::kNone);
  return 0;
}
