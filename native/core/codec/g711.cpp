#include "core/codec/g711.h"

#include <algorithm>
#include <cstring>

namespace confmix {
namespace {

// Negative samples use the one's complement (-x - 1) as their magnitude, as the ITU-T G.191
// reference does: the quantizer is then symmetric about -0.5, and a code depends only on the
// sample's top 14 (μ-law) or 12 (A-law) bits, so encoding is one table lookup.
constexpr int kPcmuIndexShift = 2;   // int16 -> 14-bit μ-law domain
constexpr int kPcmaIndexShift = 4;   // int16 -> 12 bits: A-law's 13-bit domain in steps of 2
constexpr int kPcmuBias = 33;        // shifts μ-law's segments onto powers of two
constexpr int kPcmuBiasedMax = 8191; // top of segment 7 once biased; larger inputs clip

int FloorLog2(unsigned v) { return 31 - __builtin_clz(v); }

uint8_t PcmuCodeOf14Bit(int v) {
  const bool positive = v >= 0;
  const int magnitude = positive ? v : ~v;
  const int biased = std::min(magnitude + kPcmuBias, kPcmuBiasedMax);
  const int segment = FloorLog2(static_cast<unsigned>(biased)) - 5;
  const int step = (biased >> (segment + 1)) & 15;
  // μ-law sends the polarity bit as is (1 = positive) and the segment and step inverted.
  return static_cast<uint8_t>((positive ? 0x80 : 0) | (~((segment << 4) | step) & 0x7F));
}

inline int16_t PcmuReconstruction(uint8_t code) {
  const int inverted = ~code;
  const int segment = (inverted >> 4) & 7;
  const int step = inverted & 15;
  const int magnitude14 = ((2 * step + kPcmuBias) << segment) - kPcmuBias;
  const int value = magnitude14 << kPcmuIndexShift;
  return static_cast<int16_t>((code & 0x80) ? value : -value);
}

uint8_t PcmaCodeOf12Bit(int v) {
  const bool positive = v >= 0;
  const int index = positive ? v : ~v;  // 13-bit magnitude in steps of 2: 0..2047
  int segment = 0;
  int step = index;
  if (index >= 16) {
    segment = FloorLog2(static_cast<unsigned>(index)) - 3;
    step = (index >> (segment - 1)) & 15;
  }
  // A-law inverts the even bits of the whole code word.
  return static_cast<uint8_t>(((positive ? 0x80 : 0) | (segment << 4) | step) ^ 0x55);
}

inline int16_t PcmaReconstruction(uint8_t code) {
  const int word = code ^ 0x55;
  const int segment = (word >> 4) & 7;
  const int step = word & 15;
  const int magnitude13 = segment == 0 ? 2 * step + 1 : (2 * step + 33) << (segment - 1);
  const int value = magnitude13 << 3;
  return static_cast<int16_t>((word & 0x80) ? value : -value);
}

struct G711Tables {
  uint8_t pcmu_encode[1 << (16 - kPcmuIndexShift)];
  uint8_t pcma_encode[1 << (16 - kPcmaIndexShift)];
};

// Built once from the segment math above (thread-safe static initialisation).
const G711Tables& Tables() {
  static const G711Tables tables = [] {
    G711Tables t{};
    for (int i = 0; i < (1 << (16 - kPcmuIndexShift)); ++i) {
      const int signed_index = i >= (1 << (15 - kPcmuIndexShift)) ? i - (1 << (16 - kPcmuIndexShift)) : i;
      t.pcmu_encode[i] = PcmuCodeOf14Bit(signed_index);
    }
    for (int i = 0; i < (1 << (16 - kPcmaIndexShift)); ++i) {
      const int signed_index = i >= (1 << (15 - kPcmaIndexShift)) ? i - (1 << (16 - kPcmaIndexShift)) : i;
      t.pcma_encode[i] = PcmaCodeOf12Bit(signed_index);
    }
    return t;
  }();
  return tables;
}

// Top bits of the sample as an unsigned table index (two's complement wraps to the upper half).
inline unsigned PcmuIndex(int16_t s) { return static_cast<uint16_t>(s) >> kPcmuIndexShift; }
inline unsigned PcmaIndex(int16_t s) { return static_cast<uint16_t>(s) >> kPcmaIndexShift; }

}  // namespace

uint8_t PcmuFromLinear(int16_t sample) { return Tables().pcmu_encode[PcmuIndex(sample)]; }
int16_t LinearFromPcmu(uint8_t code) { return PcmuReconstruction(code); }
uint8_t PcmaFromLinear(int16_t sample) { return Tables().pcma_encode[PcmaIndex(sample)]; }
int16_t LinearFromPcma(uint8_t code) { return PcmaReconstruction(code); }

void EncodePcmu(const int16_t* pcm, size_t samples, uint8_t* codes) {
  const uint8_t* table = Tables().pcmu_encode;
  for (size_t i = 0; i < samples; ++i) codes[i] = table[PcmuIndex(pcm[i])];
}

// Decoding computes each sample: the segment math vectorizes (a lane-wise shift), which a table
// lookup per sample cannot, and it is several times faster.
void DecodePcmu(const uint8_t* codes, size_t samples, int16_t* pcm) {
  for (size_t i = 0; i < samples; ++i) pcm[i] = PcmuReconstruction(codes[i]);
}

void EncodePcma(const int16_t* pcm, size_t samples, uint8_t* codes) {
  const uint8_t* table = Tables().pcma_encode;
  for (size_t i = 0; i < samples; ++i) codes[i] = table[PcmaIndex(pcm[i])];
}

void DecodePcma(const uint8_t* codes, size_t samples, int16_t* pcm) {
  for (size_t i = 0; i < samples; ++i) pcm[i] = PcmaReconstruction(codes[i]);
}

// --- PcmConcealer ---

PcmConcealer::PcmConcealer(int rate)
    : history_(static_cast<size_t>(rate) / 50),       // 20 ms
      fade_samples_(static_cast<size_t>(rate) / 25) {  // 40 ms
}

void PcmConcealer::Remember(const int16_t* pcm, size_t samples) {
  const size_t size = history_.size();
  if (samples >= size) {
    std::memcpy(history_.data(), pcm + (samples - size), size * sizeof(int16_t));
    write_ = 0;
    filled_ = size;
  } else {
    for (size_t i = 0; i < samples; ++i) {
      history_[write_] = pcm[i];
      write_ = write_ + 1 == size ? 0 : write_ + 1;
    }
    filled_ = std::min(size, filled_ + samples);
  }
  lost_ = 0;
  replay_ = 0;
}

void PcmConcealer::Conceal(int16_t* out, size_t samples) {
  const size_t size = history_.size();
  if (filled_ == 0) {
    std::fill(out, out + samples, int16_t{0});
    return;
  }
  const size_t oldest = (write_ + size - filled_) % size;
  for (size_t i = 0; i < samples; ++i) {
    if (lost_ >= fade_samples_) {
      out[i] = 0;
      continue;
    }
    const float gain = 1.0f - static_cast<float>(lost_) / static_cast<float>(fade_samples_);
    const int16_t replayed = history_[(oldest + replay_) % size];
    out[i] = static_cast<int16_t>(static_cast<float>(replayed) * gain);
    replay_ = replay_ + 1 == filled_ ? 0 : replay_ + 1;
    ++lost_;
  }
}

// --- G711Decoder / G711Encoder ---

G711Decoder::G711Decoder(bool alaw) : alaw_(alaw), concealer_(8000) {}

int G711Decoder::PayloadSamples(const uint8_t* payload, size_t size) const {
  if (payload == nullptr || size == 0) return -1;
  return static_cast<int>(size);
}

int G711Decoder::Decode(const uint8_t* payload, size_t size, int16_t* out, size_t max_samples) {
  if (payload == nullptr || size == 0 || size > max_samples) return -1;
  if (alaw_) {
    DecodePcma(payload, size, out);
  } else {
    DecodePcmu(payload, size, out);
  }
  concealer_.Remember(out, size);
  return static_cast<int>(size);
}

int G711Decoder::Conceal(int16_t* out, size_t samples) {
  concealer_.Conceal(out, samples);
  return static_cast<int>(samples);
}

int G711Encoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) {
  if (pcm == nullptr || samples == 0 || samples > max_bytes) return -1;
  if (alaw_) {
    EncodePcma(pcm, samples, out);
  } else {
    EncodePcmu(pcm, samples, out);
  }
  return static_cast<int>(samples);
}

}  // namespace confmix
