// Opus (RFC 6716, RTP per RFC 7587) through libopus. The RTP clock is always 48 kHz; the PCM
// side runs at CodecParams::pcm_rate (8, 12, 16, 24 or 48 kHz), which libopus handles natively and
// more cheaply than decoding at 48 kHz and resampling. Decoding is mono (libopus downmixes stereo
// payloads); a stereo encoder sends the mono signal on both channels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/codec/codec.h"

struct OpusDecoder;
struct OpusEncoder;

namespace confmix {

/** The Opus RTP clock, and libopus's highest PCM rate. */
constexpr int kOpusRate = 48000;
/** Longest Opus packet: 120 ms at 48 kHz. */
constexpr size_t kOpusMaxPacketSamples = 5760;
/** Opus frames come in multiples of 2.5 ms (120 samples at 48 kHz). */
constexpr size_t kOpusGranuleSamples = 120;
/** Largest payload the encoder writes (libopus's recommended bound). */
constexpr size_t kOpusMaxPayloadBytes = 4000;
/** libopus's highest encoder complexity (its range is 0..10). */
constexpr int kOpusMaxComplexity = 10;

/** The encoder's bitrate when none is asked for, bits/s, by PCM rate and channels: 32 kbit/s
 *  mono at 8 and 12 kHz, 40 kbit/s otherwise (the lowest whose measured speech quality is within
 *  1 dB of 64 kbit/s's; the benchmark report measures it). libopus's own choice at 16 kHz (about
 *  17 kbit/s) loses up to 2 dB of a tone's level in a mix. */
int DefaultOpusBitrate(int pcm_rate, int channels);

/** The voice activity an Opus packet's SILK layer declares (RFC 6716 4.2.3): CELT-only (TOC
 *  config 16..31) and malformed packets are kUnknown; otherwise kActive when any VAD flag of any
 *  frame is set. Reads only the first byte of each frame; never decodes. */
VoiceActivity OpusPacketVoiceActivity(const uint8_t* payload, size_t size);
/** True when libopus runs at `rate` Hz PCM: 8000, 12000, 16000, 24000 or 48000. */
bool IsOpusPcmRate(int rate);
/** True when `samples` at `rate` Hz is a frame duration libopus encodes (2.5..60 ms). */
bool IsOpusEncodeFrame(size_t samples, int rate = kOpusRate);

/** Opus decoder with in-band FEC and packet-loss concealment. */
class OpusCodecDecoder final : public Decoder {
 public:
  /** Returns null and sets `error` if libopus cannot make the decoder. */
  static std::unique_ptr<OpusCodecDecoder> Create(const CodecParams& params, std::string* error);
  ~OpusCodecDecoder() override;
  OpusCodecDecoder(const OpusCodecDecoder&) = delete;
  OpusCodecDecoder& operator=(const OpusCodecDecoder&) = delete;

  /** The PCM rate: params.pcm_rate, or 48000 when that is 0. */
  int rate() const override { return rate_; }

  int Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) override;
  /** Any length works; lengths that are not whole 2.5 ms go through a scratch buffer. */
  int Conceal(int16_t* out, size_t samples) override;
  /** `samples` (at rate()) must be whole 2.5 ms, at most 120 ms. When the next payload carries no FEC,
   *  libopus conceals instead, so this still returns `samples`. */
  int DecodeFec(const uint8_t* next_payload, size_t size, int16_t* out, size_t samples) override;
  /** Payloads of 2 bytes or less carry no audio (libopus's DTX frames). */
  bool IsDtx(const uint8_t* payload, size_t size) const override;
  /** The SILK layer's VAD flags (SILK-only and hybrid packets); kUnknown for CELT-only or malformed. */
  VoiceActivity PayloadVoiceActivity(const uint8_t* payload, size_t size) const override;
  /** In 48 kHz RTP units, whatever rate() is. */
  int PayloadSamples(const uint8_t* payload, size_t size) const override;

 private:
  OpusCodecDecoder(OpusDecoder* decoder, int rate);
  OpusDecoder* decoder_;
  int rate_;
  size_t granule_samples_;         // 2.5 ms at rate_
  size_t max_packet_samples_;      // 120 ms at rate_
  std::vector<int16_t> scratch_;  // one granule, for concealment of odd lengths
};

/** Opus encoder (OPUS_APPLICATION_VOIP) with configurable bitrate, complexity, FEC and DTX. */
class OpusCodecEncoder final : public Encoder {
 public:
  /** Returns null and sets `error` if libopus rejects the parameters. */
  static std::unique_ptr<OpusCodecEncoder> Create(const CodecParams& params, std::string* error);
  ~OpusCodecEncoder() override;
  OpusCodecEncoder(const OpusCodecEncoder&) = delete;
  OpusCodecEncoder& operator=(const OpusCodecEncoder&) = delete;

  /** The PCM rate: params.pcm_rate, or 48000 when that is 0. */
  int rate() const override { return rate_; }
  /** Copies `other`'s libopus state (a relocatable block of opus_encoder_get_size bytes). */
  bool ContinueFrom(const Encoder& other) override;
  /** `samples` must satisfy IsOpusEncodeFrame(samples, rate()). */
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) override;
  /** OPUS_SET_COMPLEXITY, clamped to 0..10; a call that changes nothing skips libopus. */
  void SetComplexity(int complexity) override;
  /** What libopus reports (OPUS_GET_COMPLEXITY), so callers see the encoder's real setting. */
  int complexity() const override;

 private:
  OpusCodecEncoder(OpusEncoder* encoder, int rate, int channels, int complexity);
  OpusEncoder* encoder_;
  int rate_;
  int channels_;
  int complexity_;  // the last value given to libopus
  std::vector<int16_t> interleaved_;  // stereo input: the mono frame on both channels
};

}  // namespace confmix
