#include "core/rtp/jitter_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace confmix::rtp {
namespace {

// Extended sequence numbers start here so they stay positive through backward wraps.
constexpr int64_t kSequenceBase = int64_t{1} << 32;
// RFC 3550 A.1: beyond these a sequence number is a restart, not loss or reordering.
constexpr int64_t kMaxDropout = 3000;
constexpr int64_t kMaxMisorder = 100;
constexpr int64_t kSeenWindow = 1024;
// A far sequence number is a restart only once its run has lasted this long: a burst of
// stale packets after a stall arrives all at once.
constexpr double kRestartConfirmMs = 60.0;
// Packets of a replaced SSRC, or of a sequence range the sender restarted from, are
// stragglers (not a switch back) for this long.
constexpr double kStaleSsrcMs = 1000.0;
// A timestamp that fits neither the sequence nor the arrival time by these margins is a jump.
constexpr double kJumpArrivalToleranceMs = 200.0;
constexpr double kJumpArrivalMarginMs = 40.0;
constexpr double kJumpSequenceToleranceMs = 80.0;
constexpr int kJumpSequenceTolerancePackets = 4;
// The shortest and longest packets (Opus: 2.5 and 120 ms) and how long DTX is trusted without a
// new DTX packet. A packet time outside them is a peer's lie, never believed: a packet time of one
// RTP unit would turn every gap into thousands of concealments.
constexpr double kMinPacketMs = 2.5;
constexpr double kMaxPacketMs = 120.0;
// A gap of missing media longer than this is skipped (a resync), not concealed: concealment past
// a few frames only fades to silence, and it costs a decoder call per frame.
constexpr double kMaxConcealMs = 120.0;
constexpr double kDtxHoldMs = 1000.0;
// Level smoothing per arrival, and the level band (in packets) left alone around the target.
constexpr double kLevelSmoothing = 1.0 / 16.0;
constexpr double kLevelBand = 0.75;

int64_t Abs64(int64_t v) { return v < 0 ? -v : v; }

}  // namespace

const char* JitterPushResultName(JitterPushResult result) {
  switch (result) {
    case JitterPushResult::kQueued: return "queued";
    case JitterPushResult::kLate: return "late";
    case JitterPushResult::kDuplicate: return "duplicate";
    case JitterPushResult::kTooBig: return "too-big";
    case JitterPushResult::kStaleSsrc: return "stale-ssrc";
    case JitterPushResult::kSequenceJump: return "sequence-jump";
  }
  return "unknown";
}

const char* JitterFrameKindName(JitterFrameKind kind) {
  switch (kind) {
    case JitterFrameKind::kPacket: return "packet";
    case JitterFrameKind::kLost: return "lost";
    case JitterFrameKind::kDtx: return "dtx";
    case JitterFrameKind::kUnderrun: return "underrun";
  }
  return "unknown";
}

const char* UnderrunCauseName(UnderrunCause cause) {
  switch (cause) {
    case UnderrunCause::kNone: return "none";
    case UnderrunCause::kPrefill: return "prefill";
    case UnderrunCause::kStarved: return "starved";
    case UnderrunCause::kStretch: return "stretch";
  }
  return "unknown";
}

std::string ValidateJitterBufferConfig(const JitterBufferConfig& config) {
  if (config.clock_rate < 1000 || config.clock_rate > 192000) {
    return "clockRate must be an integer in [1000, 192000]";
  }
  uint64_t max_frame = static_cast<uint64_t>(config.clock_rate) * 120 / 1000;
  if (config.frame_samples < 1 || config.frame_samples > max_frame) {
    return "frameSamples must be between 1 and 120 ms of the RTP clock";
  }
  if (config.max_delay_ms > kJitterMaxDelayMs ||
      static_cast<uint64_t>(config.max_delay_ms) * config.clock_rate <
          static_cast<uint64_t>(config.frame_samples) * 1000) {
    return "maxDelayMs must be at least one frame and at most 500";
  }
  if (config.min_delay_ms > config.max_delay_ms) return "minDelayMs must not exceed maxDelayMs";
  if (config.slots != 0 && (config.slots < 8 || config.slots > 4096)) {
    return "slots must be 0 (automatic) or in [8, 4096]";
  }
  if (config.max_payload_bytes < 1 || config.max_payload_bytes > 65535) {
    return "maxPayloadBytes must be in [1, 65535]";
  }
  if (config.dtx_max_payload_bytes > 16) return "dtxMaxPayloadBytes must be at most 16";
  return {};
}

