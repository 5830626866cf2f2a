// How late packets arrive, and so how much delay a jitter buffer needs. Each packet's
// lateness is its transit time (arrival minus media time) above the fastest transit seen in
// the last two seconds; a slowly forgetting histogram of lateness gives a high percentile.
// The short reference window keeps a sender clock that drifts from ours from reading as
// ever-growing lateness.
#pragma once
#include <array>
#include <cstdint>

namespace confmix::rtp {

/** Measures arrival lateness; its percentile is the jitter allowance of the target delay. */
class JitterDelayEstimator {
 public:
  /** Histogram resolution, ms. */
  static constexpr double kBucketMs = 2.0;
  /** Histogram buckets; the last one collects everything later than it. */
  static constexpr int kBuckets = 256;
  /** Reference window: kBlocks blocks of kBlockMs of arrival time. */
  static constexpr int kBlocks = 8;
  static constexpr double kBlockMs = 250.0;
  /** Weight kept by the history per packet: ~15 s of 20 ms packets to forget a spike. */
  static constexpr double kForgetting = 0.996;
  /** The share of packets the allowance covers. */
  static constexpr double kPercentile = 0.95;

  /** An estimator for media timestamps on a `clock_rate` Hz clock. */
  explicit JitterDelayEstimator(uint32_t clock_rate);

  /** Forgets the fastest-transit reference (a new stream); keeps the lateness history. */
  void RestartReference();
  /** Records a packet's arrival (ms) and media timestamp (unwrapped); returns its lateness, ms. */
  double Update(double arrival_ms, int64_t timestamp);
  /** Lateness that kPercentile of packets stay within, ms (0 with no history). */
  double percentile_ms() const { return percentile_ms_; }

 private:
  void RecordLateness(double lateness_ms);

  double ms_per_unit_;
  std::array<double, kBlocks> block_min_{};
  int64_t current_block_ = 0;
  bool have_reference_ = false;
  // Weights are stored multiplied by weight_scale_, which grows instead of the history decaying.
  static constexpr double kRescaleAbove = 1e100;
  alignas(32) std::array<double, kBuckets> histogram_{};
  double total_weight_ = 0;
  double weight_scale_ = 1.0;
  int percentile_index_ = 0;   // the percentile's bucket
  double weight_below_ = 0;    // weight in the buckets below it (scaled like the histogram)
  double percentile_ms_ = 0;
};

}  // namespace confmix::rtp
