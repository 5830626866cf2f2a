// A single-producer single-consumer ring of fixed-size int16 frames. The producer (the media
// thread's tick) copies a frame in, or learns at once that the ring is full; it never waits and
// never allocates. The consumer (a recording's writer thread) reads frames in order in place and
// releases them. All slots are allocated when the ring is made.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix::record {

class FrameRing {
 public:
  /** A ring of `capacity` frames of `frame_samples` samples each (capacity >= 1). */
  FrameRing(size_t frame_samples, size_t capacity);

  /** Samples in each frame. */
  size_t frame_samples() const { return frame_samples_; }
  /** Frames it holds at most. */
  size_t capacity() const { return capacity_; }

  /** Producer: copies one frame in (null: a frame of zeros). False when the ring is full. */
  bool TryPush(const int16_t* frame);
  /** Producer: like TryPush, from int32 samples saturated to int16. */
  bool TryPushSaturated(const int32_t* frame);

  /** Consumer: frames ready to read. */
  size_t readable() const;
  /** Consumer: the oldest unread frame, or null when none. Valid until Release(). */
  const int16_t* Front() const;
  /** Consumer: releases the oldest `frames` read frames (at most readable()). */
  void Release(size_t frames);

 private:
  int16_t* Slot(uint64_t index) { return &slots_[(index % capacity_) * frame_samples_]; }

  size_t frame_samples_;
  size_t capacity_;
  std::vector<int16_t> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};  // next frame the consumer reads
  alignas(64) std::atomic<uint64_t> tail_{0};  // next frame the producer writes
};

}  // namespace confmix::record
