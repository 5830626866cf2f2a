// A multi-producer queue the media thread empties at the start of a wake. The lock is held only
// to push one item or to swap the whole batch out, never while an item is applied.
#pragma once
#include <mutex>
#include <utility>
#include <vector>

namespace confmix::io {

/** Items pushed by any thread, taken in order by one consumer. */
template <class Item>
class CommandQueue {
 public:
  /** Appends one item (any thread). */
  void Push(Item item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(item));
  }
  /** Moves every queued item into `out` (emptied first), oldest first. The consumer keeps `out`
   *  between calls, so the two vectors trade their capacity back and forth. */
  void TakeAll(std::vector<Item>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    items_.swap(out);
  }

 private:
  std::mutex mutex_;
  std::vector<Item> items_;
};

}  // namespace confmix::io
