#include "core/mix/playback.h"

#include <algorithm>
#include <utility>

namespace confmix {

namespace {

// sum += in, widening: a plain loop over contiguous arrays so it vectorizes.
void AddSamples(const int16_t* __restrict in, int32_t* __restrict sum, size_t samples) {
  for (size_t i = 0; i < samples; ++i) sum[i] += in[i];
}

}  // namespace

Playback::Playback(uint32_t id, std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
                   std::optional<uint32_t> target)
    : id_(id), pcm_(std::move(pcm)), loop_(loop), target_(target) {}

bool Playback::AddNextFrame(int32_t* sum, size_t samples) {
  if (finished_) return false;
  const int16_t* pcm = pcm_->data();
  const size_t length = pcm_->size();
  size_t written = 0;
  // One chunk per stretch of PCM: the rest of it, then (looping) from its start again.
  while (written < samples) {
    const size_t chunk = std::min(samples - written, length - position_);
    AddSamples(pcm + position_, sum + written, chunk);
    written += chunk;
    position_ += chunk;
    if (position_ == length) {
      if (!loop_) {
        finished_ = true;
        return true;
      }
      position_ = 0;
    }
  }
  return false;
}

}  // namespace confmix
