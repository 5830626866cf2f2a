// One member's jitter buffer. Packets are kept in a fixed ring of slots keyed by sequence
// number and played out on a timestamp clock: each Pop hands over the media that starts at
// the playout timestamp, so packets of any ptime (10..60 ms) serve a tick of any interval.
//
// The target delay is one frame (or one packet, if longer) plus the 95th percentile of
// arrival lateness, capped at max_delay_ms. The buffer steers its level to the target by
// dropping a packet (level too high: a fast sender clock, a burst after a stall) or by
// holding the playout clock for a frame (too low: a slow sender clock, growing jitter).
// The playout clock never runs backwards; a starved Pop holds it, and that wait is credited
// against the gap when the next packet turns up. Timestamp jumps are re-based onto one
// continuous timeline, and a sequence restart is accepted once the new range has flowed
// for 60 ms. Time is whatever monotonic milliseconds the caller passes to Push, so tests
// run exactly.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rtp/jitter_delay_estimator.h"
#include "core/rtp/rtp_packet.h"
#include "core/rtp/rtp_stats.h"

namespace confmix::rtp {

/** Highest max_delay_ms a jitter buffer accepts. */
constexpr uint32_t kJitterMaxDelayMs = 500;

/** How a jitter buffer is built. */
struct JitterBufferConfig {
  uint32_t clock_rate = 48000;         // RTP clock of the codec, Hz
  uint32_t frame_samples = 960;        // one tick at the RTP clock
  uint32_t max_delay_ms = kJitterMaxDelayMs;  // cap of the target delay
  uint32_t min_delay_ms = 0;           // floor of the target delay (one frame at least)
  uint32_t slots = 0;                  // packet slots; 0: enough for max_delay_ms of 10 ms packets
  uint32_t max_payload_bytes = 1500;   // larger payloads are refused
  uint32_t dtx_max_payload_bytes = 2;  // a payload this small means the sender is in DTX
};

/** Empty when `config` is usable, otherwise why not. */
std::string ValidateJitterBufferConfig(const JitterBufferConfig& config);

/** What Push did with a packet. */
enum class JitterPushResult : uint8_t {
  kQueued,        // stored for playout
  kLate,          // its playout time has passed (or it is too old for the ring)
  kDuplicate,     // this sequence number was already received
  kTooBig,        // payload over max_payload_bytes
  kStaleSsrc,     // from the stream just replaced by a new SSRC
  kSequenceJump,  // far from the expected sequence; held back until a second one confirms
};

/** Stable kebab-case name of a push result, e.g. "too-big". */
const char* JitterPushResultName(JitterPushResult result);

/** What one Pop produced. */
enum class JitterFrameKind : uint8_t {
  kPacket,    // a packet to decode
  kLost,      // media that never arrived: conceal it (or recover it from next_payload's FEC)
  kDtx,       // the sender is silent (DTX or paused): comfort noise, no decode
  kUnderrun,  // no media for this tick; the playout clock did not move
};

/** Why a Pop underran. */
enum class UnderrunCause : uint8_t {
  kNone,
  kPrefill,  // not started yet: filling up to the target delay
  kStarved,  // playing, but the next packet has not arrived
  kStretch,  // playing, held back one frame to raise the delay to the target
};

/** Stable name of a frame kind: "packet", "lost", "dtx" or "underrun". */
const char* JitterFrameKindName(JitterFrameKind kind);
/** Stable name of an underrun cause: "none", "prefill", "starved" or "stretch". */
const char* UnderrunCauseName(UnderrunCause cause);

/** One Pop's result. Payload pointers stay valid until the next Push or Reset. */
struct JitterFrame {
  JitterFrameKind kind = JitterFrameKind::kUnderrun;
  UnderrunCause cause = UnderrunCause::kNone;
  uint32_t timestamp = 0;  // sender's RTP timestamp where this media starts
  uint32_t samples = 0;    // media duration at the RTP clock (a suggested fill for underruns)
  uint16_t sequence = 0;   // packet (and DTX packet) frames only
  bool marker = false;
  uint8_t payload_type = 0;
  const uint8_t* payload = nullptr;  // packet, or a DTX packet's own payload
  size_t payload_size = 0;
  const uint8_t* next_payload = nullptr;  // lost: the packet right after the gap (for FEC)
  size_t next_payload_size = 0;
};

/** Counters and delays of one jitter buffer. */
struct JitterBufferStats {
  uint64_t received = 0;          // packets pushed
  uint64_t queued = 0;            // packets stored
  uint64_t lost = 0;              // sequence numbers playout passed without the packet
  uint64_t late = 0;              // packets refused as late
  uint64_t duplicates = 0;        // packets refused as duplicates
  uint64_t reordered = 0;         // packets stored behind a newer one
  uint64_t too_big = 0;           // packets refused for size
  uint64_t stale_ssrc = 0;        // packets of a replaced SSRC refused
  uint64_t sequence_jumps = 0;    // packets held back by a sequence jump
  uint64_t dropped_drift = 0;     // packets dropped to lower the level to the target
  uint64_t dropped_overflow = 0;  // packets dropped for the hard cap or a full ring
  uint64_t inserted = 0;          // frames the playout clock was held to raise the level
  uint64_t underruns = 0;         // starved pops while playing
  uint64_t flushed = 0;           // packets discarded by an SSRC change or sequence restart
  uint64_t ssrc_changes = 0;      // times a new SSRC replaced the stream
  uint64_t timestamp_jumps = 0;   // timestamp discontinuities re-based
  uint64_t resyncs = 0;           // gaps too long to conceal, skipped
  uint64_t packets_played = 0;    // packet frames popped
  uint64_t lost_frames = 0;       // lost frames popped
  uint64_t dtx_frames = 0;        // DTX frames popped
  double delay_ms = 0;            // smoothed buffer level as if nothing were late
  double target_delay_ms = 0;     // where the level is steered
  double buffered_ms = 0;         // media buffered ahead of the playout point now
  double jitter_ms = 0;           // RFC 3550 interarrival jitter
};

/** A per-member jitter buffer: Push packets as they arrive, Pop once per media unit. */
class JitterBuffer {
 public:
  /** A buffer; `config` must pass ValidateJitterBufferConfig. Allocates all its memory here. */
  explicit JitterBuffer(const JitterBufferConfig& config);

