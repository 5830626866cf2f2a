// Rational polyphase resampler between 8, 12, 16, 24, 32 and 48 kHz, one frame at a time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix {

class Resampler {
 public:
  /** Both rates must be one of 8000, 12000, 16000, 24000, 32000, 48000. */
  Resampler(int in_rate, int out_rate);
  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  /** Output samples for `in_samples` input samples (frames are whole milliseconds, so exact). */
  size_t OutSamples(size_t in_samples) const;
  /** Resamples one mono frame; writes OutSamples(in_samples) samples to `out`. Keeps filter
   *  history across calls, so consecutive frames join without a seam. No allocation. */
  void Process(const int16_t* in, size_t in_samples, int16_t* out);
  /** Forgets the history (a new stream). */
  void Reset();

 private:
  int in_rate_;
  int out_rate_;
  // Implementation state (filter bank, history) is the implementer's to define.
  int up_ = 1;
  int down_ = 1;
  int taps_per_phase_ = 0;
  size_t phase_ = 0;
  std::vector<float> bank_;
  std::vector<float> history_;
};

bool IsResamplerRate(int rate);

}  // namespace confmix
