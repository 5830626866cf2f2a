// Opus (RFC 6716, RTP per RFC 7587) through libopus, always at 48 kHz. Decoding is mono
// (libopus downmixes stereo payloads); a stereo encoder sends the mono signal on both channels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/codec/codec.h"

struct OpusDecoder;
struct OpusEncoder;

namespace confmix {

constexpr int kOpusRate = 48000;
/** Longest Opus packet: 120 ms at 48 kHz. */
constexpr size_t kOpusMaxPacketSamples = 5760;
/** Opus frames come in multiples of 2.5 ms (120 samples at 48 kHz). */
constexpr size_t kOpusGranuleSamples = 120;
/** Largest payload the encoder writes (libopus's recommended bound). */
constexpr size_t kOpusMaxPayloadBytes = 4000;

/** True when `samples` at 48 kHz is a frame duration libopus encodes (2.5..60 ms). */
bool IsOpusEncodeFrame(size_t samples);

/** Opus decoder with in-band FEC and packet-loss concealment. */
class OpusCodecDecoder final : public Decoder {
 public:
  /** Returns null and sets `error` if libopus cannot make the decoder. */
  static std::unique_ptr<OpusCodecDecoder> Create(const CodecParams& params, std::string* error);
  ~OpusCodecDecoder() override;
  OpusCodecDecoder(const OpusCodecDecoder&) = delete;
  OpusCodecDecoder& operator=(const OpusCodecDecoder&) = delete;

  int rate() const override { return kOpusRate; }
  int Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) override;
  /** Any length works; lengths that are not whole 2.5 ms go through a scratch buffer. */
  int Conceal(int16_t* out, size_t samples) override;
  /** `samples` must be whole 2.5 ms, at most 120 ms. When the next payload carries no FEC,
   *  libopus conceals instead, so this still returns `samples`. */
  int DecodeFec(const uint8_t* next_payload, size_t size, int16_t* out, size_t samples) override;
  /** Payloads of 2 bytes or less carry no audio (libopus's DTX frames). */
  bool IsDtx(const uint8_t* payload, size_t size) const override;
  int PayloadSamples(const uint8_t* payload, size_t size) const override;

 private:
  explicit OpusCodecDecoder(OpusDecoder* decoder);
  OpusDecoder* decoder_;
  std::vector<int16_t> scratch_;  // one 120 ms packet, for concealment of odd lengths
};

/** Opus encoder (OPUS_APPLICATION_VOIP) with configurable bitrate, complexity, FEC and DTX. */
class OpusCodecEncoder final : public Encoder {
 public:
  /** Returns null and sets `error` if libopus rejects the parameters. */
  static std::unique_ptr<OpusCodecEncoder> Create(const CodecParams& params, std::string* error);
  ~OpusCodecEncoder() override;
  OpusCodecEncoder(const OpusCodecEncoder&) = delete;
  OpusCodecEncoder& operator=(const OpusCodecEncoder&) = delete;

  int rate() const override { return kOpusRate; }
  /** `samples` must satisfy IsOpusEncodeFrame. */
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) override;

 private:
  OpusCodecEncoder(OpusEncoder* encoder, int channels);
  OpusEncoder* encoder_;
  int channels_;
  std::vector<int16_t> interleaved_;  // stereo input: the mono frame on both channels
};

}  // namespace confmix
