// The energy score a gate compares with its threshold.
#pragma once
#include <cstddef>
#include <cstdint>

namespace confmix {

/** Highest energy score (and highest energy threshold). */
constexpr int kMaxEnergyScore = 32767;

/** Mean absolute sample value of a frame, rounded down and capped at 32767: the scale of
 *  FreeSWITCH's and Kazoo's `energy-level`. 0 for an empty frame. */
int EnergyScore(const int16_t* frame, size_t samples);

}  // namespace confmix
