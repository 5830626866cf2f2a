#include "core/io/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace confmix::io {

LatencyHistogram::LatencyHistogram(int64_t bucket_ns, size_t bucket_count)
    : bucket_ns_(bucket_ns < 1 ? 1 : bucket_ns),
      bucket_count_(bucket_count < 1 ? 1 : bucket_count),
      buckets_(new std::atomic<uint32_t>[bucket_count_]()) {}

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  size_t bucket = static_cast<size_t>(ns / bucket_ns_);
  if (bucket >= bucket_count_) bucket = bucket_count_ - 1;
  // One writer: a plain load and store is enough, and cheaper than a locked add.
  auto& slot = buckets_[bucket];
  slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
  if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
}

LatencySummary LatencyHistogram::Summarize() const {
  LatencySummary out;
  // One snapshot of the buckets, so every figure reads the same samples.
  std::vector<uint32_t> snapshot(bucket_count_);
  uint64_t total = 0;
  for (size_t i = 0; i < bucket_count_; ++i) total += (snapshot[i] = buckets_[i].load(std::memory_order_relaxed));
  out.count = total;
  out.max_ns = max_ns();
  out.sum_ns = sum_ns();
  // Ranks of the quantiles wanted (ascending), and the bucket that ends each edge.
  constexpr size_t kFractions = sizeof(kCdfFractions) / sizeof(kCdfFractions[0]);
  std::vector<std::pair<double, uint64_t>> wanted;  // fraction, rank
  auto rank_of = [total](double fraction) {
    const uint64_t rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(total)));
    return rank == 0 ? uint64_t{1} : rank;
  };
  for (size_t i = 0; i < kFractions; ++i) wanted.emplace_back(kCdfFractions[i], rank_of(kCdfFractions[i]));
  std::vector<int64_t> quantile_ns(kFractions, 0);
  size_t next_quantile = 0, next_edge = 0;
  uint64_t seen = 0;
  for (size_t i = 0; i < bucket_count_; ++i) {
    // Edges that end before this bucket (the last bucket is open-ended: no finite edge holds it).
    while (next_edge < std::size(kBucketEdgesNs) &&
           (i == bucket_count_ - 1 || static_cast<int64_t>(i) * bucket_ns_ >= kBucketEdgesNs[next_edge])) {
      out.buckets.emplace_back(kBucketEdgesNs[next_edge++], seen);
    }
    seen += snapshot[i];
    // The last bucket is open-ended: its samples are at most the maximum.
    const int64_t upper = i == bucket_count_ - 1 ? out.max_ns : std::min(static_cast<int64_t>(i + 1) * bucket_ns_, out.max_ns);
    while (total > 0 && next_quantile < kFractions && seen >= wanted[next_quantile].second) quantile_ns[next_quantile++] = upper;
  }
  while (next_edge < std::size(kBucketEdgesNs)) out.buckets.emplace_back(kBucketEdgesNs[next_edge++], seen);
  for (size_t i = 0; i < kFractions; ++i) {
    const int64_t ns = total == 0 ? 0 : (i < next_quantile ? quantile_ns[i] : out.max_ns);
    out.cdf.emplace_back(kCdfFractions[i], ns);
    if (kCdfFractions[i] == 0.5) out.p50_ns = ns;
    if (kCdfFractions[i] == 0.99) out.p99_ns = ns;
  }
  return out;
}

void LatencyHistogram::Reset() {
  for (size_t i = 0; i < bucket_count_; ++i) buckets_[i].store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
  sum_ns_.store(0, std::memory_order_relaxed);
}

}  // namespace confmix::io
