// The soft limiter that turns a (gained) int32 mix into int16.
//
// |x| < 16384 (-6 dBFS) passes unchanged (rounded to the nearest integer, so an integer sum is
// bit-exact). Above the knee K = 16384 the magnitude follows
//     y = K + (C - K) · t / (1 + t),  t = (|x| - K) / (C - K),  C = 32767,
// which meets the line with slope 1 at the knee, rises monotonically and only approaches C, so
// the output never exceeds int16 and keeps x's sign. Being sample-wise, it has no state.
#pragma once
#include <cstddef>
#include <cstdint>

namespace confmix {

/** Magnitude below which samples pass bit-exact (-6 dBFS). */
constexpr float kLimiterKnee = 16384.0f;
/** Magnitude the soft curve approaches but never passes. */
constexpr float kLimiterCeiling = 32767.0f;

/** The limiter's curve for one sample, before rounding. */
float SoftLimit(float x);

/** Limits `samples` float samples to int16 (rounded to nearest). */
void LimitToInt16(const float* in, int16_t* out, size_t samples);

}  // namespace confmix
