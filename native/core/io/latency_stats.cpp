#include "core/io/latency_stats.h"

#include <cmath>

namespace confmix::io {

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  size_t bucket = static_cast<size_t>(ns / kBucketNs);
  if (bucket >= kBucketCount) bucket = kBucketCount - 1;
  // One writer: a plain load and store is enough, and cheaper than a locked add.
  auto& slot = buckets_[bucket];
  slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
  if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
}

int64_t LatencyHistogram::QuantileNs(double fraction) const {
  uint64_t total = 0;
  for (const auto& slot : buckets_) total += slot.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  if (fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  uint64_t rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  const int64_t max = max_ns();
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const int64_t upper = static_cast<int64_t>(i + 1) * kBucketNs;
      return upper < max ? upper : max;
    }
  }
  return max;
}

uint64_t LatencyHistogram::CountAtMostNs(int64_t ns) const {
  if (ns < 0) return 0;
  // Bucket i holds [i, i+1) × width; an edge that is a multiple of the width ends bucket edge-1.
  size_t end = static_cast<size_t>((ns + kBucketNs - 1) / kBucketNs);
  if (end > kBucketCount - 1) end = kBucketCount - 1;  // the last bucket is open-ended
  uint64_t seen = 0;
  for (size_t i = 0; i < end; ++i) seen += buckets_[i].load(std::memory_order_relaxed);
  return seen;
}

void LatencyHistogram::Reset() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
  sum_ns_.store(0, std::memory_order_relaxed);
}

}  // namespace confmix::io
