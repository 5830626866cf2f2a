// What a shard's conferences hand to the control thread each tick: mixer events and app-leg
// frames. Jobs append under a lock held only for the copy; the control thread swaps it all out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/mix/events.h"

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

/** Everything taken in one swap. The vectors keep their capacity across swaps. */
struct OutboxBatch {
  std::vector<ConferenceEvent> events;
  std::vector<AppFrame> frames;
  std::vector<int16_t> pcm;
  /** Empties it, keeping capacity. */
  void Clear() {
    events.clear();
    frames.clear();
    pcm.clear();
  }
  /** True when there is nothing in it. */
  bool empty() const { return events.empty() && frames.empty(); }
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
