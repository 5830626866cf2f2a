// One recording: a ring per track that the tick fills, and a writer thread of its own that opens
// the files, encodes and writes them, so the tick never waits on a disk. The thread is detached
// and holds the recording's shared state until it has finished the files; whoever drops the
// Recorder never joins it. A write error, or a ring the writer could not keep up with, ends the
// recording as failed (partial files are completed where the disk allows); Stop() ends it as
// done once every frame pushed before it is written.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>
#include <vector>

#include "core/record/audio_file.h"
#include "core/record/frame_ring.h"

namespace confmix::record {

/** Opens one track's file on the writer thread; null with the error set on failure. */
using TrackOpener = std::function<std::unique_ptr<AudioFileWriter>(WriteError* error)>;

/** Where a recording stands. */
enum class RecorderState : uint8_t {
  kOpening = 0,    // the writer thread is creating the files
  kRecording = 1,  // every file is open
  kDone = 2,       // stopped, every file complete
  kFailed = 3,     // ended by an error (failure() says which)
};

/** A snapshot of a recording's progress. */
struct RecorderProgress {
  RecorderState state = RecorderState::kOpening;
  WriteError failure;                // kFailed
  uint64_t frames = 0;               // frames written to each track
  std::vector<uint64_t> track_bytes; // bytes of each track's file (kDone, kFailed)
};

class Recorder {
 public:
  /** A recording of `openers.size()` tracks of `frame_samples`-sample frames, each ring holding
   *  `ring_frames`. Allocates everything; the writer thread starts here. */
  Recorder(size_t frame_samples, size_t ring_frames, std::vector<TrackOpener> openers);
  /** Stops it (as Stop()) without waiting for the thread. */
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /** Tracks. */
  size_t tracks() const { return shared_->rings.size(); }
  /** Tick: appends this tick's frame to track `index` (call once per track per tick): `frame`,
   *  else `wide` saturated to int16, else silence. A full ring ends the recording as too slow.
   *  Never waits, never allocates. False once it no longer takes frames. */
  bool PushTrack(size_t index, const int16_t* frame, const int32_t* wide = nullptr);
  /** True while it takes frames. */
  bool accepting() const { return !stop_requested_ && !shared_->overrun.load(std::memory_order_relaxed) &&
                                  shared_->state.load(std::memory_order_relaxed) < static_cast<uint8_t>(RecorderState::kDone); }
  /** Asks the writer to write what is queued, complete the files and end as done. */
  void Stop();
  /** Its progress now (any thread). */
  RecorderProgress Progress() const;

 private:
  struct Shared {
    std::vector<std::unique_ptr<FrameRing>> rings;
    std::vector<TrackOpener> openers;
    std::atomic<uint8_t> state{static_cast<uint8_t>(RecorderState::kOpening)};
    std::atomic<bool> stop{false};
    std::atomic<bool> overrun{false};
    std::atomic<uint64_t> frames{0};
    std::mutex mutex;                // guards failure and track_bytes, and the wake-up
    std::condition_variable wake;
    WriteError failure;
    std::vector<uint64_t> track_bytes;
  };
  static void Run(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  bool stop_requested_ = false;
};

}  // namespace confmix::record