JitterBuffer::JitterBuffer(const JitterBufferConfig& config)
    : config_(config), estimator_(config.clock_rate) {
  frame_ = std::max<int64_t>(1, config_.frame_samples);
  min_delay_ = std::max(frame_, MsToSamples(config_.min_delay_ms));
  max_delay_ = std::max(frame_, MsToSamples(config_.max_delay_ms));
  min_packet_ = std::max<int64_t>(1, MsToSamples(kMinPacketMs));
  max_packet_ = MsToSamples(kMaxPacketMs);
  max_conceal_ = std::max(MsToSamples(kMaxConcealMs), frame_);
  dtx_hold_ = MsToSamples(kDtxHoldMs);
  // Room for the largest delay in 10 ms packets, plus reordering slack.
  slot_count_ = config_.slots != 0 ? config_.slots : config_.max_delay_ms / 10 + 16;
  slots_.assign(static_cast<size_t>(slot_count_), Slot{});
  payloads_.assign(static_cast<size_t>(slot_count_) * config_.max_payload_bytes, 0);
  ResetStream();
}

int64_t JitterBuffer::MsToSamples(double ms) const {
  return static_cast<int64_t>(std::llround(ms * config_.clock_rate / 1000.0));
}

double JitterBuffer::SamplesToMs(double samples) const {
  return samples * 1000.0 / config_.clock_rate;
}

uint8_t* JitterBuffer::PayloadOf(const Slot& slot) {
  size_t index = static_cast<size_t>(&slot - slots_.data());
  return payloads_.data() + index * config_.max_payload_bytes;
}

void JitterBuffer::ResetStream() {
  for (Slot& slot : slots_) slot.sequence = -1;
  buffered_ = 0;
  has_reference_ = false;
  has_pre_jump_reference_ = false;
  highest_sequence_ = 0;
  seen_.fill(0);
  ptime_ = frame_;
  last_step_ = 0;
  newest_end_ = std::numeric_limits<int64_t>::min();
  probation_ = false;
  playing_ = false;
  playout_ts_ = 0;
  playout_rtp_ts_ = 0;
  played_sequence_ = 0;
  starved_ = 0;
  last_was_dtx_ = false;
  level_ema_ = 0;
  estimator_.RestartReference();
  jitter_.Restart();
}

void JitterBuffer::Reset() {
  ResetStream();
  has_stream_ = false;
  has_previous_ssrc_ = false;
  has_previous_range_ = false;
}

void JitterBuffer::SwitchStream(uint32_t ssrc, double arrival_ms) {
  has_previous_range_ = false;
  stats_.flushed += buffered_;
  ++stats_.ssrc_changes;
  previous_ssrc_ = ssrc_;
  has_previous_ssrc_ = true;
  switched_at_ms_ = arrival_ms;
  ssrc_ = ssrc;
  ResetStream();
}

int64_t JitterBuffer::target_samples() const {
  // One packet plus the jitter allowance, floored by min_delay and capped by max_delay.
  int64_t base = Unit();
  int64_t target = base + static_cast<int64_t>(std::llround(
                              estimator_.percentile_ms() * config_.clock_rate / 1000.0));
  target = std::max(target, min_delay_);
  return std::min(target, std::max(max_delay_, base));
}

int64_t JitterBuffer::buffered_samples() const {
  if (!playing_ || buffered_ == 0) return 0;
  return std::max<int64_t>(0, newest_end_ - EffectivePlayout());
}

JitterBufferStats JitterBuffer::stats() const {
  JitterBufferStats out = stats_;
  out.delay_ms = playing_ ? SamplesToMs(level_ema_) : 0;
  out.target_delay_ms = SamplesToMs(static_cast<double>(target_samples()));
  out.buffered_ms = SamplesToMs(static_cast<double>(buffered_samples()));
  out.jitter_ms = SamplesToMs(jitter_.jitter());
  return out;
}

