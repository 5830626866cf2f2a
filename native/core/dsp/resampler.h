// Rational polyphase resampler between 8, 12, 16, 24, 32 and 48 kHz, one frame at a time.
// Up by L, filter, down by M (L/M = out/in reduced by the gcd). The filter is a Kaiser-windowed
// sinc designed once per L/M and shared read-only by every resampler with that ratio.
//
// By default the filter is its minimum-phase equivalent: the same magnitude response (passband
// and rejection unchanged), with its energy at the start, so a conference hears a member's onset
// about 0.2 ms after it arrives instead of 5 ms (group delay at most 1.8 ms even at the band
// edge, at 8 kHz). The price is a phase that is not linear: the delay grows towards the band
// edge, which speech does not hear. The linear-phase design stays for comparison.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace confmix {

struct ResamplerBank;  // one ratio's polyphase filter, shared read-only (resampler.cpp)

/** The filter's phase: minimum (low delay, the default) or linear (constant delay of 5 ms at 8 kHz). */
enum class ResamplerPhase { kMinimum, kLinear };

class Resampler {
 public:
  /** Both rates must be one of 8000, 12000, 16000, 24000, 32000, 48000; with any other rate
   *  the resampler is not valid() and copies its input unchanged. */
  Resampler(int in_rate, int out_rate, ResamplerPhase phase = ResamplerPhase::kMinimum);
  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  /** False when constructed with an unsupported rate. */
  bool valid() const { return valid_; }
  /** Output samples for `in_samples` input samples (frames are whole milliseconds, so exact:
   *  in_samples * out_rate / in_rate). */
  size_t OutSamples(size_t in_samples) const;
  /** Resamples one mono frame; writes OutSamples(in_samples) samples to `out` and returns that
   *  count. Keeps filter history across calls, so consecutive frames join without a seam.
   *  No allocation. */
  size_t Process(const int16_t* in, size_t in_samples, int16_t* out);
  /** Forgets the history (a new stream). */
  void Reset();
  /** Group delay of the filter at low frequencies, in output samples (0 for the identity). */
  double delay() const;
  /** Filter taps each output sample reads (0 for the identity). */
  size_t taps_per_phase() const { return taps_per_phase_; }

 private:
  int in_rate_;
  int out_rate_;
  bool valid_ = true;
  int up_ = 1;
  int down_ = 1;
  size_t taps_per_phase_ = 0;
  size_t phase_ = 0;  // next output's position on the upsampled timeline, from the first unread input
  std::shared_ptr<const ResamplerBank> bank_;
  std::vector<float> work_;  // taps_per_phase_ - 1 samples of history, then the chunk being read
};

/** True for the rates the resampler converts between. */
bool IsResamplerRate(int rate);

}  // namespace confmix
