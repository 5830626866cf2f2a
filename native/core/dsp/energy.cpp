#include "core/dsp/energy.h"

namespace confmix {

int EnergyScore(const int16_t* frame, size_t samples) {
  if (samples == 0) return 0;
  // 2880 samples · 32768 fits int32 easily; uint32 keeps the sum well defined for any frame size.
  uint32_t total = 0;
  for (size_t i = 0; i < samples; ++i) {
    const int32_t v = frame[i];
    total += static_cast<uint32_t>(v < 0 ? -v : v);
  }
  const uint32_t mean = total / static_cast<uint32_t>(samples);
  return mean > static_cast<uint32_t>(kMaxEnergyScore) ? kMaxEnergyScore : static_cast<int>(mean);
}

}  // namespace confmix