bool JitterBuffer::SeenBefore(int64_t sequence) const {
  if (!has_reference_ || sequence > highest_sequence_) return false;
  if (highest_sequence_ - sequence >= kSeenWindow) return false;
  uint64_t bit = static_cast<uint64_t>(sequence % kSeenWindow);
  return (seen_[bit / 64] >> (bit % 64)) & 1u;
}

void JitterBuffer::MarkSeen(int64_t sequence) {
  if (!has_reference_) {
    seen_.fill(0);
  } else if (sequence > highest_sequence_) {
    // Sequence numbers that enter the window were not seen yet.
    if (sequence - highest_sequence_ >= kSeenWindow) {
      seen_.fill(0);
    } else {
      for (int64_t s = highest_sequence_ + 1; s <= sequence; ++s) {
        uint64_t bit = static_cast<uint64_t>(s % kSeenWindow);
        seen_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
      }
    }
  } else if (highest_sequence_ - sequence >= kSeenWindow) {
    return;
  }
  uint64_t bit = static_cast<uint64_t>(sequence % kSeenWindow);
  seen_[bit / 64] |= uint64_t{1} << (bit % 64);
}

int64_t JitterBuffer::MapTimestamp(int64_t sequence, uint32_t rtp_timestamp, double arrival_ms) {
  if (!has_reference_) return rtp_timestamp;
  const Reference& ref = reference_;
  int64_t steps = sequence - ref.sequence;
  int64_t mapped = ref.timestamp + static_cast<int32_t>(rtp_timestamp - ref.rtp_timestamp);
  int64_t by_sequence = ref.timestamp + steps * ptime_;
  int64_t by_arrival = ref.timestamp + MsToSamples(arrival_ms - ref.arrival_ms);
  int64_t sequence_tolerance = std::max(MsToSamples(kJumpSequenceToleranceMs),
                                        kJumpSequenceTolerancePackets * ptime_);
  // Either fit is enough: sequence fits a network stall, arrival fits a DTX pause.
  // Arrival times are only as exact as the network is steady.
  double arrival_tolerance_ms = std::min(
      kJumpArrivalToleranceMs, kJumpArrivalMarginMs + 4.0 * SamplesToMs(jitter_.jitter()));
  if (Abs64(mapped - by_sequence) <= sequence_tolerance ||
      Abs64(mapped - by_arrival) <= MsToSamples(arrival_tolerance_ms)) {
    return mapped;
  }
  if (has_pre_jump_reference_) {
    // A straggler from before the last jump still maps through the old reference.
    const Reference& old = pre_jump_reference_;
    int64_t old_mapped = old.timestamp + static_cast<int32_t>(rtp_timestamp - old.rtp_timestamp);
    if (Abs64(old_mapped - by_sequence) <= sequence_tolerance) return old_mapped;
  }
  if (steps > 0) {
    // The sender's timestamp jumped: keep the timeline continuous by the sequence number.
    pre_jump_reference_ = reference_;
    has_pre_jump_reference_ = true;
    ++stats_.timestamp_jumps;
  }
  return by_sequence;
}

