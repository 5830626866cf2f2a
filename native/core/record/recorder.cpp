#include "core/record/recorder.h"

#include <chrono>
#include <thread>

namespace confmix::record {

namespace {
// How often an idle writer looks at its rings: a few ticks' worth, far inside any ring.
constexpr auto kWriterPoll = std::chrono::milliseconds(10);
}  // namespace

Recorder::Recorder(size_t frame_samples, size_t ring_frames, std::vector<TrackOpener> openers)
    : shared_(std::make_shared<Shared>()) {
  for (size_t i = 0; i < openers.size(); ++i) shared_->rings.push_back(std::make_unique<FrameRing>(frame_samples, ring_frames));
  shared_->openers = std::move(openers);
  shared_->track_bytes.assign(shared_->openers.size(), 0);
  std::thread(&Recorder::Run, shared_).detach();
}

Recorder::~Recorder() { Stop(); }

bool Recorder::PushTrack(size_t index, const int16_t* frame, const int32_t* wide) {
  if (!accepting() || index >= shared_->rings.size()) return false;
  FrameRing& ring = *shared_->rings[index];
  const bool pushed = frame == nullptr && wide != nullptr ? ring.TryPushSaturated(wide) : ring.TryPush(frame);
  if (!pushed) {
    // The writer is a whole ring behind: a disk this slow would hold the tick up, so stop here.
    shared_->overrun.store(true, std::memory_order_release);
    shared_->wake.notify_one();
  }
  return pushed;
}

void Recorder::Stop() {
  if (stop_requested_) return;
  stop_requested_ = true;
  shared_->stop.store(true, std::memory_order_release);
  shared_->wake.notify_one();
}

RecorderProgress Recorder::Progress() const {
  RecorderProgress progress;
  progress.state = static_cast<RecorderState>(shared_->state.load(std::memory_order_acquire));
  progress.frames = shared_->frames.load(std::memory_order_acquire);
  if (progress.state == RecorderState::kDone || progress.state == RecorderState::kFailed) {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    progress.failure = shared_->failure;
    progress.track_bytes = shared_->track_bytes;
  }
  return progress;
}

void Recorder::Run(std::shared_ptr<Shared> shared) {
  std::vector<std::unique_ptr<AudioFileWriter>> files;
  WriteError failure;
  auto finish = [&](RecorderState state) {
    std::vector<uint64_t> bytes(shared->rings.size(), 0);
    for (size_t i = 0; i < files.size(); ++i) {
      // A failed recording's files are still completed where the disk allows (a playable WAV).
      const bool finished = files[i]->Finish();
      if (!finished && state == RecorderState::kDone) {
        state = RecorderState::kFailed;
        failure = files[i]->error();
      }
      bytes[i] = files[i]->bytes();
    }
    files.clear();
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      shared->failure = failure;
      shared->track_bytes = std::move(bytes);
    }
    shared->state.store(static_cast<uint8_t>(state), std::memory_order_release);
  };

  for (TrackOpener& open : shared->openers) {
    WriteError error;
    auto file = open(&error);
    if (!file) {
      failure = error;
      finish(RecorderState::kFailed);
      return;
    }
    files.push_back(std::move(file));
  }
  shared->openers.clear();
  shared->state.store(static_cast<uint8_t>(RecorderState::kRecording), std::memory_order_release);

  const size_t tracks = files.size();
  for (;;) {
    // Read before draining: every frame pushed before Stop() is then drained below.
    const bool stopping = shared->stop.load(std::memory_order_acquire);
    const bool overrun = shared->overrun.load(std::memory_order_acquire);
    // Whole ticks: a frame is written to every track before the next tick's frames.
    size_t ready = tracks == 0 ? 0 : shared->rings[0]->readable();
    for (size_t t = 1; t < tracks; ++t) ready = std::min(ready, shared->rings[t]->readable());
    for (size_t frame = 0; frame < ready; ++frame) {
      for (size_t t = 0; t < tracks; ++t) {
        FrameRing& ring = *shared->rings[t];
        if (!files[t]->Write(ring.Front(), ring.frame_samples())) {
          failure = files[t]->error();
          finish(RecorderState::kFailed);
          return;
        }
        ring.Release(1);
      }
      shared->frames.fetch_add(1, std::memory_order_release);
    }
    if (overrun) {
      failure = WriteError{RecordingFailure::kTooSlow, "the disk fell behind the conference by a whole buffer"};
      finish(RecorderState::kFailed);
      return;
    }
    if (stopping) {
      finish(RecorderState::kDone);
      return;
    }
    std::unique_lock<std::mutex> lock(shared->mutex);
    shared->wake.wait_for(lock, kWriterPoll);
  }
}

}  // namespace confmix::record
