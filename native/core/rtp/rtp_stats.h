// Small counters and estimators shared by the RTP receive path: parse-reject counters,
// sequence extension, and the RFC 3550 interarrival jitter.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/rtp/rtp_packet.h"

namespace confmix::rtp {

/** Datagrams seen per RtpParseResult (index kOk counts the accepted ones). */
struct RtpRejectCounters {
  std::array<uint64_t, kRtpParseResultCount> counts{};

  /** Adds one datagram with this result. */
  void Count(RtpParseResult result) { ++counts[static_cast<size_t>(result)]; }
  /** Datagrams seen with this result. */
  uint64_t operator[](RtpParseResult result) const { return counts[static_cast<size_t>(result)]; }
  /** Datagrams rejected for any reason. */
  uint64_t rejected() const;
};

/** ParseRtp, counting the result in `counters`. */
RtpParseResult ParseRtpCounted(const uint8_t* data, size_t size, RtpPacketView* out,
                               RtpRejectCounters* counters);

/** Extends a 16-bit sequence number to the 64-bit value nearest `reference` (handles wrap). */
inline int64_t ExtendSequence(uint16_t sequence, int64_t reference) {
  int32_t delta = static_cast<int32_t>((sequence - static_cast<uint32_t>(reference)) & 0xffffu);
  if (delta >= 0x8000) delta -= 0x10000;
  return reference + delta;
}

/** RFC 3550 A.8 interarrival jitter, in RTP timestamp units. */
class InterarrivalJitter {
 public:
  /** Forgets the previous packet (a new stream); keeps the estimate. */
  void Restart() { have_previous_ = false; }
  /** Records a packet: arrival in ms, its (unwrapped) timestamp and the RTP clock. */
  void Update(double arrival_ms, int64_t timestamp, uint32_t clock_rate);
  /** The current estimate, RTP units. */
  double jitter() const { return jitter_; }

 private:
  bool have_previous_ = false;
  double previous_transit_ = 0;
  double jitter_ = 0;
};

}  // namespace confmix::rtp
