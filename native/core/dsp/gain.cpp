#include "core/dsp/gain.h"

#include <cmath>

namespace confmix {

namespace {

// 10^(3·L/20) for L = -4..+4. Level 0 is the literal 1 so unity stays bit-exact.
constexpr float kLevelGains[] = {
    0.25118864315f, 0.35481338923f, 0.50118723363f, 0.70794578438f, 1.0f,
    1.41253754462f, 1.99526231497f, 2.81838293126f, 3.98107170553f,
};

}  // namespace

float VolumeLevelGain(int level) { return kLevelGains[level - kMinVolumeLevel]; }

void AccumulateWithTalkGain(const int16_t* __restrict in, int level, int32_t* __restrict contribution,
                            int32_t* __restrict sum, size_t samples) {
  if (level == 0) {
    for (size_t i = 0; i < samples; ++i) {
      const int32_t c = in[i];
      contribution[i] = c;
      sum[i] += c;
    }
    return;
  }
  // Largest product is 32768·3.98 = 130457: well inside int32 and exact in float's 24-bit mantissa.
  const float gain = VolumeLevelGain(level);
  for (size_t i = 0; i < samples; ++i) {
    const int32_t c = static_cast<int32_t>(std::nearbyint(static_cast<float>(in[i]) * gain));
    contribution[i] = c;
    sum[i] += c;
  }
}

void SubtractToFloat(const int32_t* __restrict sum, const int32_t* __restrict own, float* __restrict out,
                     size_t samples) {
  if (own == nullptr) {
    for (size_t i = 0; i < samples; ++i) out[i] = static_cast<float>(sum[i]);
    return;
  }
  for (size_t i = 0; i < samples; ++i) out[i] = static_cast<float>(sum[i] - own[i]);
}

void AddToFloat(const int32_t* __restrict extra, float* __restrict x, size_t samples) {
  for (size_t i = 0; i < samples; ++i) x[i] += static_cast<float>(extra[i]);
}

void ScaleInPlace(float* __restrict x, float gain, size_t samples) {
  for (size_t i = 0; i < samples; ++i) x[i] *= gain;
}

void AddInPlace(float* __restrict x, const float* __restrict noise, size_t samples) {
  for (size_t i = 0; i < samples; ++i) x[i] += noise[i];
}

}  // namespace confmix
