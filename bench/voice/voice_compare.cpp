// Compares the two voice processors Debian packages for noise suppression + AGC on one input:
// speexdsp's preprocessor and WebRTC's audio processing module (0.3). Reads clean speech (16 kHz
// mono s16le on stdin), adds white noise at 10 dB SNR, runs each at 10 ms frames, and prints the
// segmental SNR against the clean speech (a least-squares gain per 200 ms block, so a slow AGC
// gain is not counted as noise) and the CPU time per 20 ms of audio.
#include <speex/speex_preprocess.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <random>
#include <vector>

namespace {

constexpr int kRate = 16000;
constexpr int kFrame = 160;  // 10 ms

double SegmentalSnrDb(const std::vector<int16_t>& clean, const std::vector<int16_t>& out, size_t lag = 0) {
  const size_t block = kRate / 5;
  double signal = 0, noise = 0;
  for (size_t at = 0; at + block + lag <= clean.size(); at += block) {
    double cc = 0, co = 0;
    for (size_t i = at; i < at + block; ++i) {
      cc += double(clean[i]) * clean[i];
      co += double(clean[i]) * out[i + lag];
    }
    const double g = cc > 0 ? co / cc : 0;
    for (size_t i = at; i < at + block && i + lag < out.size(); ++i) {
      const double s = g * clean[i];
      signal += s * s;
      noise += (out[i + lag] - s) * (out[i + lag] - s);
    }
  }
  return 10 * std::log10(signal / noise);
}

template <typename F>
double Run(std::vector<int16_t>& pcm, F&& process) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) process(&pcm[at]);
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  return us / (double(pcm.size()) / (kFrame * 2));  // per 20 ms
}

}  // namespace

int main() {
  std::vector<char> bytes((std::istreambuf_iterator<char>(std::cin)), {});
  std::vector<int16_t> clean(bytes.size() / 2);
  std::memcpy(clean.data(), bytes.data(), clean.size() * 2);
  clean.resize(clean.size() / kFrame * kFrame);
  double speech_power = 0;
  for (int16_t s : clean) speech_power += double(s) * s;
  speech_power /= double(clean.size());
  const double noise_rms = std::sqrt(speech_power / 10.0);  // 10 dB SNR
  std::mt19937 random(7);
  std::normal_distribution<double> gauss(0, noise_rms);
  std::vector<int16_t> noisy(clean.size());
  for (size_t i = 0; i < clean.size(); ++i) noisy[i] = int16_t(std::lround(std::clamp(clean[i] + gauss(random), -32768.0, 32767.0)));

  // Each processor delays the audio a little (speexdsp one frame, the APM a few ms): its SNR is
  // read at the lag that fits best.
  auto best = [&](const std::vector<int16_t>& out, size_t* lag) {
    *lag = 0;
    for (size_t l = 1; l <= 480; ++l)
      if (SegmentalSnrDb(clean, out, l) > SegmentalSnrDb(clean, out, *lag)) *lag = l;
    return SegmentalSnrDb(clean, out, *lag);
  };
  std::vector<int16_t> speex = noisy;
  SpeexPreprocessState* state = speex_preprocess_state_init(kFrame, kRate);
  int on = 1;
  float level = 8000;
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &on);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &on);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
  const double speex_us = Run(speex, [&](int16_t* frame) { speex_preprocess_run(state, frame); });
  speex_preprocess_state_destroy(state);

  std::vector<int16_t> apm_out = noisy;
  webrtc::AudioProcessing* apm = webrtc::AudioProcessing::Create();
  apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kHigh);
  apm->noise_suppression()->Enable(true);
  apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital);
  apm->gain_control()->set_target_level_dbfs(9);
  apm->gain_control()->Enable(true);
  webrtc::AudioFrame frame;
  frame.sample_rate_hz_ = kRate;
  frame.num_channels_ = 1;
  frame.samples_per_channel_ = kFrame;
  const double apm_us = Run(apm_out, [&](int16_t* pcm) {
    std::memcpy(frame.data_, pcm, kFrame * 2);
    apm->ProcessStream(&frame);
    std::memcpy(pcm, frame.data_, kFrame * 2);
  });
  delete apm;

  size_t speex_lag = 0, apm_lag = 0;
  const double input_snr = SegmentalSnrDb(clean, noisy);
  const double speex_snr = best(speex, &speex_lag);
  const double apm_snr = best(apm_out, &apm_lag);
  std::printf("%-22s %10s %10s %12s\n", "processor", "SNR dB", "lag ms", "us / 20 ms");
  std::printf("%-22s %10.2f %10s %12s\n", "input (10 dB noise)", input_snr, "-", "-");
  std::printf("%-22s %10.2f %10.1f %12.1f\n", "speexdsp preprocess", speex_snr, speex_lag / 16.0, speex_us);
  std::printf("%-22s %10.2f %10.1f %12.1f\n", "webrtc APM 0.3", apm_snr, apm_lag / 16.0, apm_us);
  std::printf("{\"bench\":\"voice-compare\",\"inputSnrDb\":%.2f,\"speexSnrDb\":%.2f,\"apmSnrDb\":%.2f,\"speexUsPer20ms\":%.1f,\"apmUsPer20ms\":%.1f}\n",
              input_snr, speex_snr, apm_snr, speex_us, apm_us);
  return 0;
}
