#include "core/rtp/jitter_delay_estimator.h"

#include <cmath>
#include <limits>

namespace confmix::rtp {

JitterDelayEstimator::JitterDelayEstimator(uint32_t clock_rate)
    : ms_per_unit_(1000.0 / static_cast<double>(clock_rate > 0 ? clock_rate : 1)) {
  RestartReference();
}

void JitterDelayEstimator::RestartReference() {
  block_min_.fill(std::numeric_limits<double>::infinity());
  have_reference_ = false;
}

double JitterDelayEstimator::Update(double arrival_ms, int64_t timestamp) {
  double transit = arrival_ms - static_cast<double>(timestamp) * ms_per_unit_;
  int64_t block = static_cast<int64_t>(std::floor(arrival_ms / kBlockMs));
  if (!have_reference_) {
    current_block_ = block;
    have_reference_ = true;
  }
  if (block > current_block_) {
    // Blocks that slid out of the window no longer hold a reference.
    int64_t steps = block - current_block_;
    for (int64_t i = 1; i <= steps && i <= kBlocks; ++i) {
      block_min_[static_cast<size_t>((current_block_ + i) % kBlocks)] =
          std::numeric_limits<double>::infinity();
    }
    current_block_ = block;
  }
  // An arrival time that went backwards lands in the current block.
  double& slot = block_min_[static_cast<size_t>(current_block_ % kBlocks)];
  if (transit < slot) slot = transit;
  double fastest = transit;
  for (double m : block_min_) fastest = m < fastest ? m : fastest;
  double lateness = transit - fastest;
  RecordLateness(lateness);
  return lateness;
}

void JitterDelayEstimator::RecordLateness(double lateness_ms) {
  // Decaying every bucket by kForgetting per packet is the same as growing the next packet's
  // weight by 1/kForgetting: one bucket is touched, not the whole 2 KB histogram (per member,
  // per packet, that was a large share of a big room's cache traffic). Rescaled now and then.
  weight_scale_ /= kForgetting;
  if (weight_scale_ > kRescaleAbove) {
    for (double& weight : histogram_) weight /= weight_scale_;
    total_weight_ /= weight_scale_;
    weight_scale_ = 1.0;
    // Summed afresh, so rounding in the running sum never accumulates.
    weight_below_ = 0;
    for (int i = 0; i < percentile_index_; ++i) weight_below_ += histogram_[static_cast<size_t>(i)];
  }
  int bucket = static_cast<int>(lateness_ms / kBucketMs);
  bucket = bucket < 0 ? 0 : (bucket >= kBuckets ? kBuckets - 1 : bucket);
  const double weight = (1.0 - kForgetting) * weight_scale_;
  histogram_[static_cast<size_t>(bucket)] += weight;
  total_weight_ += weight;
  if (bucket < percentile_index_) weight_below_ += weight;

  // The percentile is the first bucket where the running sum reaches kPercentile of the weight.
  // It moves a bucket or two per packet, so it is walked from where it was instead of from 0.
  const double wanted = total_weight_ * kPercentile;
  while (percentile_index_ < kBuckets - 1 &&
         weight_below_ + histogram_[static_cast<size_t>(percentile_index_)] < wanted) {
    weight_below_ += histogram_[static_cast<size_t>(percentile_index_)];
    ++percentile_index_;
  }
  while (percentile_index_ > 0 && weight_below_ >= wanted) {
    --percentile_index_;
    weight_below_ -= histogram_[static_cast<size_t>(percentile_index_)];
  }
  percentile_ms_ = percentile_index_ * kBucketMs;
}

}  // namespace confmix::rtp
