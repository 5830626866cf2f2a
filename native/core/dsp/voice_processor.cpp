#include "core/dsp/voice_processor.h"

#include <speex/speex_preprocess.h>

#include <cmath>

namespace confmix {

std::string ValidateVoiceOptions(const VoiceOptions& o) {
  if (o.noise_suppression_db < -60 || o.noise_suppression_db > -1) return "noise suppression must be -60..-1 dB";
  if (o.agc_target_dbfs < -40 || o.agc_target_dbfs > -3) return "AGC target must be -40..-3 dBFS";
  if (!o.noise_suppression && !o.agc) return "voice processing needs noise suppression or AGC";
  return "";
}

VoiceProcessor::VoiceProcessor(int rate, size_t frame_samples, const VoiceOptions& options)
    : options_(options),
      frame_samples_(frame_samples),
      block_samples_(static_cast<size_t>(rate) / 100),
      state_(speex_preprocess_state_init(static_cast<int>(block_samples_), rate)) {
  int denoise = options.noise_suppression ? 1 : 0;
  int suppress = options.noise_suppression_db;
  int agc = options.agc ? 1 : 0;
  float level = static_cast<float>(32768.0 * std::pow(10.0, options.agc_target_dbfs / 20.0));
  speex_preprocess_ctl(state_, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
  speex_preprocess_ctl(state_, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress);
  speex_preprocess_ctl(state_, SPEEX_PREPROCESS_SET_AGC, &agc);
  speex_preprocess_ctl(state_, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
}

VoiceProcessor::~VoiceProcessor() { speex_preprocess_state_destroy(state_); }

void VoiceProcessor::Process(int16_t* frame) {
  for (size_t at = 0; at + block_samples_ <= frame_samples_; at += block_samples_) speex_preprocess_run(state_, frame + at);
}

}  // namespace confmix
