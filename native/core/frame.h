// Frame geometry: the conference rates and intervals confmix supports.
#pragma once
#include <cstddef>
#include <cstdint>

namespace confmix {

constexpr int kSupportedRates[] = {8000, 16000, 24000, 32000, 48000};
constexpr int kSupportedIntervalsMs[] = {10, 20, 40, 60};
constexpr int kMaxRate = 48000;
constexpr int kMaxIntervalMs = 60;
constexpr size_t kMaxFrameSamples = kMaxRate / 1000 * kMaxIntervalMs;

bool IsSupportedRate(int rate);
bool IsSupportedIntervalMs(int interval_ms);

/** Samples in one mono frame of `interval_ms` at `rate`. */
constexpr size_t FrameSamples(int rate, int interval_ms) {
  return static_cast<size_t>(rate) / 1000 * static_cast<size_t>(interval_ms);
}

}  // namespace confmix
