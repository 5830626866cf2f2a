// L16 (RFC 3551): linear 16-bit PCM in network byte order. Multichannel payloads are
// downmixed to mono on decode; the encoder sends the mono signal on every channel.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/codec/codec.h"
#include "core/codec/g711.h"

namespace confmix {

/** Writes `samples` int16 samples as big-endian bytes (2 per sample). */
void WriteL16(const int16_t* pcm, size_t samples, uint8_t* bytes);
/** Reads `frames` frames of `channels` big-endian samples, averaging channels to mono. */
void ReadL16Mono(const uint8_t* bytes, size_t frames, int channels, int16_t* pcm);

/** L16 decoder at any resampler rate, 1..8 channels. */
class L16Decoder final : public Decoder {
 public:
  /** `rate` is the RTP clock rate; `channels` the payload's interleaved channels. */
  L16Decoder(int rate, int channels);
  int rate() const override { return rate_; }
  int Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) override;
  int Conceal(int16_t* out, size_t samples) override;
  int PayloadSamples(const uint8_t* payload, size_t size) const override;

 private:
  int rate_;
  int channels_;
  PcmConcealer concealer_;
};

/** L16 encoder at any resampler rate, 1..8 channels. */
class L16Encoder final : public Encoder {
 public:
  /** `rate` is the RTP clock rate; `channels` the payload's interleaved channels. */
  L16Encoder(int rate, int channels) : rate_(rate), channels_(channels) {}
  int rate() const override { return rate_; }
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) override;

 private:
  int rate_;
  int channels_;
};

}  // namespace confmix
