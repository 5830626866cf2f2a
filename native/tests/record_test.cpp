// The recorder's parts: the SPSC frame ring (order, full, wrap, across threads), the WAV and Ogg
// Opus writers, a writer that falls behind (too slow), a file that cannot be made, and a
// conference's mix recorded frame for frame as a level-0 listener hears it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "core/mix/conference.h"
#include "core/record/conference_recordings.h"
#include "core/record/frame_ring.h"
#include "core/record/recorder.h"

namespace confmix::record {
namespace {

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "/confmix_record_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

RecorderProgress WaitForEnd(const Recorder& recorder) {
  for (int i = 0; i < 2000; ++i) {
    const RecorderProgress progress = recorder.Progress();
    if (progress.state == RecorderState::kDone || progress.state == RecorderState::kFailed) return progress;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return recorder.Progress();
}

TEST(FrameRing, KeepsOrderRefusesWhenFullAndWraps) {
  FrameRing ring(4, 3);
  int16_t frame[4];
  for (int16_t f = 0; f < 3; ++f) {
    std::fill(frame, frame + 4, f);
    EXPECT_TRUE(ring.TryPush(frame));
  }
  EXPECT_FALSE(ring.TryPush(frame));
  EXPECT_EQ(ring.readable(), 3u);
  EXPECT_EQ(ring.Front()[0], 0);
  ring.Release(1);
  const int32_t wide[4] = {40000, -40000, 7, -7};
  EXPECT_TRUE(ring.TryPushSaturated(wide));
  EXPECT_EQ(ring.Front()[3], 1);
  ring.Release(2);
  const int16_t* last = ring.Front();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last[0], 32767);
  EXPECT_EQ(last[1], -32768);
  EXPECT_EQ(last[2], 7);
  ring.Release(5);  // more than there is: releases what there is
  EXPECT_EQ(ring.Front(), nullptr);
  EXPECT_TRUE(ring.TryPush(nullptr));
  EXPECT_EQ(ring.Front()[0], 0);
}

TEST(FrameRing, CarriesEveryFrameAcrossThreadsInOrder) {
  FrameRing ring(8, 4);
  constexpr int kFrames = 20000;
  std::thread consumer([&] {
    for (int expected = 0; expected < kFrames;) {
      const int16_t* front = ring.Front();
      if (front == nullptr) {
        std::this_thread::yield();
        continue;
      }
      for (int i = 0; i < 8; ++i) ASSERT_EQ(front[i], static_cast<int16_t>(expected + i));
      ring.Release(1);
      ++expected;
    }
  });
  int16_t frame[8];
  for (int f = 0; f < kFrames;) {
    for (int i = 0; i < 8; ++i) frame[i] = static_cast<int16_t>(f + i);
    if (ring.TryPush(frame))
      ++f;
    else
      std::this_thread::yield();
  }
  consumer.join();
  EXPECT_EQ(ring.readable(), 0u);
}

TEST(Recorder, WritesAWavWithTheSamplesPushedAndAValidHeader) {
  const std::string path = TempPath("a.wav");
  std::vector<TrackOpener> openers;
  openers.push_back([path](WriteError* e) { return OpenAudioFile(RecordingFormat::kWav, path, 16000, 0, e); });
  Recorder recorder(320, 50, std::move(openers));
  std::vector<int16_t> frame(320);
  for (int f = 0; f < 10; ++f) {
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<int16_t>(f * 1000 + static_cast<int>(i));
    ASSERT_TRUE(recorder.PushTrack(0, frame.data()));
  }
  recorder.Stop();
  const RecorderProgress progress = WaitForEnd(recorder);
  ASSERT_EQ(progress.state, RecorderState::kDone) << progress.failure.message;
  EXPECT_EQ(progress.frames, 10u);
  const std::vector<uint8_t> bytes = ReadAll(path);
  ASSERT_EQ(bytes.size(), 44u + 10 * 320 * 2);
  EXPECT_EQ(progress.track_bytes[0], bytes.size());
  EXPECT_EQ(std::memcmp(bytes.data(), "RIFF", 4), 0);
  uint32_t data_size = 0, rate = 0;
  std::memcpy(&rate, &bytes[24], 4);
  std::memcpy(&data_size, &bytes[40], 4);
  EXPECT_EQ(rate, 16000u);
  EXPECT_EQ(data_size, 10u * 320 * 2);
  int16_t sample = 0;
  std::memcpy(&sample, &bytes[44 + (9 * 320 + 5) * 2], 2);
  EXPECT_EQ(sample, 9005);
  std::remove(path.c_str());
}

TEST(Recorder, WritesAnOggOpusFile) {
  const std::string path = TempPath("a.opus");
  std::vector<TrackOpener> openers;
  openers.push_back([path](WriteError* e) { return OpenAudioFile(RecordingFormat::kOggOpus, path, 16000, 32000, e); });
  Recorder recorder(320, 100, std::move(openers));
  std::vector<int16_t> frame(320);
  for (int f = 0; f < 50; ++f) {
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<int16_t>(8000 * std::sin(0.3 * static_cast<double>(f * 320 + i)));
    ASSERT_TRUE(recorder.PushTrack(0, frame.data()));
  }
  recorder.Stop();
  const RecorderProgress progress = WaitForEnd(recorder);
  ASSERT_EQ(progress.state, RecorderState::kDone) << progress.failure.message;
  const std::vector<uint8_t> bytes = ReadAll(path);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(std::memcmp(bytes.data(), "OggS", 4), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + 28, "OpusHead", 8), 0);
  EXPECT_EQ(progress.track_bytes[0], bytes.size());
  std::remove(path.c_str());
}

// A file writer that takes a long time per frame: a disk far slower than real time.
class SlowWriter final : public AudioFileWriter {
 public:
  bool Write(const int16_t*, size_t samples) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bytes_ += samples * 2;
    return true;
  }
  bool Finish() override { return true; }
};

