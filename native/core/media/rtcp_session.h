// One member's RTCP session (RFC 3550 section 6): reception statistics of the peer's stream,
// our periodic SR/RR + SDES CNAME, and what the peer's reports say (its SR for our LSR/DLSR,
// its report block on our stream for the round trip, its BYE). Runs on the media thread; after
// Create nothing allocates, except that the parse lists may grow once for an unusually large
// compound packet.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/rtp/rtcp.h"
#include "core/rtp/rtcp_stats.h"

namespace confmix {

/** Longest compound report the session builds: SR with one block, then SDES with a 255-byte CNAME. */
constexpr size_t kMaxRtcpReportBytes = 320;

/** How a member's RTCP session is set up. */
struct RtcpSessionConfig {
  std::string cname;                     // SDES CNAME sent with every report, 1..255 bytes
  double interval_ms = 5000.0;           // nominal report interval, randomised to [0.5, 1.5] of itself
  uint64_t seed = 0;                     // the report timer's random sequence; 0 draws one
  std::optional<double> wall_offset_ms;  // Unix ms minus monotonic ms (our NTP clock); unset: read now
  bool wait_for_peer_rtcp = false;       // send no report before the peer's first RTCP arrives
};

/** One received RTP packet, as the session needs it. */
struct RtpArrival {
  uint32_t ssrc = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  size_t payload_bytes = 0;
  double arrival_ms = 0;  // monotonic
  bool timed = true;      // false for RFC 4733 events: their timestamp is the event's start, not a jitter sample
};

/** Our outgoing stream at one instant, as an SR reports it. */
struct RtcpSenderState {
  uint32_t ssrc = 0;
  uint32_t clock_rate = 8000;
  uint32_t packets_sent = 0;   // RTP packets since the stream began
  uint32_t octets_sent = 0;    // their payload octets
  uint32_t rtp_timestamp = 0;  // our stream's RTP time at this instant
};

/** What the session knows. Plain data: copying it never allocates. */
struct RtcpSessionStats {
  uint32_t local_ssrc = 0;            // the SSRC our reports carry
  bool has_remote_ssrc = false;       // an RTP packet from the peer has arrived
  uint32_t remote_ssrc = 0;           // the peer's stream
  uint64_t packets_received = 0;      // RTP packets of the peer's stream (duplicates included)
  uint64_t bytes_received = 0;        // their payload bytes
  uint64_t packets_sent = 0;          // RTP packets we sent on this leg
  uint64_t bytes_sent = 0;            // their payload bytes
  uint8_t fraction_lost = 0;          // loss in our last report's interval, 1/256
  int64_t cumulative_lost = 0;        // expected minus received so far
  uint32_t extended_highest_sequence = 0;
  uint32_t jitter = 0;                // interarrival jitter, the peer's RTP clock units
  double jitter_ms = 0;               // the same in ms
  double rtt_ms = -1;                 // last round trip from a report on our stream; -1 until known
  bool has_remote_report = false;     // the peer has reported on our stream
  uint8_t remote_fraction_lost = 0;   // the peer's loss of our stream in its last interval, 1/256
  int32_t remote_cumulative_lost = 0; // the peer's cumulative loss of our stream
  double remote_jitter_ms = 0;        // the jitter the peer measured on our stream
  bool has_sender_report = false;     // the peer has sent an SR
  uint32_t peer_packets_sent = 0;     // its SR's packet count
  uint32_t peer_octets_sent = 0;      // its SR's octet count
  uint64_t reports_sent = 0;          // compound reports we built
  uint64_t reports_received = 0;      // SR and RR packets from the peer
  uint64_t rtcp_received = 0;         // well-formed RTCP datagrams
  uint64_t rtcp_malformed = 0;        // datagrams rejected by the parser (ignored)
  rtcp::ParseError last_malformed = rtcp::ParseError::kNone;  // why the last one was rejected
  bool bye = false;                   // the peer sent a BYE for its stream
  uint8_t bye_reason_size = 0;
  std::array<char, rtcp::kMaxTextBytes> bye_reason{};  // its reason text (bye_reason_size bytes)

  /** The BYE reason as text ("" when none was given). */
  std::string_view bye_reason_text() const { return std::string_view(bye_reason.data(), bye_reason_size); }
};

class RtcpSession {
 public:
  /** Builds a session, or returns null and says why. */
  static std::unique_ptr<RtcpSession> Create(const RtcpSessionConfig& config, std::string* error);

  /** Sets the RTP clock of the peer's stream (0: we receive nothing); a change restarts the statistics. */
  void SetReceiveClock(uint32_t clock_rate);
  /** Records one RTP packet of the leg. A new SSRC (the peer restarted its stream) restarts the statistics. */
  void OnRtp(const RtpArrival& packet);
  /** Handles one RTCP datagram that arrived at `arrival_ms` (monotonic); `sender` is our stream,
   *  or null when we send nothing. False when it is malformed (counted, otherwise ignored). */
  bool OnRtcp(const uint8_t* data, size_t size, double arrival_ms, const RtcpSenderState* sender);
  /** Builds our next report into `out` when one is due at `now_ms` (monotonic): an SR when we sent
   *  since the last report, else an RR, with a block on the peer's stream, then SDES CNAME.
   *  Returns its size, or 0 when none is due (or after the peer's BYE). */
  size_t ReportIfDue(double now_ms, const RtcpSenderState* sender, uint8_t* out, size_t capacity);
  /** Refreshes the sent counters of the statistics from our stream (null: none). */
  void UpdateSent(const RtcpSenderState* sender);
  /** With true, no report goes out before the peer's first well-formed RTCP: RTCP muxed onto a
   *  port whose peer never negotiated rtcp-mux would reach an RTP receiver (RFC 5761). */
  void set_wait_for_peer_rtcp(bool wait) { wait_for_peer_rtcp_ = wait; }

  /** True once after the peer's BYE. */
  bool TakeBye();
  /** True once after anything a snapshot shows beyond the packet counters changed. */
  bool TakeChanged();
  /** The current figures. */
  const RtcpSessionStats& stats() const { return stats_; }
  /** When the next report is due (monotonic ms); 0 before the first ReportIfDue. */
  double next_report_ms() const { return timer_.next_due_ms(); }
  /** The CNAME our reports carry. */
  const std::string& cname() const { return cname_; }

 private:
  RtcpSession(const RtcpSessionConfig& config, uint64_t seed, double wall_offset_ms, uint32_t own_ssrc);
  rtcp::NtpTime NtpAt(double monotonic_ms) const;
  void RestartStatistics();
  void OnReportBlock(const rtcp::ReportBlock& block, rtcp::NtpTime arrival, const RtcpSenderState& sender);

  std::string cname_;
  double wall_offset_ms_;
  uint32_t own_ssrc_;              // our SSRC when we send nothing
  rtcp::ReportTimer timer_;
  bool timer_started_ = false;
  uint32_t receive_clock_ = 0;
  rtcp::ReceiverStats receiver_;
  int32_t last_transit_ = 0;       // arrival minus timestamp of the last timed packet
  bool has_transit_ = false;
  uint32_t reported_packets_ = 0;  // our packet count at the last report
  uint32_t reported_ssrc_ = 0;     // our SSRC at the last report
  rtcp::ParsedRtcp parsed_;
  RtcpSessionStats stats_;
  bool wait_for_peer_rtcp_;
  bool bye_pending_ = false;
  bool changed_ = false;
};

}  // namespace confmix
