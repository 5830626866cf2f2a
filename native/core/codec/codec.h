// The codec interface the member pipeline uses. The mixer is mono: decoders downmix, and
// stereo encoders send the mono mix on both channels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace confmix {

enum class CodecKind : uint8_t { kPcmu, kPcma, kL16, kOpus };

/** What a payload says of its own voice activity (the sender's VAD), without decoding it. */
enum class VoiceActivity : uint8_t {
  kUnknown,   // the payload does not say (a codec without a VAD flag, CELT-only Opus, malformed)
  kInactive,  // the sender's encoder marked every frame in it as unvoiced
  kActive,    // the sender's encoder marked at least one frame in it as voiced
};

/** What a leg negotiated for one direction of audio. */
struct CodecParams {
  CodecKind kind = CodecKind::kPcmu;
  int payload_type = 0;
  int clock_rate = 8000;   // RTP clock; Opus is always 48000
  int pcm_rate = 0;        // Opus PCM rate (8000, 12000, 16000, 24000 or 48000); 0: the clock rate
  int channels = 1;        // payload channels (Opus stereo: 2); the mix itself is mono
  bool inband_fec = true;  // Opus useinbandfec
  bool dtx = false;        // Opus usedtx: the encoder may send DTX frames
  int bitrate = 0;         // Opus bits/s; 0 = DefaultOpusBitrate for the PCM rate and channels
  int max_bitrate = 0;     // Opus: the peer's maxaveragebitrate, which caps that default; 0 = none
  int complexity = 5;      // Opus 0..10
  int expected_loss = 10;  // Opus: loss percentage the encoder's in-band FEC plans for (0..100)
};

/** Decodes one leg's payloads to mono int16 at `rate()`. */
class Decoder {
 public:
  virtual ~Decoder() = default;
  /** Mono samples per second produced. */
  virtual int rate() const = 0;
  /** Decodes a payload; returns mono samples written, or -1 if the payload is malformed. */
  virtual int Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) = 0;
  /** Fills `samples` of packet-loss concealment; returns samples written. */
  virtual int Conceal(int16_t* out, size_t samples) = 0;
  /** Recovers a lost frame of `samples` from the FEC in the next packet's payload; returns
   *  samples written, or -1 when the codec has no FEC (callers then Conceal). */
  virtual int DecodeFec(const uint8_t* next_payload, size_t size, int16_t* out, size_t samples) {
    (void)next_payload; (void)size; (void)out; (void)samples;
    return -1;
  }
  /** True when the payload carries no audio to decode (an Opus DTX frame). */
  virtual bool IsDtx(const uint8_t* payload, size_t size) const { (void)payload; return size == 0; }
  /** The sender's voice-activity verdict carried in the payload; kUnknown when it carries none. */
  virtual VoiceActivity PayloadVoiceActivity(const uint8_t* payload, size_t size) const {
    (void)payload; (void)size;
    return VoiceActivity::kUnknown;
  }
  /** The payload's duration in RTP clock units (what the jitter buffer counts), or -1 if it is
   *  malformed. Equals Decode's sample count when rate() is the RTP clock. */
  virtual int PayloadSamples(const uint8_t* payload, size_t size) const {
    (void)payload; (void)size;
    return -1;
  }
};

/** Encodes mono int16 at `rate()` to one payload. */
class Encoder {
 public:
  virtual ~Encoder() = default;
  /** Mono samples per second consumed. */
  virtual int rate() const = 0;
  /** Encodes `samples` mono samples; returns payload bytes written, or -1 on error. */
  virtual int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) = 0;
  /** Sets the encoder's complexity (0..10, clamped) for later encodes; codecs without one ignore it. */
  virtual void SetComplexity(int complexity) { (void)complexity; }
  /** The complexity the encoder runs at now, or -1 for codecs without one. */
  virtual int complexity() const { return -1; }
  /** Takes `other`'s coding history (same codec, rate and channels), keeping its own complexity:
   *  the next encode continues `other`'s stream. False when they differ. Stateless codecs have
   *  nothing to take. */
  virtual bool ContinueFrom(const Encoder& other) { return other.rate() == rate(); }
};

/** Builds a decoder or encoder; on failure returns null and says why in `error`. */
std::unique_ptr<Decoder> CreateDecoder(const CodecParams& params, std::string* error);
std::unique_ptr<Encoder> CreateEncoder(const CodecParams& params, std::string* error);

}  // namespace confmix