JitterPushResult JitterBuffer::Push(const RtpPacketView& packet, double arrival_ms,
                                    uint32_t samples) {
  ++stats_.received;
  if (packet.payload_size > config_.max_payload_bytes) {
    ++stats_.too_big;
    return JitterPushResult::kTooBig;
  }
  if (!has_stream_) {
    has_stream_ = true;
    ssrc_ = packet.ssrc;
  } else if (packet.ssrc != ssrc_) {
    if (has_previous_ssrc_ && packet.ssrc == previous_ssrc_ &&
        arrival_ms - switched_at_ms_ < kStaleSsrcMs) {
      ++stats_.stale_ssrc;
      return JitterPushResult::kStaleSsrc;
    }
    SwitchStream(packet.ssrc, arrival_ms);
  }

  int64_t sequence = kSequenceBase + packet.sequence;
  if (has_reference_) {
    sequence = ExtendSequence(packet.sequence, highest_sequence_);
    int64_t delta = sequence - highest_sequence_;
    if (delta > kMaxDropout || delta < -kMaxMisorder) {
      int64_t from_old_range =
          ExtendSequence(packet.sequence, previous_range_highest_) - previous_range_highest_;
      if (has_previous_range_ && arrival_ms - restarted_at_ms_ < kStaleSsrcMs &&
          from_old_range <= kMaxMisorder && from_old_range >= -kMaxDropout) {
        // A straggler from before the restart, not a restart back.
        ++stats_.late;
        return JitterPushResult::kLate;
      }
      // The candidate range tolerates reordering like the current one does.
      int64_t from_candidate = ExtendSequence(packet.sequence, probation_highest_) - probation_highest_;
      bool confirmed = false;
      if (probation_ && from_candidate >= -kMaxMisorder && from_candidate <= kMaxMisorder) {
        if (from_candidate > 0) probation_highest_ += from_candidate;
        confirmed = arrival_ms - probation_start_ms_ >= kRestartConfirmMs;
      } else {
        probation_ = true;
        probation_highest_ = packet.sequence;
        probation_start_ms_ = arrival_ms;
      }
      if (confirmed) {
        // The new range kept flowing in real time, and nothing of the old one came in
        // between: the sender restarted its sequence. Start over from here.
        has_previous_range_ = true;
        previous_range_highest_ = highest_sequence_;
        restarted_at_ms_ = arrival_ms;
        stats_.flushed += buffered_;
        ResetStream();
        sequence = kSequenceBase + packet.sequence;
      } else {
        if (delta < 0) {
          ++stats_.late;
          return JitterPushResult::kLate;
        }
        ++stats_.sequence_jumps;
        return JitterPushResult::kSequenceJump;
      }
    } else {
      probation_ = false;
    }
  }
  if (SeenBefore(sequence)) {
    ++stats_.duplicates;
    return JitterPushResult::kDuplicate;
  }

  if (samples > max_packet_) samples = 0;
  if (samples >= min_packet_) ptime_ = samples;
  int64_t timestamp = MapTimestamp(sequence, packet.timestamp, arrival_ms);
  double lateness_ms = estimator_.Update(arrival_ms, timestamp);
  jitter_.Update(arrival_ms, timestamp, config_.clock_rate);
  MarkSeen(sequence);
  bool newest = !has_reference_ || sequence > highest_sequence_;
  if (newest) {
    if (has_reference_ && sequence == reference_.sequence + 1) {
      // The same step twice in a row is the packet time; a one-off is a small jump.
      int64_t step = timestamp - reference_.timestamp;
      if (step >= min_packet_ && step <= max_packet_ && step == last_step_) ptime_ = step;
      last_step_ = step;
    }
    const int64_t previous_highest = highest_sequence_;
    const bool had_reference = has_reference_;
    highest_sequence_ = sequence;
    reference_ = Reference{sequence, timestamp, packet.timestamp, arrival_ms};
    has_reference_ = true;
    if (had_reference) DropUnreachable(previous_highest);
  }

  // Behind the playout point is late for a gap filler; the newest packet behind it is a
  // small backward timestamp step and still plays, without moving the clock back.
  // Below the ring's window, playout would never look for it.
  if ((playing_ && (sequence <= played_sequence_ || (!newest && timestamp < playout_ts_))) ||
      sequence <= highest_sequence_ - slot_count_) {
    ++stats_.late;
    return JitterPushResult::kLate;
  }
  Slot& slot = SlotFor(sequence);
  if (slot.sequence >= 0) {
    if (slot.sequence > sequence) {  // older than everything the ring can hold
      ++stats_.late;
      return JitterPushResult::kLate;
    }
    ++stats_.dropped_overflow;
    --buffered_;
    slot.sequence = -1;
    RecomputeNewestEnd();  // the dropped packet may have been the one furthest ahead
  }
  slot.sequence = sequence;
  slot.timestamp = timestamp;
  slot.rtp_timestamp = packet.timestamp;
  slot.samples = samples;
  slot.size = static_cast<uint32_t>(packet.payload_size);
  slot.payload_type = packet.payload_type;
  slot.marker = packet.marker;
  slot.dtx = packet.payload_size <= config_.dtx_max_payload_bytes;
  if (packet.payload_size > 0) std::memcpy(PayloadOf(slot), packet.payload, packet.payload_size);
  ++buffered_;
  ++stats_.queued;
  if (!newest) ++stats_.reordered;

  int64_t end = timestamp + (samples != 0 ? samples : ptime_);
  newest_end_ = std::max(newest_end_, end);
  if (playing_ && newest) {
    // The level this packet would have found had it been on time. Time spent starved is
    // credited against the gap at the next Pop, so it counts as played already.
    double on_time_level = static_cast<double>(end - EffectivePlayout()) +
                           lateness_ms * config_.clock_rate / 1000.0;
    level_ema_ += (on_time_level - level_ema_) * kLevelSmoothing;
    if (starved_ == 0) EnforceHardCap();
  }
  return JitterPushResult::kQueued;
}

