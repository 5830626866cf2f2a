// A playback: PCM the caller decoded once (mono, at the conference rate) that the mix reads one
// frame per tick, either to the whole conference or to one member.
//
// Each tick takes the next frame_samples samples from the read position. A looping playback wraps
// to its first sample without a gap (a PCM shorter than a frame wraps several times in one frame).
// A non-looping one ends on the tick that reads its last sample; the rest of that frame is zeros,
// so a PCM of S samples lasts ceil(S / frame_samples) ticks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace confmix {

/** Most playbacks one conference runs at once, conference-wide and private together. */
constexpr size_t kMaxPlaybacks = 16384;
/** Most conference-wide playbacks at once: each adds up to 32768 to the int32 sum, which must
 *  still hold kMaxMembers full-scale members at +4 talk gain without wrapping. */
constexpr size_t kMaxConferencePlaybacks = 1024;

/** One playback's PCM, read position and destination. */
class Playback {
 public:
  /** A playback of `pcm` (non-empty) from its first sample; `target` empty means conference-wide. */
  Playback(uint32_t id, std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
           std::optional<uint32_t> target);

  /** The caller's id. */
  uint32_t id() const { return id_; }
  /** The member it plays to, or empty for the whole conference. */
  const std::optional<uint32_t>& target() const { return target_; }
  /** True when it wraps at its end instead of finishing. */
  bool loop() const { return loop_; }
  /** Samples of PCM. */
  size_t length() const { return pcm_->size(); }
  /** Index of the next sample to play. */
  size_t position() const { return position_; }
  /** True once a non-looping playback has played its last sample. */
  bool finished() const { return finished_; }

  /** Adds the next `samples` samples to `sum` (zeros past the end of a non-looping one) and
   *  advances. Returns true when this frame held the last sample. Never allocates. */
  bool AddNextFrame(int32_t* sum, size_t samples);

  /** Drops the PCM reference (frees it when this was the last user): call off the tick path. */
  void ReleasePcm() { pcm_.reset(); }

 private:
  uint32_t id_;
  std::shared_ptr<const std::vector<int16_t>> pcm_;
  bool loop_;
  std::optional<uint32_t> target_;
  size_t position_ = 0;
  bool finished_ = false;
};

}  // namespace confmix
