// Volume levels (-4..+4, 3 dB a step) and the gain loops of the mix.
#pragma once
#include <cstddef>
#include <cstdint>

namespace confmix {

/** Lowest talk or listen level. */
constexpr int kMinVolumeLevel = -4;
/** Highest talk or listen level. */
constexpr int kMaxVolumeLevel = 4;

/** True for a level in -4..+4. */
constexpr bool IsValidVolumeLevel(int level) {
  return level >= kMinVolumeLevel && level <= kMaxVolumeLevel;
}

/** Linear gain of a level: 10^(3·level/20), exactly 1 at level 0. `level` must be valid. */
float VolumeLevelGain(int level);

/** Talk gain and the int32 sum in one pass: contribution = round(in·gain(level)), sum += contribution.
 *  Level 0 copies the samples exactly. The three buffers must not overlap. */
void AccumulateWithTalkGain(const int16_t* in, int level, int32_t* contribution, int32_t* sum,
                            size_t samples);

/** out = float(sum - own); `own` may be null (nothing to take away). */
void SubtractToFloat(const int32_t* sum, const int32_t* own, float* out, size_t samples);

/** x += float(extra), in place. */
void AddToFloat(const int32_t* extra, float* x, size_t samples);

/** x *= gain, in place. */
void ScaleInPlace(float* x, float gain, size_t samples);

/** x += noise, in place. */
void AddInPlace(float* x, const float* noise, size_t samples);

}  // namespace confmix
