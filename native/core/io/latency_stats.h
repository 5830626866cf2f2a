// Tick lateness as a fixed histogram (10 µs buckets up to 100 ms): recording never allocates,
// and percentiles can be read from another thread while the media thread records.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace confmix::io {

/** A lateness histogram with one writer and any number of readers. */
class LatencyHistogram {
 public:
  /** Width of one bucket. */
  static constexpr int64_t kBucketNs = 10'000;
  /** Buckets up to 100 ms; the last also holds everything later. */
  static constexpr size_t kBucketCount = 10'000;

  /** Records one sample (negative counts as 0). Writer thread only. */
  void Record(int64_t ns);
  /** Samples recorded. */
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  /** Samples at most `ns` (rounded up to a bucket edge): a cumulative histogram bucket. */
  uint64_t CountAtMostNs(int64_t ns) const;
  /** Sum of every sample, ns (for a histogram's mean). */
  int64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }
  /** Largest sample recorded, exact. */
  int64_t max_ns() const { return max_ns_.load(std::memory_order_relaxed); }
  /** The `fraction` (0..1) quantile: the upper edge of its bucket, capped at the maximum. */
  int64_t QuantileNs(double fraction) const;
  /** Forgets every sample. Writer thread only. */
  void Reset();

 private:
  std::array<std::atomic<uint32_t>, kBucketCount> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> max_ns_{0};
  std::atomic<int64_t> sum_ns_{0};
};

}  // namespace confmix::io