const JitterBuffer::Slot* JitterBuffer::FindNext() const {
  if (buffered_ == 0) return nullptr;
  int64_t first = highest_sequence_ - slot_count_ + 1;
  if (playing_) first = std::max(first, played_sequence_ + 1);
  return FindFrom(first);
}

JitterBuffer::Slot* JitterBuffer::FindAfter(int64_t sequence) {
  return const_cast<Slot*>(FindFrom(sequence + 1));
}

const JitterBuffer::Slot* JitterBuffer::FindFrom(int64_t first) const {
  for (int64_t s = first; s <= highest_sequence_; ++s) {
    const Slot& slot = SlotFor(s);
    if (slot.sequence == s) return &slot;
  }
  return nullptr;
}

JitterBuffer::Slot* JitterBuffer::NextBuffered() { return const_cast<Slot*>(FindNext()); }

int64_t JitterBuffer::EffectivePlayout() const {
  const Slot* next = starved_ > 0 ? FindNext() : nullptr;
  if (next == nullptr) return playout_ts_;
  return playout_ts_ + std::min(starved_, std::max<int64_t>(0, next->timestamp - playout_ts_));
}

int64_t JitterBuffer::PacketSamples(const Slot& slot) const {
  if (slot.samples != 0) return slot.samples;
  const Slot& next = SlotFor(slot.sequence + 1);
  if (next.sequence == slot.sequence + 1) {
    int64_t step = next.timestamp - slot.timestamp;
    if (step >= min_packet_ && step <= max_packet_) return step;
  }
  return ptime_;
}

bool JitterBuffer::TryStart() {
  Slot* first = NextBuffered();
  if (first == nullptr) return false;
  const int64_t target = target_samples();
  int64_t span = newest_end_ - first->timestamp;
  if (span < target) return false;
  // A burst that overfilled the prefill is trimmed before anything plays, where dropping
  // media is inaudible, rather than by drops in the middle of the stream.
  const double band = kLevelBand * static_cast<double>(Unit());
  while (static_cast<double>(span) > static_cast<double>(target) + band) {
    const int64_t samples = PacketSamples(*first);
    if (span - samples < target) break;
    Slot* after = FindAfter(first->sequence);
    if (after == nullptr) break;
    stats_.dropped_drift++;
    first->sequence = -1;
    --buffered_;
    first = after;
    span = newest_end_ - first->timestamp;
  }
  playing_ = true;
  playout_ts_ = first->timestamp;
  playout_rtp_ts_ = first->rtp_timestamp;
  played_sequence_ = first->sequence - 1;
  starved_ = 0;
  last_was_dtx_ = false;
  level_ema_ = static_cast<double>(span);
  return true;
}

void JitterBuffer::Advance(int64_t samples) {
  playout_ts_ += samples;
  playout_rtp_ts_ += static_cast<uint32_t>(samples);
}

