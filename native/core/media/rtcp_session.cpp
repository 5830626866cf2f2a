#include "core/media/rtcp_session.h"

#include <chrono>
#include <cmath>
#include <cstring>

#include "core/rtp/rtp_sender.h"

namespace confmix {

namespace {

// Enough for the compounds peers send (SR/RR + SDES + BYE) without growing.
constexpr size_t kReservedPackets = 8;
constexpr size_t kReservedBlocks = 8;
constexpr size_t kReservedItems = 8;
constexpr size_t kReservedSources = 4;

double UnitsToMs(uint32_t units, uint32_t clock_rate) {
  return clock_rate == 0 ? 0.0 : static_cast<double>(units) * 1000.0 / clock_rate;
}

double WallOffsetNowMs() {
  using namespace std::chrono;
  const double wall = duration<double, std::milli>(system_clock::now().time_since_epoch()).count();
  const double monotonic = duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
  return wall - monotonic;
}

}  // namespace

std::unique_ptr<RtcpSession> RtcpSession::Create(const RtcpSessionConfig& config, std::string* error) {
  auto fail = [&](const char* why) -> std::unique_ptr<RtcpSession> {
    if (error) *error = why;
    return nullptr;
  };
  if (config.cname.empty() || config.cname.size() > rtcp::kMaxTextBytes) return fail("RTCP CNAME must be 1..255 bytes");
  if (!std::isfinite(config.interval_ms) || config.interval_ms <= 0) return fail("RTCP interval must be positive");
  if (config.wall_offset_ms && !std::isfinite(*config.wall_offset_ms)) return fail("wall clock offset must be finite");
  const uint64_t seed = config.seed != 0
                            ? config.seed
                            : (uint64_t{rtp::RandomRtpWord()} << 32) | rtp::RandomRtpWord();
  const double offset = config.wall_offset_ms ? *config.wall_offset_ms : WallOffsetNowMs();
  return std::unique_ptr<RtcpSession>(new RtcpSession(config, seed, offset, rtp::RandomRtpWord()));
}

RtcpSession::RtcpSession(const RtcpSessionConfig& config, uint64_t seed, double wall_offset_ms, uint32_t own_ssrc)
    : cname_(config.cname),
      wall_offset_ms_(wall_offset_ms),
      own_ssrc_(own_ssrc),
      timer_(seed, config.interval_ms),
      receiver_(8000),
      wait_for_peer_rtcp_(config.wait_for_peer_rtcp) {
  parsed_.packets.reserve(kReservedPackets);
  parsed_.report_blocks.reserve(kReservedBlocks);
  parsed_.sdes_items.reserve(kReservedItems);
  parsed_.bye_sources.reserve(kReservedSources);
  stats_.local_ssrc = own_ssrc;
}

rtcp::NtpTime RtcpSession::NtpAt(double monotonic_ms) const {
  return rtcp::NtpFromUnixMs(monotonic_ms + wall_offset_ms_);
}

void RtcpSession::RestartStatistics() {
  receiver_ = rtcp::ReceiverStats(receive_clock_ == 0 ? 8000 : receive_clock_);
  has_transit_ = false;
  stats_.has_remote_ssrc = false;
  stats_.fraction_lost = 0;
  stats_.cumulative_lost = 0;
  stats_.extended_highest_sequence = 0;
  stats_.jitter = 0;
  stats_.jitter_ms = 0;
  changed_ = true;
}

void RtcpSession::SetReceiveClock(uint32_t clock_rate) {
  if (clock_rate == receive_clock_) return;
  receive_clock_ = clock_rate;
  RestartStatistics();
}

void RtcpSession::OnRtp(const RtpArrival& packet) {
  if (receive_clock_ == 0) return;
  if (!stats_.has_remote_ssrc || packet.ssrc != stats_.remote_ssrc) {
    // A new stream starts its sequence and timestamps afresh. An SR already heard from this
    // source (before its first RTP packet) is kept.
    if (stats_.has_remote_ssrc) RestartStatistics();
    stats_.has_remote_ssrc = true;
    stats_.remote_ssrc = packet.ssrc;
    changed_ = true;
  }
  const uint32_t arrival = rtcp::RtpUnitsFromMs(packet.arrival_ms, receive_clock_);
  uint32_t timestamp = packet.timestamp;
  if (packet.timed) {
    last_transit_ = static_cast<int32_t>(arrival - timestamp);
    has_transit_ = true;
  } else if (has_transit_) {
    // No jitter sample: a timestamp giving the last transit again adds a zero difference.
    timestamp = arrival - static_cast<uint32_t>(last_transit_);
  }
  receiver_.OnRtp(packet.sequence, timestamp, arrival);
  stats_.packets_received++;
  stats_.bytes_received += packet.payload_bytes;
  const int64_t lost = receiver_.cumulative_lost();
  stats_.cumulative_lost = lost;
  stats_.extended_highest_sequence = receiver_.extended_highest_sequence();
  stats_.jitter = receiver_.jitter();
  stats_.jitter_ms = UnitsToMs(stats_.jitter, receive_clock_);
}

void RtcpSession::OnReportBlock(const rtcp::ReportBlock& block, rtcp::NtpTime arrival, const RtcpSenderState& sender) {
  stats_.has_remote_report = true;
  stats_.remote_fraction_lost = block.fraction_lost;
  stats_.remote_cumulative_lost = block.cumulative_lost;
  stats_.remote_jitter_ms = UnitsToMs(block.jitter, sender.clock_rate);
  const int64_t rtt = rtcp::RoundTripTime(block.lsr, block.dlsr, arrival);
  if (rtt >= 0) stats_.rtt_ms = static_cast<double>(rtt) * 1000.0 / 65536.0;
}

bool RtcpSession::OnRtcp(const uint8_t* data, size_t size, double arrival_ms, const RtcpSenderState* sender) {
  const rtcp::ParseError error = rtcp::ParseCompound(data, size, &parsed_);
  changed_ = true;
  if (error != rtcp::ParseError::kNone) {
    stats_.rtcp_malformed++;
    stats_.last_malformed = error;
    return false;
  }
  stats_.rtcp_received++;
  const rtcp::NtpTime arrival = NtpAt(arrival_ms);
  const uint32_t local_ssrc = sender ? sender->ssrc : own_ssrc_;
  for (const rtcp::PacketView& packet : parsed_.packets) {
    switch (packet.type) {
      case rtcp::kTypeSr:
      case rtcp::kTypeRr: {
        stats_.reports_received++;
        const bool from_peer = !stats_.has_remote_ssrc || packet.ssrc == stats_.remote_ssrc;
        if (packet.type == rtcp::kTypeSr && from_peer) {
          receiver_.OnSenderReport(packet.sender.ntp, arrival);
          stats_.has_sender_report = true;
          stats_.peer_packets_sent = packet.sender.packet_count;
          stats_.peer_octets_sent = packet.sender.octet_count;
        }
        if (!sender) break;  // nothing of ours to hear about
        for (size_t i = 0; i < packet.block_count; i++) {
          const rtcp::ReportBlock& block = parsed_.report_blocks[packet.first_block + i];
          if (block.ssrc == local_ssrc) OnReportBlock(block, arrival, *sender);
        }
        break;
      }
      case rtcp::kTypeBye: {
        if (stats_.bye) break;
        for (size_t i = 0; i < packet.source_count; i++) {
          const uint32_t source = parsed_.bye_sources[packet.first_source + i];
          // Before any RTP the peer's SSRC is unknown: any source but ours is the peer.
          const bool peer = stats_.has_remote_ssrc ? source == stats_.remote_ssrc : source != local_ssrc;
          if (!peer) continue;
          stats_.bye = true;
          stats_.bye_reason_size = static_cast<uint8_t>(packet.reason.size());
          // A BYE without a reason has a null view: memcpy's source must never be null.
          if (!packet.reason.empty())
            std::memcpy(stats_.bye_reason.data(), packet.reason.data(), packet.reason.size());
          bye_pending_ = true;
          break;
        }
        break;
      }
      default:
        break;  // SDES, APP: nothing we act on
    }
  }
  return true;
}

void RtcpSession::UpdateSent(const RtcpSenderState* sender) {
  stats_.local_ssrc = sender ? sender->ssrc : own_ssrc_;
  stats_.packets_sent = sender ? sender->packets_sent : 0;
  stats_.bytes_sent = sender ? sender->octets_sent : 0;
}

size_t RtcpSession::ReportIfDue(double now_ms, const RtcpSenderState* sender, uint8_t* out, size_t capacity) {
  if (!timer_started_) {
    timer_.Start(now_ms);
    timer_started_ = true;
  }
  if (stats_.bye || !timer_.IsDue(now_ms)) return 0;
  if (wait_for_peer_rtcp_ && stats_.rtcp_received == 0) return 0;
  const rtcp::NtpTime now = NtpAt(now_ms);
  rtcp::ReportInput input;
  input.ssrc = sender ? sender->ssrc : own_ssrc_;
  input.cname = cname_;
  const bool sent_since_report =
      sender && sender->packets_sent != 0 &&
      (sender->packets_sent != reported_packets_ || sender->ssrc != reported_ssrc_);
  if (sent_since_report) {
    input.has_sender_info = true;
    input.sender.ntp = now;
    input.sender.rtp_timestamp = sender->rtp_timestamp;
    input.sender.packet_count = sender->packets_sent;
    input.sender.octet_count = sender->octets_sent;
  }
  rtcp::ReportBlock block;
  if (stats_.has_remote_ssrc) {
    block = receiver_.MakeReportBlock(stats_.remote_ssrc, now);
    input.blocks = &block;
    input.block_count = 1;
  }
  const size_t size = rtcp::BuildReport(input, out, capacity);
  if (size == 0) return 0;
  if (input.block_count) stats_.fraction_lost = block.fraction_lost;
  reported_packets_ = sender ? sender->packets_sent : 0;
  reported_ssrc_ = sender ? sender->ssrc : 0;
  stats_.reports_sent++;
  timer_.OnReportSent(now_ms);
  UpdateSent(sender);
  changed_ = true;
  return size;
}

bool RtcpSession::TakeBye() {
  const bool pending = bye_pending_;
  bye_pending_ = false;
  return pending;
}

bool RtcpSession::TakeChanged() {
  const bool changed = changed_;
  changed_ = false;
  return changed;
}

}  // namespace confmix
