#include "core/dsp/comfort_noise.h"

#include <cmath>

namespace confmix {

double DbfsToRms(double dbfs) { return 32767.0 * std::pow(10.0, dbfs / 20.0); }

bool IsValidComfortNoiseDbfs(double dbfs) {
  return std::isfinite(dbfs) && dbfs >= kMinComfortNoiseDbfs && dbfs <= kMaxComfortNoiseDbfs;
}

std::optional<double> ComfortNoiseDbfsFromDivisor(uint32_t divisor) {
  if (divisor == 0) return std::nullopt;
  // Mean square of trunc(v / divisor) over every int16 v, each equally likely.
  double sum_squares = 0.0;
  for (int32_t v = -32768; v <= 32767; ++v) {
    const double q = static_cast<double>(v / static_cast<int64_t>(divisor));
    sum_squares += q * q;
  }
  if (sum_squares == 0.0) return std::nullopt;
  const double rms = std::sqrt(sum_squares / 65536.0);
  return 20.0 * std::log10(rms / 32767.0);
}

ComfortNoise::ComfortNoise(double dbfs, uint32_t seed)
    : dbfs_(dbfs),
      peak_(static_cast<float>(DbfsToRms(dbfs) * std::sqrt(3.0))),
      state_(seed == 0 ? 0x9E3779B9u : seed) {}

void ComfortNoise::Generate(float* out, size_t samples) {
  // xorshift32: cheap, allocation-free, and its low-correlation output is white enough here.
  constexpr float kToUnit = 1.0f / 2147483648.0f;
  uint32_t s = state_;
  for (size_t i = 0; i < samples; ++i) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    out[i] = static_cast<float>(static_cast<int32_t>(s)) * kToUnit * peak_;
  }
  state_ = s;
}

}  // namespace confmix
