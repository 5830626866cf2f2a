// The tick-lateness histogram: quantiles, cumulative buckets at edges, sum and reset.
#include <gtest/gtest.h>

#include "core/io/latency_stats.h"

namespace confmix::io {
namespace {

TEST(LatencyHistogram, CumulativeCountsStopAtEachEdge) {
  LatencyHistogram histogram;
  for (int64_t ns : {0, 9'999, 10'000, 49'999, 50'000, 1'000'000, 250'000'000}) histogram.Record(ns);
  histogram.Record(-5);  // early counts as on time
  EXPECT_EQ(histogram.count(), 8u);
  EXPECT_EQ(histogram.CountAtMostNs(0), 0u);
  EXPECT_EQ(histogram.CountAtMostNs(10'000), 3u);   // 0, 9 999 and -5
  EXPECT_EQ(histogram.CountAtMostNs(50'000), 5u);   // and 10 000, 49 999
  EXPECT_EQ(histogram.CountAtMostNs(1'000'000), 6u);  // 50 000 sits in the bucket that 1 ms ends
  EXPECT_EQ(histogram.CountAtMostNs(1'010'000), 7u);
  // The open-ended last bucket is never inside a finite edge.
  EXPECT_EQ(histogram.CountAtMostNs(1'000'000'000), 7u);
  EXPECT_EQ(histogram.sum_ns(), 0 + 9'999 + 10'000 + 49'999 + 50'000 + 1'000'000 + 250'000'000);
  EXPECT_EQ(histogram.max_ns(), 250'000'000);
}

TEST(LatencyHistogram, QuantilesAreBucketUpperEdgesCappedAtTheMaximum) {
  LatencyHistogram histogram;
  for (int i = 0; i < 99; ++i) histogram.Record(15'000);
  histogram.Record(3'000'005);
  EXPECT_EQ(histogram.QuantileNs(0.5), 20'000);
  EXPECT_EQ(histogram.QuantileNs(0.99), 20'000);
  EXPECT_EQ(histogram.QuantileNs(1.0), 3'000'005);
}

TEST(LatencyHistogram, ResetForgetsEverything) {
  LatencyHistogram histogram;
  histogram.Record(123'456);
  histogram.Reset();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.sum_ns(), 0);
  EXPECT_EQ(histogram.max_ns(), 0);
  EXPECT_EQ(histogram.CountAtMostNs(1'000'000'000), 0u);
  EXPECT_EQ(histogram.QuantileNs(0.99), 0);
}

}  // namespace
}  // namespace confmix::io