void JitterBuffer::Consume(Slot& slot, int64_t samples) {
  if (slot.sequence > played_sequence_ + 1) {
    stats_.lost += static_cast<uint64_t>(slot.sequence - played_sequence_ - 1);
  }
  if (slot.timestamp + samples > playout_ts_) {
    playout_ts_ = slot.timestamp + samples;
    playout_rtp_ts_ = slot.rtp_timestamp + static_cast<uint32_t>(samples);
  }
  played_sequence_ = slot.sequence;
  last_was_dtx_ = slot.dtx;
  if (slot.dtx) last_dtx_ts_ = slot.timestamp;
  slot.sequence = -1;
  --buffered_;
  // A sender whose timestamps run out of sequence order can leave the furthest packet behind
  // others: when it goes, the level is measured to what is left.
  if (buffered_ > 0 && slot.timestamp + samples >= newest_end_) RecomputeNewestEnd();
}

void JitterBuffer::DropUnreachable(int64_t previous_highest) {
  // Playout looks for packets in the ring's window below the highest sequence number: a packet
  // the window moved past unplayed would count as buffered forever. Only the sequence numbers
  // that just left the window are looked at.
  const int64_t oldest = highest_sequence_ - slot_count_ + 1;
  const int64_t from = std::max(previous_highest - slot_count_ + 1, oldest - slot_count_);
  bool dropped = false;
  for (int64_t s = from; s < oldest; ++s) {  // at most one pass over the ring
    Slot& slot = SlotFor(s);
    if (slot.sequence < 0 || slot.sequence >= oldest) continue;
    slot.sequence = -1;
    --buffered_;
    ++stats_.dropped_overflow;
    dropped = true;
  }
  if (dropped) RecomputeNewestEnd();
}

void JitterBuffer::RecomputeNewestEnd() {
  newest_end_ = playing_ ? playout_ts_ : std::numeric_limits<int64_t>::min();
  for (const Slot& slot : slots_) {
    // Packets behind what playout has passed are never played: they do not hold the level up.
    if (slot.sequence >= 0 && (!playing_ || slot.sequence > played_sequence_)) newest_end_ = std::max(newest_end_, slot.timestamp + (slot.samples != 0 ? slot.samples : ptime_));
  }
}

void JitterBuffer::EnforceHardCap() {
  // A burst after a long stall can overfill; nothing may sit longer than the cap allows.
  // Missing media is skipped first; buffered packets are dropped only when that is not enough.
  int64_t cap = max_delay_ + 2 * Unit();
  for (;;) {
    int64_t excess = buffered_samples() - cap;
    Slot* slot = excess > 0 ? NextBuffered() : nullptr;
    if (slot == nullptr) break;
    int64_t gap = slot->timestamp - EffectivePlayout();
    if (gap > 0) {
      int64_t skip = std::min(gap, excess);
      Advance(skip);
      level_ema_ -= static_cast<double>(skip);
      continue;
    }
    int64_t samples = PacketSamples(*slot);
    Consume(*slot, samples);
    level_ema_ -= static_cast<double>(samples);
    ++stats_.dropped_overflow;
  }
}

JitterFrame JitterBuffer::PlayPacket(Slot& slot) {
  JitterFrame frame;
  int64_t samples = PacketSamples(slot);
  frame.kind = slot.dtx ? JitterFrameKind::kDtx : JitterFrameKind::kPacket;
  frame.timestamp = slot.rtp_timestamp;
  frame.samples = static_cast<uint32_t>(samples);
  frame.sequence = static_cast<uint16_t>(slot.sequence);
  frame.marker = slot.marker;
  frame.payload_type = slot.payload_type;
  frame.payload = PayloadOf(slot);
  frame.payload_size = slot.size;
  Consume(slot, samples);
  if (frame.kind == JitterFrameKind::kDtx) {
    ++stats_.dtx_frames;
  } else {
    ++stats_.packets_played;
  }
  return frame;
}

JitterFrame JitterBuffer::Silence(int64_t samples, bool advance) {
  JitterFrame frame;
  frame.kind = JitterFrameKind::kDtx;
  frame.timestamp = playout_rtp_ts_;
  frame.samples = static_cast<uint32_t>(samples);
  if (advance) Advance(samples);
  ++stats_.dtx_frames;
  return frame;
}

