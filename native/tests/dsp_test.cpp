// DSP blocks against the numbers DESIGN.md gives: volume levels, the energy score, the gate's
// open and hangover, the limiter's transparent range and ceiling, the resampler's lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/dsp/energy.h"
#include "core/dsp/gain.h"
#include "core/dsp/gate.h"
#include "core/dsp/limiter.h"
#include "core/dsp/resampler.h"

namespace confmix {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<int16_t> Tone(double hz, int rate, size_t samples, double amplitude) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; i++)
    out[i] = static_cast<int16_t>(std::lround(amplitude * std::sin(2 * kPi * hz * static_cast<double>(i) / rate)));
  return out;
}

// Power of one frequency (Goertzel), normalised to a full-scale sine's amplitude.
double ToneAmplitude(const std::vector<int16_t>& pcm, size_t from, double hz, int rate) {
  const double w = 2 * kPi * hz / rate;
  const double coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  const size_t n = pcm.size() - from;
  for (size_t i = from; i < pcm.size(); i++) {
    const double s0 = pcm[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 2 * std::sqrt(power) / static_cast<double>(n);
}

TEST(VolumeLevel, ThreeDecibelsAStepAndUnityAtZero) {
  EXPECT_FLOAT_EQ(VolumeLevelGain(0), 1.0f);
  for (int level = kMinVolumeLevel; level <= kMaxVolumeLevel; level++)
    EXPECT_NEAR(VolumeLevelGain(level), std::pow(10.0, 3.0 * level / 20.0), 1e-5) << "level " << level;
  EXPECT_FALSE(IsValidVolumeLevel(5));
  EXPECT_FALSE(IsValidVolumeLevel(-5));
}

TEST(EnergyScore, IsTheMeanAbsoluteSample) {
  const std::vector<int16_t> frame = {100, -100, 300, -300, 0, 0, 32767, -32768};
  EXPECT_EQ(EnergyScore(frame.data(), frame.size()), (100 + 100 + 300 + 300 + 32767 + 32768) / 8);
  const std::vector<int16_t> silence(320, 0);
  EXPECT_EQ(EnergyScore(silence.data(), silence.size()), 0);
  const std::vector<int16_t> loudest(320, -32768);
  EXPECT_EQ(EnergyScore(loudest.data(), loudest.size()), kMaxEnergyScore);
}

TEST(EnergyGate, OpensOnTheFirstFrameOverAndClosesAfterTheHangover) {
  EnergyGate gate(kDefaultEnergyThreshold, HangoverFrames(500, 20));
  ASSERT_EQ(gate.hangover_frames(), 25);
  EXPECT_FALSE(gate.Update(50).mix);
  EXPECT_TRUE(gate.Update(150).mix);
  EXPECT_TRUE(gate.open());
  int frames_until_closed = 0;
  while (gate.Update(10).mix) frames_until_closed++;
  EXPECT_EQ(frames_until_closed, 25);  // 500 ms of quiet frames still pass; the next one closes it
  EXPECT_FALSE(gate.open());
}

TEST(EnergyGate, TalkingStartsAfterThreeOpenFramesOrOneLoudFrame) {
  EnergyGate gate(100, 25);
  EXPECT_FALSE(gate.Update(200).talking_started);
  EXPECT_FALSE(gate.Update(200).talking_started);
  EXPECT_TRUE(gate.Update(200).talking_started);
  EnergyGate loud(100, 25);
  EXPECT_TRUE(loud.Update(100 + kTalkingInstantMargin + 1).talking_started);
}

TEST(EnergyGate, ThresholdZeroPassesEverything) {
  EnergyGate gate(0, 25);
  EXPECT_TRUE(gate.passes());
}

TEST(Limiter, PassesBelowTheKneeBitExactAndNeverExceedsInt16) {
  std::vector<float> in;
  for (int v = -16384; v <= 16384; v += 7) in.push_back(static_cast<float>(v));
  std::vector<int16_t> out(in.size());
  LimitToInt16(in.data(), out.data(), in.size());
  for (size_t i = 0; i < in.size(); i++) ASSERT_EQ(out[i], static_cast<int16_t>(in[i])) << in[i];
  const std::vector<float> hot = {40000.0f, -40000.0f, 1e9f, -1e9f, 20000.0f, -20000.0f};
  std::vector<int16_t> limited(hot.size());
  LimitToInt16(hot.data(), limited.data(), hot.size());
  for (size_t i = 0; i < hot.size(); i++) {
    EXPECT_LE(std::abs(static_cast<int>(limited[i])), 32767) << hot[i];
    EXPECT_GT(std::abs(static_cast<int>(limited[i])), 16384) << hot[i];  // a soft knee, not a clamp to the knee
  }
  EXPECT_LT(limited[4], 20000);  // above the knee it is compressed
}

TEST(Resampler, WholeMillisecondsGiveExactLengthsAndKeepTheTone) {
  for (int in_rate : {8000, 16000, 48000}) {
    for (int out_rate : {8000, 16000, 48000}) {
      Resampler resampler(in_rate, out_rate);
      const size_t in_samples = static_cast<size_t>(in_rate) / 50;  // 20 ms
      EXPECT_EQ(resampler.OutSamples(in_samples), static_cast<size_t>(out_rate) / 50);
      // 400 ms of a 1 kHz tone at half scale, in 20 ms frames: the tone comes out at its level.
      const std::vector<int16_t> tone = Tone(1000, in_rate, in_samples * 20, 16384);
      std::vector<int16_t> out;
      std::vector<int16_t> frame(resampler.OutSamples(in_samples));
      for (size_t at = 0; at < tone.size(); at += in_samples) {
        ASSERT_EQ(resampler.Process(tone.data() + at, in_samples, frame.data()), frame.size());
        out.insert(out.end(), frame.begin(), frame.end());
      }
      EXPECT_NEAR(ToneAmplitude(out, out.size() / 4, 1000, out_rate), 16384, 16384 * 0.06)
          << in_rate << " -> " << out_rate;
    }
  }
}

}  // namespace
}  // namespace confmix
