#include "core/codec/l16.h"

namespace confmix {

void WriteL16(const int16_t* pcm, size_t samples, uint8_t* bytes) {
  for (size_t i = 0; i < samples; ++i) {
    const uint16_t word = static_cast<uint16_t>(pcm[i]);
    bytes[2 * i] = static_cast<uint8_t>(word >> 8);
    bytes[2 * i + 1] = static_cast<uint8_t>(word & 0xFF);
  }
}

void ReadL16Mono(const uint8_t* bytes, size_t frames, int channels, int16_t* pcm) {
  const size_t stride = 2 * static_cast<size_t>(channels);
  for (size_t i = 0; i < frames; ++i) {
    const uint8_t* frame = bytes + i * stride;
    int32_t sum = 0;
    for (int c = 0; c < channels; ++c) {
      sum += static_cast<int16_t>(static_cast<uint16_t>((frame[2 * c] << 8) | frame[2 * c + 1]));
    }
    pcm[i] = static_cast<int16_t>(sum / channels);  // the mean, rounded toward zero
  }
}

L16Decoder::L16Decoder(int rate, int channels)
    : rate_(rate), channels_(channels), concealer_(rate) {}

int L16Decoder::PayloadSamples(const uint8_t* payload, size_t size) const {
  const size_t frame_bytes = 2 * static_cast<size_t>(channels_);
  if (payload == nullptr || size == 0 || size % frame_bytes != 0) return -1;
  return static_cast<int>(size / frame_bytes);
}

int L16Decoder::Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) {
  const int samples = PayloadSamples(payload, size);
  if (samples < 0 || static_cast<size_t>(samples) > max_samples) return -1;
  ReadL16Mono(payload, static_cast<size_t>(samples), channels_, out);
  concealer_.Remember(out, static_cast<size_t>(samples));
  return samples;
}

int L16Decoder::Conceal(int16_t* out, size_t samples) {
  concealer_.Conceal(out, samples);
  return static_cast<int>(samples);
}

int L16Encoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) {
  const size_t frame_bytes = 2 * static_cast<size_t>(channels_);
  if (pcm == nullptr || samples == 0 || samples > max_bytes / frame_bytes) return -1;
  if (channels_ == 1) {
    WriteL16(pcm, samples, out);
    return static_cast<int>(samples * frame_bytes);
  }
  for (size_t i = 0; i < samples; ++i) {
    for (int c = 0; c < channels_; ++c) WriteL16(pcm + i, 1, out + i * frame_bytes + 2 * c);
  }
  return static_cast<int>(samples * frame_bytes);
}

}  // namespace confmix
