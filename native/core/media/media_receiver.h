// One member's receive path: RTP datagram -> parse -> RFC 4733 or jitter buffer; and per tick,
// jitter buffer -> decode (PLC/FEC on loss, nothing for DTX or muted input) -> resample to the
// conference rate. Opus decodes straight at the conference rate when libopus supports it, so the
// jitter buffer (RTP clock, 48 kHz) and the decoder's PCM may run at different rates.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/codec/codec.h"
#include "core/dsp/resampler.h"
#include "core/rtp/jitter_buffer.h"
#include "core/rtp/rtp_packet.h"
#include "core/rtp/telephone_event.h"

namespace confmix {

/** How a member's receive path is built. */
struct ReceiverConfig {
  CodecParams codec;                  // what the peer sends
  int telephone_event_pt = -1;        // RFC 4733 payload type, -1 for none
  int telephone_event_clock = 8000;   // its RTP clock (8000 or 48000)
  int conference_rate = 16000;
  int interval_ms = 20;
  uint32_t max_delay_ms = rtp::kJitterMaxDelayMs;
};

/** Why a datagram was not taken. */
enum class ReceiveReject : uint8_t {
  kMalformed = 0,    // not a parsable RTP packet
  kWrongPayloadType, // neither the codec's nor telephone-event's
  kJitterRefused,    // late, duplicate, too big, stale SSRC
  kCount,
};

/** Stable name of a reject reason, e.g. "wrong-payload-type". */
const char* ReceiveRejectName(ReceiveReject reason);

/** Counters of a receive path. */
struct ReceiverStats {
  uint64_t packets = 0;        // RTP packets accepted (audio and telephone-event)
  uint64_t bytes = 0;          // their payload bytes
  uint64_t rtcp = 0;           // RTCP datagrams on the RTP port (rtcp-mux)
  uint64_t dtmf_keys = 0;      // RFC 4733 key presses recognised
  uint64_t decodes = 0;        // decoder calls (payloads decoded, FEC and PLC included)
  uint64_t skipped_decodes = 0;  // payloads consumed without decoding (muted, DTX)
  uint64_t concealed = 0;      // frames filled by PLC
  uint64_t fec_recovered = 0;  // frames recovered from the next packet's FEC
  std::array<uint64_t, static_cast<size_t>(ReceiveReject::kCount)> rejected{};
  std::array<uint64_t, rtp::kRtpParseResultCount> malformed{};  // by parse result
  uint32_t last_ssrc = 0;
  uint16_t last_sequence = 0;
  uint32_t last_timestamp = 0;
};

/** A datagram's fate, returned by OnDatagram. */
struct ReceiveResult {
  bool valid = false;                 // a packet for this leg (latches, resets the timeout)
  bool rtcp = false;                  // an RTCP datagram (valid, handled by the caller)
  char key = 0;                       // an RFC 4733 key press started ('0'-'9', '*', '#', 'A'-'D')
  std::optional<ReceiveReject> reject;  // why it was not taken
  bool rtp = false;                   // a parsed RTP packet (taken or not): the fields below are set
  bool telephone_event = false;       // it carried RFC 4733 events
  uint32_t ssrc = 0;                  // its header fields, for RTCP reception statistics
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  size_t payload_size = 0;
};

class MediaReceiver {
 public:
  /** Builds a receive path, or returns null and says why. Allocates everything here. */
  static std::unique_ptr<MediaReceiver> Create(const ReceiverConfig& config, std::string* error);

  /** Offers one datagram that arrived at `arrival_ms` (monotonic). Never allocates. */
  ReceiveResult OnDatagram(const uint8_t* data, size_t size, double arrival_ms);

  /** Fills `out` (one frame at the conference rate) for this tick. With `decode` false (muted or
   *  held input) packets are consumed without decoding. Returns true when the frame carries
   *  audio to mix; false for silence (underrun, DTX, not decoded), with `out` zeroed. */
  bool ProduceFrame(int16_t* out, bool decode);

  /** Counters. */
  const ReceiverStats& stats() const { return stats_; }
  /** The jitter buffer's counters. */
  rtp::JitterBufferStats jitter_stats() const { return jitter_->stats(); }
  /** What the peer sends (codec.pcm_rate: the rate the decoder runs at). */
  const ReceiverConfig& config() const { return config_; }

 private:
  MediaReceiver(const ReceiverConfig& config, std::unique_ptr<Decoder> decoder,
                std::unique_ptr<rtp::JitterBuffer> jitter);
  // Appends `samples` decoded (or zero) samples at the codec rate to the FIFO; returns true if audio.
  bool FillOne(const rtp::JitterFrame& frame, bool decode);
  // PCM samples at the decoder's rate for `rtp_units` of RTP clock.
  size_t PcmSamples(uint32_t rtp_units);
  size_t FifoSpace() const { return fifo_.size() - fifo_used_; }

  ReceiverConfig config_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<rtp::JitterBuffer> jitter_;
  std::optional<rtp::TelephoneEventDetector> telephone_events_;
  std::optional<Resampler> resampler_;  // codec rate -> conference rate, when they differ
  size_t codec_frame_samples_;          // one tick at the codec rate
  size_t conference_frame_samples_;
  std::vector<int16_t> fifo_;           // decoded audio at the codec rate not yet played
  std::vector<uint8_t> fifo_audio_;     // per sample: 1 when it is decoded audio
  size_t fifo_used_ = 0;
  uint64_t pcm_remainder_ = 0;          // RTP units x decoder rate not yet a whole PCM sample
  std::vector<int16_t> codec_frame_;    // one tick at the codec rate, before resampling
  ReceiverStats stats_;
  bool last_frame_audio_ = false;  // the last tick carried audio (a talker mid-sentence)
  int concealed_run_ = 0;          // ticks concealed in a row for a late packet
  static constexpr int kMaxConcealedRun = 3;
};

}  // namespace confmix