JitterFrame JitterBuffer::Underrun(UnderrunCause cause) {
  JitterFrame frame;
  frame.kind = JitterFrameKind::kUnderrun;
  frame.cause = cause;
  frame.timestamp = playout_rtp_ts_;
  frame.samples = static_cast<uint32_t>(frame_);
  return frame;
}

JitterFrame JitterBuffer::NothingBuffered() {
  // Conservative DTX: only while the last packet played said so, and not for long.
  if (last_was_dtx_ && playout_ts_ - last_dtx_ts_ < dtx_hold_) return Silence(frame_, true);
  // The playout clock waits; the wait is credited against the gap if the next packet is late.
  starved_ += frame_;
  ++stats_.underruns;
  return Underrun(UnderrunCause::kStarved);
}

JitterFrame JitterBuffer::Pop() {
  if (!playing_ && !TryStart()) return Underrun(UnderrunCause::kPrefill);
  if (Slot* next = NextBuffered()) {
    // Time spent starved stands for the gap before the packet that ended it.
    int64_t gap = next->timestamp - playout_ts_;
    if (gap > 0) Advance(std::min(gap, starved_));
    starved_ = 0;
  }
  EnforceHardCap();

  const int64_t target = target_samples();
  const double band = kLevelBand * static_cast<double>(Unit());
  const bool too_high = level_ema_ > static_cast<double>(target) + band;
  const bool too_low = level_ema_ < static_cast<double>(target) - band;
  bool lowered = false;  // one level correction per Pop at most
  for (;;) {
    Slot* next = NextBuffered();
    if (next == nullptr) return NothingBuffered();
    int64_t gap = next->timestamp - playout_ts_;
    if (gap > max_conceal_) {
      // Longer than concealment serves: a stall, a jump or a peer's lie; skip it, don't conceal it.
      // The skipped time was never buffered audio: the level drops by it, as for the hard cap.
      Advance(gap);
      level_ema_ -= static_cast<double>(gap);
      gap = 0;
      ++stats_.resyncs;
    }

    if (gap <= 0) {
      int64_t samples = PacketSamples(*next);
      // The smoothed level is what the buffer would hold had nothing been late, so a sender
      // that falls behind inflates it while the buffer drains. Dropping or holding audible
      // media is a discontinuity: do it only when what is buffered agrees.
      if (too_high && !lowered && buffered_samples() - samples >= target) {
        Consume(*next, samples);
        level_ema_ -= static_cast<double>(samples);
        ++stats_.dropped_drift;
        lowered = true;
        continue;
      }
      if (too_low && !lowered && static_cast<double>(buffered_samples()) < static_cast<double>(target) - band) {
        level_ema_ += static_cast<double>(frame_);
        ++stats_.inserted;
        return Underrun(UnderrunCause::kStretch);
      }
      return PlayPacket(*next);
    }

    if (next->sequence == played_sequence_ + 1) {
      // Nothing is missing, only time: the sender paused (DTX or silence suppression).
      // Silence is the cheapest place to move the level, so shorten or lengthen it here.
      double excess = level_ema_ - static_cast<double>(target);
      if (too_high && !lowered) {
        int64_t skip = std::min<int64_t>(gap, static_cast<int64_t>(excess));
        Advance(skip);
        level_ema_ -= static_cast<double>(skip);
        lowered = true;
        continue;
      }
      if (too_low && !lowered) {
        level_ema_ += static_cast<double>(frame_);
        ++stats_.inserted;
        return Silence(frame_, false);
      }
      return Silence(std::min(gap, frame_), true);
    }

    // Packets are missing before `next`: report the loss a packet or a tick at a time, whichever
    // is longer, so a tick never costs more than one concealment.
    JitterFrame frame;
    frame.kind = JitterFrameKind::kLost;
    frame.timestamp = playout_rtp_ts_;
    int64_t samples = std::min(gap, Unit());
    frame.samples = static_cast<uint32_t>(samples);
    if (samples == gap) {  // the lost media ends where `next` starts: its FEC covers it
      frame.next_payload = PayloadOf(*next);
      frame.next_payload_size = next->size;
    }
    Advance(samples);
    ++stats_.lost_frames;
    return frame;
  }
}

}  // namespace confmix::rtp
