// What a shard's conferences hand to the control thread each tick: mixer events, app-leg
// frames, and control commands that failed on the media thread. Jobs append under a lock held only for the copy; the control thread swaps it all out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "core/mix/events.h"
#include "core/record/conference_recordings.h"
#include "core/status.h"

namespace confmix::shard {

/** A mixer event of one conference. */
struct ConferenceEvent {
  uint32_t conference = 0;  // the conference's handle
  MixerEvent event;
};

/** One output frame of an app member; its samples are in the batch's `pcm` at `offset`. */
struct AppFrame {
  uint32_t conference = 0;
  uint32_t member = 0;
  size_t offset = 0;
  size_t samples = 0;
};

/** A control command that failed on the media thread after its call had returned. */
struct CommandFailure {
  uint32_t conference = 0;
  uint32_t member = 0;                  // the member it was about (0 for a conference-wide playback)
  std::optional<uint32_t> playback;     // set when it was a playback's start
  Status status;
};

/** A recording's event of one conference. */
struct ConferenceRecordingEvent {
  uint32_t conference = 0;
  record::RecordingEvent event;
};

/** Everything taken in one swap. The vectors keep their capacity across swaps. */
struct OutboxBatch {
  std::vector<ConferenceEvent> events;
  std::vector<AppFrame> frames;
  std::vector<int16_t> pcm;
  std::vector<CommandFailure> failures;
  std::vector<ConferenceRecordingEvent> recordings;
  /** Empties it, keeping capacity. */
  void Clear() {
    events.clear();
    frames.clear();
    pcm.clear();
    failures.clear();
    recordings.clear();
  }
  /** True when there is nothing in it. */
  bool empty() const { return events.empty() && frames.empty() && failures.empty() && recordings.empty(); }
};

/** The shared outbox. */
class ShardOutbox {
 public:
  /** Appends a job's staged batch (media thread); `staged` is emptied. */
  void Append(OutboxBatch& staged);
  /** Swaps everything out into `out` (control thread); `out` is cleared first. */
  void Take(OutboxBatch& out);

 private:
  std::mutex mutex_;
  OutboxBatch batch_;
};

}  // namespace confmix::shard
