// The benchmark's baseline: the same tick as core/mix/Conference written the plain way, one
// member at a time, every hearing member rendered on its own (no listen groups). Its .cpp is
// compiled with vectorization off so the ratio shows what sharing and SIMD buy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix::bench {

/** One member of the baseline mixer. */
struct BaselineMember {
  std::vector<int16_t> input;         // this tick's frame
  std::vector<int32_t> contribution;  // after talk gain
  std::vector<int16_t> output;        // what it hears
  int talk_level = 0;
  int listen_level = 0;
  int threshold = 100;
  bool gate_open = false;
  int frames_below = 0;
  bool contributed = false;
};

/** A conference mixed by scalar loops: score, gate, talk gain, sum, N-1, listen gain, limiter. */
class BaselineMixer {
 public:
  /** `members` members of `frame_samples` samples; hangover in frames. */
  BaselineMixer(size_t members, size_t frame_samples, int hangover_frames);
  /** Members, to fill inputs and set levels. */
  std::vector<BaselineMember>& members() { return members_; }
  /** Mixes one tick. */
  void Mix();

 private:
  size_t frame_samples_;
  int hangover_frames_;
  std::vector<BaselineMember> members_;
  std::vector<int32_t> sum_;
};

}  // namespace confmix::bench
