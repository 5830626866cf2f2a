// Tick lateness as a fixed histogram (by default 10 µs buckets up to 100 ms; a conference's own
// uses coarser, fewer buckets): recording never allocates, and percentiles can be read from
// another thread while the media thread records.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace confmix::io {

/** Everything read from a histogram at once: percentiles, a CDF for plots, cumulative buckets. */
struct LatencySummary {
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
  uint64_t count = 0;
  int64_t sum_ns = 0;
  std::vector<std::pair<double, int64_t>> cdf;        // [fraction, ns] at kCdfFractions
  std::vector<std::pair<int64_t, uint64_t>> buckets;  // [edge ns, samples at most that] at kBucketEdgesNs
};

/** A lateness histogram with one writer and any number of readers. */
class LatencyHistogram {
 public:
  /** Width of one bucket, by default. */
  static constexpr int64_t kBucketNs = 10'000;
  /** Buckets up to 100 ms by default; the last also holds everything later. */
  static constexpr size_t kBucketCount = 10'000;

  /** `bucket_count` buckets of `bucket_ns` each (both at least 1). */
  explicit LatencyHistogram(int64_t bucket_ns = kBucketNs, size_t bucket_count = kBucketCount);

  /** Records one sample (negative counts as 0). Writer thread only. */
  void Record(int64_t ns);
  /** Samples recorded. */
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  /** Sum of every sample, ns (for a histogram's mean). */
  int64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }
  /** Largest sample recorded, exact. */
  int64_t max_ns() const { return max_ns_.load(std::memory_order_relaxed); }
  /** The quantiles a summary's CDF lists. */
  static constexpr double kCdfFractions[] = {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
                                             0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0};
  /** The upper edges of a summary's cumulative buckets (a Prometheus histogram's `le`). */
  static constexpr int64_t kBucketEdgesNs[] = {50'000, 100'000, 250'000, 500'000, 1'000'000,
                                               2'000'000, 5'000'000, 10'000'000, 20'000'000, 50'000'000};
  /** Reads every figure in two passes over the buckets (any thread). A quantile is the upper edge
   *  of its bucket, capped at the maximum (the open-ended last bucket's is the maximum); a bucket
   *  edge counts the samples below it. */
  LatencySummary Summarize() const;
  /** Forgets every sample. Writer thread only. */
  void Reset();

 private:
  int64_t bucket_ns_;
  size_t bucket_count_;
  std::unique_ptr<std::atomic<uint32_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> max_ns_{0};
  std::atomic<int64_t> sum_ns_{0};
};

}  // namespace confmix::io
