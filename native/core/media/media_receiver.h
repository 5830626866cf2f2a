// One member's receive path: RTP datagram -> parse -> RFC 4733 or jitter buffer; and per tick,
// jitter buffer -> decode (PLC/FEC on loss, nothing for DTX or muted input, nor for payloads the
// sender's VAD marks unvoiced while the member's gate is closed) -> resample to the conference rate. Opus decodes straight at the conference rate when libopus supports it, so the
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
  int audio_level_id = 0;             // RFC 6464 header extension id (1..255), 0 for none
};

/** What ProduceFrame does with this tick's packets. */
enum class DecodePolicy : uint8_t {
  kSkip,    // consume without decoding (muted or held input)
  kAll,     // decode every packet (the member's gate passes)
  kVoiced,  // the gate is closed: payloads the sender marks unvoiced are not decoded, but for a
            // probe every kUnvoicedProbeMs, so a loud signal still reaches the gate
  kBelowCut,  // the sender's RFC 6464 level is below the active talkers' cut: not decoded, the
              // payload kept as a pre-roll like an unvoiced one
  kQuiet,     // the member's decoded frames stay well under what it takes to be heard (its gate
              // closed, or far below the active talkers' cut): a payload that may start speech
              // (a VAD onset, or one clearly larger than its noise's: a VBR encoder coding more)
              // is decoded at once, after a pre-roll; of the other voiced (or unflagged)
              // payloads every other one is decoded, so a voiced onset loses one frame at most;
              // unvoiced ones are skipped as under kVoiced, with a probe every kQuietProbeMs
};

/** RFC 4733 keys a peer may raise at once, and then one per kDtmfKeyIntervalMs: a keypad
 *  dialled as fast as a person or a dialler can stays under it; a peer's junk does not. */
constexpr double kDtmfKeyBurst = 20;
constexpr double kDtmfKeyIntervalMs = 100;

/** Decoder and concealment calls one tick may cost at most, whatever the peer sends: one per
 *  2.5 ms of the tick (the shortest Opus packet) plus a few for a late packet's catch-up. */
constexpr int MaxPopsPerTick(int interval_ms) { return interval_ms * 2 / 5 + 4; }

/** Longest run of unvoiced audio left undecoded under DecodePolicy::kVoiced: the frame that
 *  completes it is decoded (a probe). */
constexpr uint32_t kUnvoicedProbeMs = 200;

/** Longest run of unvoiced audio left undecoded under DecodePolicy::kQuiet (a member whose
 *  decoded frames all scored quiet): its voiced onsets and larger payloads are decoded at once. */
constexpr uint32_t kQuietProbeMs = 1000;

/** Under DecodePolicy::kQuiet a payload more than an eighth plus this many bytes larger than
 *  the recent peak size of the member's noise is decoded at once: a VBR encoder on speech. */
constexpr uint32_t kOnsetCueBytes = 4;

/** Why a datagram was not taken. */
enum class ReceiveReject : uint8_t {
  kMalformed = 0,    // not a parsable RTP packet
  kWrongPayloadType, // neither the codec's nor telephone-event's
  kJitterRefused,    // late, duplicate, stale SSRC
  kTooBig,           // a payload larger than the jitter buffer holds (not this leg's media)
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
  uint64_t dtmf_dropped = 0;   // key presses over the rate a keypad can make, not raised
  uint64_t decodes = 0;        // decoder calls (payloads decoded, FEC and PLC included)
  uint64_t skipped_decodes = 0;  // payloads consumed without decoding (muted, DTX)
  uint64_t unvoiced_skips = 0;   // payloads not decoded because the sender marked them unvoiced
  uint64_t level_skips = 0;      // payloads not decoded because their RFC 6464 level missed the cut
  uint64_t quiet_skips = 0;      // voiced payloads not decoded because the member stayed quiet (kQuiet)
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

  /** Fills `out` (one frame at the conference rate) for this tick, decoding per `policy`.
   *  Returns true when the frame carries audio to mix; false for silence (underrun, DTX, not
   *  decoded), with `out` zeroed. Never allocates. */
  bool ProduceFrame(int16_t* out, DecodePolicy policy);

  /** The loudest RFC 6464 level (-dBov, 0..127) of the packets taken since the last
   *  ProduceFrame, or -1 when none carried one (or the extension is not negotiated). */
  int audio_level_dbov() const { return audio_level_dbov_; }

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
  bool FillOne(const rtp::JitterFrame& frame, DecodePolicy policy);
  // True when `frame` (a packet) is skipped as unvoiced, kept for the pre-roll; false when it is
  // to be decoded, with `probe` set when it is decoded only because the run reached the probe.
  bool SkipUnvoiced(const rtp::JitterFrame& frame, DecodePolicy policy, bool* probe);
  // Before a decode that follows unvoiced skips: decodes the last skipped payload into the FIFO's
  // free tail (overwritten by the real decode), so the decoder's state is fresh at an onset.
  void PreRoll();
  // True when a key arriving at `arrival_ms` is within the peer's key rate (and takes a token).
  bool TakeKeyToken(double arrival_ms);
  // True when a payload under kQuiet may start speech: the sender's VAD turns active, or it is
  // clearly larger than the recent peak size of the member's payloads.
  bool OnsetCue(const rtp::JitterFrame& frame, VoiceActivity activity);
  // Follows the recent peak payload size (every payload not muted or DTX).
  void TrackPayloadSize(size_t size);
  // A decode (or a muted packet) ends the unvoiced run.
  void EndUnvoicedRun();
  // The last packet was skipped as unvoiced: a loss after it is silence, not concealment.
  bool after_unvoiced_skip() const { return unvoiced_run_ > 0; }
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
  uint32_t unvoiced_run_ = 0;      // RTP units skipped as unvoiced since the last decode
  uint32_t probe_units_;           // kUnvoicedProbeMs in RTP units
  uint32_t quiet_probe_units_;     // kQuietProbeMs in RTP units
  std::vector<uint8_t> preroll_;   // the last payload skipped as unvoiced (capacity: largest accepted)
  size_t preroll_size_ = 0;        // its size; 0 when there is none to pre-roll
  double dtmf_tokens_ = kDtmfKeyBurst;  // keys the peer may still raise now
  double dtmf_refilled_ms_ = -1;       // when the tokens were last topped up; <0: never
  int max_pops_;                       // MaxPopsPerTick of the interval
  int audio_level_dbov_ = -1;      // see audio_level_dbov()
  int concealed_run_ = 0;          // ticks concealed in a row for a late packet
  uint32_t noise_bytes16_ = 0;     // recent peak payload size of the member's noise, 1/16 bytes; 0: none yet
  bool last_voiced_ = false;       // the last payload's VAD flag was active
  static constexpr int kMaxConcealedRun = 3;
};

}  // namespace confmix
