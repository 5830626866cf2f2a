#include "core/rtp/rtp_stats.h"

#include <cmath>

namespace confmix::rtp {

uint64_t RtpRejectCounters::rejected() const {
  uint64_t total = 0;
  for (size_t i = 1; i < counts.size(); ++i) total += counts[i];
  return total;
}

RtpParseResult ParseRtpCounted(const uint8_t* data, size_t size, RtpPacketView* out,
                               RtpRejectCounters* counters) {
  RtpParseResult result = ParseRtp(data, size, out);
  if (counters != nullptr) counters->Count(result);
  return result;
}

void InterarrivalJitter::Update(double arrival_ms, int64_t timestamp, uint32_t clock_rate) {
  double transit = arrival_ms * clock_rate / 1000.0 - static_cast<double>(timestamp);
  if (have_previous_) {
    double d = std::fabs(transit - previous_transit_);
    jitter_ += (d - jitter_) / 16.0;
  }
  previous_transit_ = transit;
  have_previous_ = true;
}

}  // namespace confmix::rtp
