// ITU-T G.711 PCMU (μ-law) and PCMA (A-law), 8 kHz mono, plus the waveform-replay
// concealment that the PCM codecs share.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/codec/codec.h"

namespace confmix {

/** μ-law code of one int16 sample (the 14-bit quantizer of G.711 on the sample's top bits). */
uint8_t PcmuFromLinear(int16_t sample);
/** int16 reconstruction value of one μ-law code. */
int16_t LinearFromPcmu(uint8_t code);
/** A-law code of one int16 sample (the 13-bit quantizer of G.711 on the sample's top bits). */
uint8_t PcmaFromLinear(int16_t sample);
/** int16 reconstruction value of one A-law code. */
int16_t LinearFromPcma(uint8_t code);

/** Encodes `samples` int16 samples to μ-law codes. */
void EncodePcmu(const int16_t* pcm, size_t samples, uint8_t* codes);
/** Decodes `samples` μ-law codes to int16. */
void DecodePcmu(const uint8_t* codes, size_t samples, int16_t* pcm);
/** Encodes `samples` int16 samples to A-law codes. */
void EncodePcma(const int16_t* pcm, size_t samples, uint8_t* codes);
/** Decodes `samples` A-law codes to int16. */
void DecodePcma(const uint8_t* codes, size_t samples, int16_t* pcm);

/** Concealment for codecs without their own: replays the last 20 ms decoded, fading to
 *  silence over 40 ms of loss. Buffers are sized at construction. */
class PcmConcealer {
 public:
  /** `rate` is the decoder's sample rate. */
  explicit PcmConcealer(int rate);
  /** Records decoded audio so a later loss has something to replay. */
  void Remember(const int16_t* pcm, size_t samples);
  /** Writes `samples` of concealment. */
  void Conceal(int16_t* out, size_t samples);

 private:
  std::vector<int16_t> history_;  // ring of the last history_.size() decoded samples
  size_t write_ = 0;              // next ring slot to write
  size_t filled_ = 0;             // ring slots holding real audio
  size_t replay_ = 0;             // next ring slot to replay during a loss
  size_t fade_samples_;           // loss length after which the output is silent
  size_t lost_ = 0;               // samples concealed since the last good frame
};

/** G.711 decoder (8 kHz mono). */
class G711Decoder final : public Decoder {
 public:
  /** `alaw` picks PCMA; otherwise PCMU. */
  explicit G711Decoder(bool alaw);
  int rate() const override { return 8000; }
  int Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) override;
  int Conceal(int16_t* out, size_t samples) override;
  int PayloadSamples(const uint8_t* payload, size_t size) const override;

 private:
  bool alaw_;
  PcmConcealer concealer_;
};

/** G.711 encoder (8 kHz mono). */
class G711Encoder final : public Encoder {
 public:
  /** `alaw` picks PCMA; otherwise PCMU. */
  explicit G711Encoder(bool alaw) : alaw_(alaw) {}
  int rate() const override { return 8000; }
  int Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) override;

 private:
  bool alaw_;
};

}  // namespace confmix
