// Per-member voice processing before the energy score: noise suppression and automatic gain
// control through speexdsp's preprocessor (chosen over WebRTC's APM 0.3 by measure: see
// bench/voice/voice_compare.cpp and the README). It runs on whole 10 ms blocks of a tick's
// frame, in place, with one frame (10 ms) of delay, and allocates only when made.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct SpeexPreprocessState_;

namespace confmix {

/** What a member's voice processing does. */
struct VoiceOptions {
  bool noise_suppression = true;
  int noise_suppression_db = -15;  // most attenuation of noise, -60..-1 dB (speexdsp's default)
  bool agc = true;
  int agc_target_dbfs = -18;       // RMS level the AGC steers speech toward, -40..-3 dBFS
};

/** Checks options; an empty string when they are valid. */
std::string ValidateVoiceOptions(const VoiceOptions& options);

class VoiceProcessor {
 public:
  /** A processor for mono frames of `frame_samples` at `rate` (valid options, supported rate). */
  VoiceProcessor(int rate, size_t frame_samples, const VoiceOptions& options);
  ~VoiceProcessor();
  VoiceProcessor(const VoiceProcessor&) = delete;
  VoiceProcessor& operator=(const VoiceProcessor&) = delete;

  /** Processes one frame in place. Never allocates. */
  void Process(int16_t* frame);
  /** The options it runs with. */
  const VoiceOptions& options() const { return options_; }

 private:
  VoiceOptions options_;
  size_t frame_samples_;
  size_t block_samples_;  // 10 ms
  SpeexPreprocessState_* state_;
};

}  // namespace confmix
