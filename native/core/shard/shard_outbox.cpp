#include "core/shard/shard_outbox.h"

namespace confmix::shard {

void ShardOutbox::Append(OutboxBatch& staged) {
  if (staged.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t base = batch_.pcm.size();
    batch_.pcm.insert(batch_.pcm.end(), staged.pcm.begin(), staged.pcm.end());
    for (AppFrame frame : staged.frames) {
      frame.offset += base;
      batch_.frames.push_back(frame);
    }
    batch_.events.insert(batch_.events.end(), staged.events.begin(), staged.events.end());
    batch_.failures.insert(batch_.failures.end(), staged.failures.begin(), staged.failures.end());
    for (ConferenceRecordingEvent& event : staged.recordings) batch_.recordings.push_back(std::move(event));
  }
  staged.Clear();
}

void ShardOutbox::Take(OutboxBatch& out) {
  out.Clear();
  std::lock_guard<std::mutex> lock(mutex_);
  std::swap(out, batch_);
}

}  // namespace confmix::shard
