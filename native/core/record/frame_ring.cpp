#include "core/record/frame_ring.h"

#include <algorithm>
#include <cstring>

namespace confmix::record {

FrameRing::FrameRing(size_t frame_samples, size_t capacity)
    : frame_samples_(frame_samples), capacity_(std::max<size_t>(capacity, 1)), slots_(frame_samples_ * capacity_, 0) {}

bool FrameRing::TryPush(const int16_t* frame) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) >= capacity_) return false;
  int16_t* slot = Slot(tail);
  if (frame != nullptr)
    std::memcpy(slot, frame, frame_samples_ * sizeof(int16_t));
  else
    std::memset(slot, 0, frame_samples_ * sizeof(int16_t));
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool FrameRing::TryPushSaturated(const int32_t* frame) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) >= capacity_) return false;
  int16_t* slot = Slot(tail);
  for (size_t i = 0; i < frame_samples_; ++i)
    slot[i] = static_cast<int16_t>(std::clamp<int32_t>(frame[i], INT16_MIN, INT16_MAX));
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

size_t FrameRing::readable() const {
  return static_cast<size_t>(tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_relaxed));
}

const int16_t* FrameRing::Front() const {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (tail_.load(std::memory_order_acquire) == head) return nullptr;
  return &slots_[(head % capacity_) * frame_samples_];
}

void FrameRing::Release(size_t frames) {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const uint64_t ready = tail_.load(std::memory_order_acquire) - head;
  head_.store(head + std::min<uint64_t>(frames, ready), std::memory_order_release);
}

}  // namespace confmix::record