  /** Offers a parsed packet that arrived at `arrival_ms`. `samples` is its duration at the
   *  RTP clock when the caller knows it (e.g. from the Opus TOC); 0 infers it from
   *  neighbouring timestamps. Copies the payload. */
  JitterPushResult Push(const RtpPacketView& packet, double arrival_ms, uint32_t samples = 0);
  /** The media starting at the playout point. Call again while the caller's decoded audio
   *  covers less than a tick (packets shorter than a tick come one per Pop). */
  JitterFrame Pop();
  /** Forgets the stream and everything buffered; keeps counters and the jitter history. */
  void Reset();

  /** Counters and current delays. */
  JitterBufferStats stats() const;
  /** The configuration it was built with. */
  const JitterBufferConfig& config() const { return config_; }
  /** Current target delay, RTP units. */
  int64_t target_samples() const;
  /** Media buffered ahead of the playout point, RTP units. */
  int64_t buffered_samples() const;
  /** True once playout has started for the current stream. */
  bool playing() const { return playing_; }
  /** The playout point on the stream's continuous timeline, RTP units; it never moves back while
   *  playing one stream. */
  int64_t playout_position() const { return playout_ts_; }

 private:
  struct Slot {
    int64_t sequence = -1;  // extended sequence; -1: empty
    int64_t timestamp = 0;  // on the buffer's continuous timeline
    uint32_t rtp_timestamp = 0;
    uint32_t samples = 0;   // given by the caller; 0: unknown
    uint32_t size = 0;
    uint8_t payload_type = 0;
    bool marker = false;
    bool dtx = false;
  };
  // The newest packet, which maps the next ones onto the timeline.
  struct Reference {
    int64_t sequence = 0;
    int64_t timestamp = 0;
    uint32_t rtp_timestamp = 0;
    double arrival_ms = 0;
  };

