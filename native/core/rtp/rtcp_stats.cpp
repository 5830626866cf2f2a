#include "core/rtp/rtcp_stats.h"

#include <cmath>

namespace confmix::rtcp {
namespace {

constexpr uint32_t kSequenceModulus = 1u << 16;
constexpr int64_t kMaxCumulativeLost = 0x7fffff;
constexpr int64_t kMinCumulativeLost = -0x800000;

}  // namespace

uint32_t RtpUnitsFromMs(double ms, uint32_t clock_rate) {
  if (!std::isfinite(ms)) return 0;
  double units = std::floor(ms * clock_rate / 1000.0);
  constexpr double kWrap = 4294967296.0;
  return static_cast<uint32_t>(units - std::floor(units / kWrap) * kWrap);
}

void ReceiverStats::Restart(uint16_t sequence) {
  base_sequence_ = sequence;
  max_sequence_ = sequence;
  bad_sequence_ = kSequenceModulus + 1;  // matches no sequence
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
  has_transit_ = false;  // a restarted stream has a new timestamp base
}

void ReceiverStats::OnRtp(uint16_t sequence, uint32_t rtp_timestamp, uint32_t arrival) {
  if (!initialized_) {
    initialized_ = true;
    Restart(sequence);
  } else {
    uint16_t ahead = static_cast<uint16_t>(sequence - max_sequence_);
    if (ahead < kMaxDropout) {
      if (sequence < max_sequence_) cycles_ += kSequenceModulus;  // wrapped
      max_sequence_ = sequence;
    } else if (ahead <= kSequenceModulus - kMaxMisorder) {
      // A big jump: the source restarted if the next packet follows on from it.
      if (sequence != bad_sequence_) {
        bad_sequence_ = (sequence + 1u) & (kSequenceModulus - 1);
        return;
      }
      Restart(sequence);
    }
    // Otherwise a duplicate or a misordered packet: counted, the highest unchanged.
  }
  ++received_;

  // A.8: transit time differences, smoothed with gain 1/16 (kept scaled by 16).
  int32_t transit = static_cast<int32_t>(arrival - rtp_timestamp);
  if (has_transit_) {
    int32_t difference = static_cast<int32_t>(static_cast<uint32_t>(transit) -
                                              static_cast<uint32_t>(transit_));
    uint64_t magnitude = difference < 0 ? uint64_t{0} - static_cast<int64_t>(difference)
                                        : static_cast<uint64_t>(difference);
    jitter_q4_ = jitter_q4_ + magnitude - ((jitter_q4_ + 8) >> 4);
  }
  transit_ = transit;
  has_transit_ = true;
}

uint32_t ReceiverStats::expected() const {
  if (!initialized_) return 0;
  return extended_highest_sequence() - base_sequence_ + 1;
}

int64_t ReceiverStats::cumulative_lost() const {
  return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_);
}

uint32_t ReceiverStats::jitter() const {
  uint64_t jitter = jitter_q4_ >> 4;
  return jitter > 0xffffffffULL ? 0xffffffffu : static_cast<uint32_t>(jitter);
}

void ReceiverStats::OnSenderReport(NtpTime sender_ntp, NtpTime arrival) {
  last_sr_ = NtpMiddle32(sender_ntp);
  last_sr_arrival_ = arrival;
  has_sr_ = true;
}

ReportBlock ReceiverStats::MakeReportBlock(uint32_t source_ssrc, NtpTime now) {
  ReportBlock block;
  block.ssrc = source_ssrc;
  if (initialized_) {
    uint32_t expected_now = expected();
    int64_t lost = cumulative_lost();
    if (lost > kMaxCumulativeLost) lost = kMaxCumulativeLost;
    if (lost < kMinCumulativeLost) lost = kMinCumulativeLost;
    block.cumulative_lost = static_cast<int32_t>(lost);

    // A.3: the fraction covers only the interval since the previous report.
    uint32_t expected_interval = expected_now - expected_prior_;
    uint32_t received_interval = received_ - received_prior_;
    expected_prior_ = expected_now;
    received_prior_ = received_;
    int64_t lost_interval = static_cast<int64_t>(expected_interval) - received_interval;
    if (expected_interval != 0 && lost_interval > 0) {
      int64_t fraction = (lost_interval << 8) / expected_interval;
      block.fraction_lost = static_cast<uint8_t>(fraction > 255 ? 255 : fraction);
    }
    block.extended_highest_sequence = extended_highest_sequence();
    block.jitter = jitter();
  }
  if (has_sr_) {
    block.lsr = last_sr_;
    uint64_t delay = now > last_sr_arrival_ ? (now - last_sr_arrival_) >> 16 : 0;
    block.dlsr = delay > 0xffffffffULL ? 0xffffffffu : static_cast<uint32_t>(delay);
  }
  return block;
}

int64_t RoundTripTime(uint32_t lsr, uint32_t dlsr, NtpTime arrival) {
  if (lsr == 0) return -1;
  int32_t rtt = static_cast<int32_t>(NtpMiddle32(arrival) - lsr - dlsr);
  return rtt < 0 ? 0 : rtt;
}

ReportTimer::ReportTimer(uint64_t seed, double nominal_ms)
    : state_(seed), nominal_ms_(nominal_ms > 0 ? nominal_ms : 5000.0) {}

double ReportTimer::RandomFactor() {
  // splitmix64: small, fast, and deterministic for a seed.
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return 0.5 + static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

double ReportTimer::Start(double now_ms) {
  // The first report goes out sooner, as RFC 3550 6.2 halves the initial minimum.
  started_ = true;
  next_due_ms_ = now_ms + nominal_ms_ * 0.5 * RandomFactor();
  return next_due_ms_;
}

double ReportTimer::OnReportSent(double now_ms) {
  started_ = true;
  next_due_ms_ = now_ms + nominal_ms_ * RandomFactor();
  return next_due_ms_;
}

}  // namespace confmix::rtcp
