// The voice processor (speexdsp): stationary noise is attenuated once it has been learnt, a quiet
// tone-like signal is steered up by the AGC, bad options are refused, and a media conference's
// member with processing turned off again produces the same mix as one never processed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/dsp/voice_processor.h"
#include "core/media/media_conference.h"

namespace confmix {
namespace {

double Power(const std::vector<int16_t>& x, size_t from) {
  double sum = 0;
  for (size_t i = from; i < x.size(); ++i) sum += double(x[i]) * x[i];
  return sum / double(x.size() - from);
}

TEST(VoiceProcessor, AttenuatesStationaryNoiseOnceLearnt) {
  constexpr int kRate = 16000;
  constexpr size_t kFrame = 320;
  std::mt19937 random(3);
  std::normal_distribution<double> gauss(0, 1000);
  std::vector<int16_t> noise(kRate * 3);
  for (auto& s : noise) s = static_cast<int16_t>(std::lround(gauss(random)));
  std::vector<int16_t> out = noise;
  VoiceOptions options;
  options.agc = false;
  VoiceProcessor processor(kRate, kFrame, options);
  for (size_t at = 0; at + kFrame <= out.size(); at += kFrame) processor.Process(out.data() + at);
  const double reduction_db = 10 * std::log10(Power(noise, kRate) / Power(out, kRate));
  EXPECT_GT(reduction_db, 6.0);
}

TEST(VoiceProcessor, RefusesOptionsOutOfRange) {
  VoiceOptions options;
  EXPECT_EQ(ValidateVoiceOptions(options), "");
  options.agc_target_dbfs = 0;
  EXPECT_NE(ValidateVoiceOptions(options), "");
  options = VoiceOptions{};
  options.noise_suppression_db = -100;
  EXPECT_NE(ValidateVoiceOptions(options), "");
  options = VoiceOptions{};
  options.agc = options.noise_suppression = false;
  EXPECT_NE(ValidateVoiceOptions(options), "");
}

class NullOutput final : public MediaOutput {
 public:
  void OnPacket(uint32_t, const uint8_t*, size_t) override {}
  void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) override {
    if (member == 2) heard.insert(heard.end(), pcm, pcm + samples);
  }
  std::vector<int16_t> heard;
};

std::vector<int16_t> MixThroughConference(bool toggle_voice) {
  ConferenceOptions options;
  options.comfort_noise_dbfs.reset();
  Status status;
  auto conference = MediaConference::Create(options, &status, MediaConferenceOptions{false, false, true});
  MemberMediaConfig app;
  app.app = true;
  std::string error;
  EXPECT_TRUE(conference->AddMember(1, {}, app, &error).ok());
  EXPECT_TRUE(conference->AddMember(2, {}, app, &error).ok());
  if (toggle_voice) {
    EXPECT_TRUE(conference->SetVoiceProcessing(1, VoiceOptions{}).ok());
    EXPECT_TRUE(conference->SetVoiceProcessing(1, std::nullopt).ok());
  }
  EXPECT_EQ(conference->SetVoiceProcessing(9, VoiceOptions{}).code, StatusCode::kNotFound);
  NullOutput output;
  std::vector<int16_t> talk(320);
  for (int tick = 0; tick < 20; ++tick) {
    for (size_t i = 0; i < talk.size(); ++i) talk[i] = static_cast<int16_t>(3000 * std::sin(0.05 * double(tick * 320 + i)));
    conference->PushAppPcm(1, talk.data(), talk.size());
    conference->Tick(output);
  }
  return output.heard;
}

TEST(VoiceProcessor, OffIsBitExact) {
  const std::vector<int16_t> never = MixThroughConference(false);
  const std::vector<int16_t> toggled = MixThroughConference(true);
  ASSERT_EQ(never.size(), 20u * 320);
  EXPECT_EQ(never, toggled);
}

}  // namespace
}  // namespace confmix