  void ResetStream();
  void SwitchStream(uint32_t ssrc, double arrival_ms);
  int64_t MapTimestamp(int64_t sequence, uint32_t rtp_timestamp, double arrival_ms);
  bool SeenBefore(int64_t sequence) const;
  void MarkSeen(int64_t sequence);
  Slot& SlotFor(int64_t sequence) { return slots_[static_cast<size_t>(sequence % slot_count_)]; }
  const Slot& SlotFor(int64_t sequence) const {
    return slots_[static_cast<size_t>(sequence % slot_count_)];
  }
  uint8_t* PayloadOf(const Slot& slot);
  const Slot* FindNext() const;
  const Slot* FindFrom(int64_t first) const;
  Slot* FindAfter(int64_t sequence);
  Slot* NextBuffered();
  // The playout point once time spent starved is credited against the next gap.
  int64_t EffectivePlayout() const;
  int64_t PacketSamples(const Slot& slot) const;
  bool TryStart();
  void EnforceHardCap();
  // newest_end_ from the packets still held (after the one that set it left).
  void RecomputeNewestEnd();
  // Drops packets the window left behind when the highest sequence moved on from `previous_highest`.
  void DropUnreachable(int64_t previous_highest);
  void Advance(int64_t samples);
  void Consume(Slot& slot, int64_t samples);
  JitterFrame PlayPacket(Slot& slot);
  JitterFrame Silence(int64_t samples, bool advance);
  JitterFrame Underrun(UnderrunCause cause);
  JitterFrame NothingBuffered();
  int64_t Unit() const { return ptime_ > frame_ ? ptime_ : frame_; }
  int64_t MsToSamples(double ms) const;
  double SamplesToMs(double samples) const;

  JitterBufferConfig config_;
  int64_t frame_;
  int64_t min_delay_;
  int64_t max_delay_;
  int64_t min_packet_;   // shortest packet time believed (2.5 ms)
  int64_t max_packet_;
  int64_t max_conceal_;  // longest gap concealed; longer ones are skipped
  int64_t dtx_hold_;
  int64_t slot_count_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> payloads_;
  size_t buffered_ = 0;

  JitterDelayEstimator estimator_;
  InterarrivalJitter jitter_;
  JitterBufferStats stats_;

  // The incoming stream.
  bool has_stream_ = false;
  uint32_t ssrc_ = 0;
  bool has_previous_ssrc_ = false;
  uint32_t previous_ssrc_ = 0;
  double switched_at_ms_ = 0;
  bool has_reference_ = false;
  Reference reference_;
  bool has_pre_jump_reference_ = false;
  Reference pre_jump_reference_;
  int64_t highest_sequence_ = 0;
  std::array<uint64_t, 16> seen_{};  // one bit per sequence number, 1024 back from the newest
  int64_t ptime_ = 0;      // packet duration, RTP units
  int64_t last_step_ = 0;  // timestamp step between the last two consecutive packets
  int64_t newest_end_ = 0;
  bool probation_ = false;            // far sequence numbers seen: maybe a restart
  int64_t probation_highest_ = 0;     // highest of them (16-bit, extended)
  double probation_start_ms_ = 0;     // arrival of the first of them
  bool has_previous_range_ = false;  // the sender restarted its sequence numbers recently
  int64_t previous_range_highest_ = 0;
  double restarted_at_ms_ = 0;

  // Playout.
  bool playing_ = false;
  int64_t playout_ts_ = 0;
  uint32_t playout_rtp_ts_ = 0;
  int64_t played_sequence_ = 0;
  int64_t starved_ = 0;  // media time spent starved, credited against the next gap
  bool last_was_dtx_ = false;
  int64_t last_dtx_ts_ = 0;
  double level_ema_ = 0;  // smoothed level-if-nothing-were-late, RTP units
};

}  // namespace confmix::rtp
