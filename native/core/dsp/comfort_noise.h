// Comfort noise: white noise at a set RMS level, for outputs nobody contributed to.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace confmix {

/** Default comfort noise level, dBFS RMS. */
constexpr double kDefaultComfortNoiseDbfs = -60.0;
/** Quietest comfort noise level accepted, dBFS RMS. */
constexpr double kMinComfortNoiseDbfs = -100.0;
/** Loudest comfort noise level accepted, dBFS RMS (full-scale uniform noise is -4.77). */
constexpr double kMaxComfortNoiseDbfs = 0.0;
/** FreeSWITCH's `comfort-noise` divisor when the profile says just `true`. */
constexpr uint32_t kFreeswitchDefaultComfortNoiseDivisor = 1400;

/** RMS in sample units (re 32767 full scale) of a dBFS level. */
double DbfsToRms(double dbfs);

/** True when `dbfs` is a finite level in [kMinComfortNoiseDbfs, kMaxComfortNoiseDbfs]. */
bool IsValidComfortNoiseDbfs(double dbfs);

/** The dBFS RMS that FreeSWITCH's comfort noise produces for a `comfort-noise` divisor.
 *  FreeSWITCH (switch_generate_sln_silence) makes each sample by summing six 16-bit LCG outputs,
 *  wrapping the sum to int16 (so it is uniform over all 65536 values), then dividing by the
 *  divisor with C's truncating division. The RMS of that is computed exactly over the 65536
 *  values: about -4.77 - 20·log10(divisor) dB, a little lower once truncation bites (1400 gives
 *  -67.97 dBFS). Returns nothing (off) for 0 and for divisors so large every sample is 0. */
std::optional<double> ComfortNoiseDbfsFromDivisor(uint32_t divisor);

/** A white noise source (uniform, flat spectrum) at a fixed RMS level. */
class ComfortNoise {
 public:
  /** Noise at `dbfs` RMS (re 32767); `seed` picks the sequence (any value). */
  explicit ComfortNoise(double dbfs, uint32_t seed = 0x9E3779B9u);
  /** The level, dBFS RMS. */
  double dbfs() const { return dbfs_; }
  /** Writes the next `samples` samples of noise (in sample units, not rounded). */
  void Generate(float* out, size_t samples);

 private:
  double dbfs_;
  float peak_;     // uniform noise in [-peak, +peak] has RMS peak/sqrt(3)
  uint32_t state_; // xorshift32 state, never 0
};

}  // namespace confmix
