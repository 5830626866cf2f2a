#include "core/dsp/limiter.h"

#include <cmath>

namespace confmix {

namespace {

constexpr float kSoftRange = kLimiterCeiling - kLimiterKnee;
constexpr float kInvSoftRange = 1.0f / kSoftRange;

// Branch-free so the loop below vectorizes: both sides are computed and one is selected.
inline float SoftLimitInline(float x) {
  const float magnitude = std::fabs(x);
  const float excess = magnitude - kLimiterKnee;
  const float over = (excess > 0.0f ? excess : 0.0f) * kInvSoftRange;  // not fmax: it blocks vectorizing
  const float soft = kLimiterKnee + kSoftRange * (over / (1.0f + over));
  const float limited = magnitude < kLimiterKnee ? magnitude : soft;
  return std::copysign(limited, x);
}

}  // namespace

float SoftLimit(float x) { return SoftLimitInline(x); }

void LimitToInt16(const float* __restrict in, int16_t* __restrict out, size_t samples) {
  for (size_t i = 0; i < samples; ++i)
    out[i] = static_cast<int16_t>(static_cast<int32_t>(std::nearbyint(SoftLimitInline(in[i]))));
}

}  // namespace confmix
