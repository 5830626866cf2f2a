#include "baseline_mixer.h"

#include <array>
#include <cmath>
#include <cstdlib>

namespace confmix::bench {

namespace {

// Gains for levels -4..+4, computed once.
float LevelGain(int level) {
  static const auto table = [] {
    std::array<float, 9> gains{};
    for (int l = -4; l <= 4; ++l) gains[l + 4] = static_cast<float>(std::pow(10.0, 3.0 * l / 20.0));
    return gains;
  }();
  return table[level + 4];
}

int16_t Limit(float x) {
  const float knee = 16384.0f, range = 32767.0f - 16384.0f;
  const float magnitude = std::fabs(x);
  if (magnitude < knee) return static_cast<int16_t>(std::nearbyint(x));
  const float over = (magnitude - knee) / range;
  const float y = knee + range * (over / (1.0f + over));
  return static_cast<int16_t>(std::nearbyint(x < 0 ? -y : y));
}

}  // namespace

BaselineMixer::BaselineMixer(size_t members, size_t frame_samples, int hangover_frames)
    : frame_samples_(frame_samples), hangover_frames_(hangover_frames), members_(members), sum_(frame_samples) {
  for (BaselineMember& m : members_) {
    m.input.assign(frame_samples, 0);
    m.contribution.assign(frame_samples, 0);
    m.output.assign(frame_samples, 0);
  }
}

void BaselineMixer::Mix() {
  const size_t n = frame_samples_;
  for (size_t i = 0; i < n; ++i) sum_[i] = 0;
  for (BaselineMember& m : members_) {
    long total = 0;
    for (size_t i = 0; i < n; ++i) total += std::abs(static_cast<int>(m.input[i]));
    const int score = static_cast<int>(total / static_cast<long>(n));
    if (score > m.threshold) {
      m.gate_open = true;
      m.frames_below = 0;
    } else if (m.gate_open && ++m.frames_below > hangover_frames_) {
      m.gate_open = false;
    }
    m.contributed = m.gate_open;
    if (!m.contributed) continue;
    const float gain = LevelGain(m.talk_level);
    for (size_t i = 0; i < n; ++i) {
      const int32_t c = m.talk_level == 0 ? m.input[i] : static_cast<int32_t>(std::nearbyint(m.input[i] * gain));
      m.contribution[i] = c;
      sum_[i] += c;
    }
  }
  for (BaselineMember& m : members_) {
    const float gain = LevelGain(m.listen_level);
    for (size_t i = 0; i < n; ++i) {
      const int32_t others = sum_[i] - (m.contributed ? m.contribution[i] : 0);
      const float x = m.listen_level == 0 ? static_cast<float>(others) : static_cast<float>(others) * gain;
      m.output[i] = Limit(x);
    }
  }
}

}  // namespace confmix::bench