TEST(Recorder, EndsAsTooSlowWhenTheWriterFallsAWholeRingBehindAndNeverBlocksThePusher) {
  std::vector<TrackOpener> openers;
  openers.push_back([](WriteError*) { return std::make_unique<SlowWriter>(); });
  Recorder recorder(160, 4, std::move(openers));
  std::vector<int16_t> frame(160, 1);
  int pushed = 0;
  while (recorder.PushTrack(0, frame.data())) ++pushed;
  EXPECT_GE(pushed, 4);
  EXPECT_FALSE(recorder.accepting());
  const RecorderProgress progress = WaitForEnd(recorder);
  EXPECT_EQ(progress.state, RecorderState::kFailed);
  EXPECT_EQ(progress.failure.reason, RecordingFailure::kTooSlow);
}

TEST(Recorder, FailsToOpenAFileInADirectoryThatIsNotThere) {
  std::vector<TrackOpener> openers;
  openers.push_back([](WriteError* e) { return OpenAudioFile(RecordingFormat::kWav, "/nonexistent-dir/x.wav", 8000, 0, e); });
  Recorder recorder(160, 4, std::move(openers));
  const RecorderProgress progress = WaitForEnd(recorder);
  EXPECT_EQ(progress.state, RecorderState::kFailed);
  EXPECT_EQ(progress.failure.reason, RecordingFailure::kOpenFailed);
  EXPECT_STREQ(RecordingFailureName(progress.failure.reason), "open-failed");
}

TEST(ConferenceRecordings, RecordTheMixAsALevelZeroListenerHearsItAndWhatAMemberSays) {
  ConferenceOptions options;
  options.comfort_noise_dbfs.reset();
  Status status;
  auto mixer = Conference::Create(options, &status);
  ASSERT_TRUE(mixer);
  ASSERT_TRUE(mixer->AddMember(1).ok());
  ASSERT_TRUE(mixer->AddMember(2).ok());
  ASSERT_TRUE(mixer->AddMember(3).ok());  // a listener who never speaks
  ConferenceRecordings recordings;
  RecordingSpec spec;
  spec.id = 7;
  const std::string mix_path = TempPath("mix.wav"), says_path = TempPath("says.wav");
  spec.tracks = {TrackSpec{TrackSource::kMix, 0, mix_path}, TrackSpec{TrackSource::kSays, 1, says_path}};
  ASSERT_TRUE(recordings.Start(spec, *mixer).ok());
  RecordingSpec missing = spec;
  missing.id = 8;
  missing.tracks = {TrackSpec{TrackSource::kHears, 99, mix_path}};
  EXPECT_EQ(recordings.Start(missing, *mixer).code, StatusCode::kNotFound);

  const size_t n = mixer->frame_samples();
  std::vector<int16_t> heard;  // what member 3 heard
  std::vector<RecordingEvent> events;
  std::vector<int16_t> talk(n);
  for (int tick = 0; tick < 25; ++tick) {
    for (size_t i = 0; i < n; ++i) talk[i] = static_cast<int16_t>(((tick * n + i) % 40) * 200 - 4000);
    ASSERT_TRUE(mixer->PushFrame(1, talk.data(), n).ok());
    if (tick == 12) {
      ASSERT_TRUE(mixer->RemoveMember(2).ok());  // a leave mid-recording
    }
    mixer->Mix();
    heard.insert(heard.end(), mixer->OutputFrame(3), mixer->OutputFrame(3) + n);
    recordings.Capture(*mixer);
    recordings.Poll(*mixer, &events);
  }
  ASSERT_TRUE(recordings.Stop(7, *mixer).ok());
  for (int i = 0; i < 2000 && recordings.size() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    recordings.Poll(*mixer, &events);
  }
  ASSERT_EQ(recordings.size(), 0u);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().kind, RecordingEventKind::kStarted);
  const RecordingEvent& done = events.back();
  ASSERT_EQ(done.kind, RecordingEventKind::kDone) << done.failure.message;
  EXPECT_EQ(done.frames, 25u);
  EXPECT_DOUBLE_EQ(done.duration_ms, 500);
  const std::vector<uint8_t> mix = ReadAll(mix_path);
  ASSERT_EQ(mix.size(), 44 + heard.size() * 2);
  EXPECT_EQ(std::memcmp(mix.data() + 44, heard.data(), heard.size() * 2), 0);
  EXPECT_EQ(done.track_bytes[0], mix.size());
  // Member 1 spoke at talk level 0 every tick: what it says is its input, sample for sample.
  const std::vector<uint8_t> says = ReadAll(says_path);
  ASSERT_EQ(says.size(), mix.size());
  int16_t said = 0;
  std::memcpy(&said, says.data() + 44 + (24 * n + 7) * 2, 2);
  EXPECT_EQ(said, static_cast<int16_t>(((24 * n + 7) % 40) * 200 - 4000));
  std::remove(mix_path.c_str());
  std::remove(says_path.c_str());
}

}  // namespace
}  // namespace confmix::record
