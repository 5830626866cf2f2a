// RTCP statistics: what a receiver reports about one RTP source (RFC 3550 A.1, A.3, A.8),
// the round-trip time from a report block about our stream, and when the next report is due.
#pragma once
#include <cstdint>

#include "core/rtp/rtcp.h"

namespace confmix::rtcp {

/** `ms` milliseconds on a clock of `clock_rate` Hz, wrapped to 32 bits like RTP timestamps. */
uint32_t RtpUnitsFromMs(double ms, uint32_t clock_rate);

/** Reception statistics of one source, fed once per received RTP packet. */
class ReceiverStats {
 public:
  /** A misordered packet this far behind the highest sequence counts as a restart probe. */
  static constexpr uint32_t kMaxMisorder = 100;
  /** A jump this far ahead is a gap (lost packets), not a restart. */
  static constexpr uint32_t kMaxDropout = 3000;

  /** Statistics of a source whose RTP clock runs at `clock_rate` Hz. */
  explicit ReceiverStats(uint32_t clock_rate) : clock_rate_(clock_rate) {}

  /** Records one packet; `arrival` is its arrival time in RTP clock units (any origin).
   *  The leg has already latched the source, so there is no probation (A.1's MIN_SEQUENTIAL). */
  void OnRtp(uint16_t sequence, uint32_t rtp_timestamp, uint32_t arrival);
  /** Records an SR from the source: its NTP time, and when it arrived on our wall clock. */
  void OnSenderReport(NtpTime sender_ntp, NtpTime arrival);
  /** The report block for the source as of `now` (our wall clock); starts a new fraction-lost
   *  interval. */
  ReportBlock MakeReportBlock(uint32_t source_ssrc, NtpTime now);

  /** Clock rate given at construction. */
  uint32_t clock_rate() const { return clock_rate_; }
  /** True once a packet has been recorded. */
  bool has_packets() const { return initialized_; }
  /** Packets received (duplicates included, as A.3 counts them). */
  uint32_t received() const { return received_; }
  /** Cycles << 16 | highest sequence seen. */
  uint32_t extended_highest_sequence() const { return cycles_ + max_sequence_; }
  /** Packets expected from the first sequence to the highest. */
  uint32_t expected() const;
  /** Expected minus received; negative with duplicates. Not yet clamped to 24 bits. */
  int64_t cumulative_lost() const;
  /** Interarrival jitter in RTP clock units (A.8's estimator). */
  uint32_t jitter() const;

 private:
  void Restart(uint16_t sequence);

  uint32_t clock_rate_;
  bool initialized_ = false;
  uint16_t max_sequence_ = 0;
  uint32_t cycles_ = 0;  // sequence wraps, shifted left 16
  uint32_t base_sequence_ = 0;
  uint32_t bad_sequence_ = 0x10001;  // the sequence after a big jump: a second one restarts
  uint32_t received_ = 0;
  uint32_t expected_prior_ = 0;
  uint32_t received_prior_ = 0;
  bool has_transit_ = false;
  int32_t transit_ = 0;
  uint64_t jitter_q4_ = 0;  // jitter scaled by 16, as A.8's integer form keeps it
  uint32_t last_sr_ = 0;
  NtpTime last_sr_arrival_ = 0;
  bool has_sr_ = false;
};

/** Round trip in 1/65536 s from a report block about our stream that arrived at `arrival`:
 *  A - LSR - DLSR with A the middle 32 bits of `arrival`. -1 when lsr is 0 (no SR yet);
 *  a negative result from clock rounding is 0. */
int64_t RoundTripTime(uint32_t lsr, uint32_t dlsr, NtpTime arrival);

/** When our next report is due: RFC 3550 6.2/6.3 simplified for a two-party session: a
 *  nominal interval (5 s) randomised to [0.5, 1.5] of itself; the first at half of that. */
class ReportTimer {
 public:
  /** A timer with a deterministic random sequence from `seed`. */
  explicit ReportTimer(uint64_t seed, double nominal_ms = 5000.0);
  /** Schedules the first report from `now_ms`; returns when it is due. */
  double Start(double now_ms);
  /** Records a report sent at `now_ms` and schedules the next; returns when it is due. */
  double OnReportSent(double now_ms);
  /** True once `now_ms` has reached the due time (false before Start). */
  bool IsDue(double now_ms) const { return started_ && now_ms >= next_due_ms_; }
  /** When the next report is due, in the caller's ms clock. */
  double next_due_ms() const { return next_due_ms_; }

 private:
  double RandomFactor();  // uniform in [0.5, 1.5)

  uint64_t state_;
  double nominal_ms_;
  double next_due_ms_ = 0;
  bool started_ = false;
};

}  // namespace confmix::rtcp
