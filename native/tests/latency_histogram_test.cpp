// The tick-lateness histogram's summary: quantiles, cumulative buckets at edges, sum and reset.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/io/latency_stats.h"

namespace confmix::io {
namespace {

uint64_t CountBelow(const LatencySummary& summary, int64_t edge_ns) {
  for (const auto& [edge, count] : summary.buckets) {
    if (edge == edge_ns) return count;
  }
  ADD_FAILURE() << "no bucket edge at " << edge_ns << " ns";
  return 0;
}

TEST(LatencyHistogram, CumulativeBucketsCountTheSamplesBelowEachEdge) {
  LatencyHistogram histogram;
  for (int64_t ns : {0, 9'999, 10'000, 49'999, 50'000, 99'999, 1'000'000, 250'000'000}) histogram.Record(ns);
  histogram.Record(-5);  // early counts as on time
  const LatencySummary summary = histogram.Summarize();
  EXPECT_EQ(summary.count, 9u);
  ASSERT_EQ(summary.buckets.size(), std::size(LatencyHistogram::kBucketEdgesNs));
  EXPECT_EQ(CountBelow(summary, 50'000), 5u);    // 0, 9 999, 10 000, 49 999 and -5
  EXPECT_EQ(CountBelow(summary, 100'000), 7u);   // and 50 000, 99 999
  EXPECT_EQ(CountBelow(summary, 1'000'000), 7u);
  EXPECT_EQ(CountBelow(summary, 2'000'000), 8u);  // and 1 ms
  // The open-ended last bucket (250 ms) is never inside a finite edge.
  EXPECT_EQ(CountBelow(summary, 50'000'000), 8u);
  for (size_t i = 1; i < summary.buckets.size(); ++i) EXPECT_GE(summary.buckets[i].second, summary.buckets[i - 1].second);
  EXPECT_EQ(summary.sum_ns, 0 + 9'999 + 10'000 + 49'999 + 50'000 + 99'999 + 1'000'000 + 250'000'000);
  EXPECT_EQ(summary.max_ns, 250'000'000);
}

TEST(LatencyHistogram, QuantilesAreBucketUpperEdgesCappedAtTheMaximum) {
  LatencyHistogram histogram;
  for (int i = 0; i < 99; ++i) histogram.Record(15'000);
  histogram.Record(3'000'005);
  const LatencySummary summary = histogram.Summarize();
  EXPECT_EQ(summary.p50_ns, 20'000);
  EXPECT_EQ(summary.p99_ns, 20'000);
  ASSERT_EQ(summary.cdf.size(), std::size(LatencyHistogram::kCdfFractions));
  EXPECT_EQ(summary.cdf.back().first, 1.0);
  EXPECT_EQ(summary.cdf.back().second, 3'000'005);
  for (size_t i = 1; i < summary.cdf.size(); ++i) EXPECT_GE(summary.cdf[i].second, summary.cdf[i - 1].second);
}

TEST(LatencyHistogram, CoarseBucketsKeepEdgesAndCapLateSamplesInTheLast) {
  LatencyHistogram histogram(50'000, 400);  // a conference's: 50 µs up to 20 ms
  for (int i = 0; i < 98; ++i) histogram.Record(120'000);
  histogram.Record(700'000);
  histogram.Record(30'000'000);  // past 20 ms: the last bucket, its exact value kept as the maximum
  const LatencySummary summary = histogram.Summarize();
  EXPECT_EQ(summary.count, 100u);
  EXPECT_EQ(summary.p50_ns, 150'000);
  EXPECT_EQ(summary.p99_ns, 750'000);
  EXPECT_EQ(summary.max_ns, 30'000'000);
  EXPECT_EQ(CountBelow(summary, 100'000), 0u);
  EXPECT_EQ(CountBelow(summary, 250'000), 98u);
  EXPECT_EQ(CountBelow(summary, 1'000'000), 99u);
  EXPECT_EQ(CountBelow(summary, 50'000'000), 99u);
  EXPECT_EQ(summary.cdf.back().second, 30'000'000);  // the open-ended last bucket: the maximum
}

TEST(LatencyHistogram, ResetForgetsEverything) {
  LatencyHistogram histogram;
  histogram.Record(123'456);
  histogram.Reset();
  const LatencySummary summary = histogram.Summarize();
  EXPECT_EQ(summary.count, 0u);
  EXPECT_EQ(summary.sum_ns, 0);
  EXPECT_EQ(summary.max_ns, 0);
  EXPECT_EQ(summary.p99_ns, 0);
  EXPECT_EQ(CountBelow(summary, 50'000'000), 0u);
  for (const auto& [fraction, ns] : summary.cdf) EXPECT_EQ(ns, 0) << fraction;
}

}  // namespace
}  // namespace confmix::io
