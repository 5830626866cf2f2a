// Jobs that exercise the media thread on its own, before the mixer plugs in: a relay that
// forwards one leg's packets to another each tick, and a job that only counts its ticks.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/io/datagram_batch.h"
#include "core/io/tick_job.h"

namespace confmix::io {

/** True for a datagram shaped like RTP: at least a fixed header (12 bytes) and version 2. */
bool LooksLikeRtp(const uint8_t* data, size_t size);

/** Test-only: forwards each tick the packets its source leg received since the last tick to
 *  `to_leg`. Attach it as the source leg's sink; it accepts only RTP-shaped packets. */
class RelayJob final : public TickJob, public PacketSink {
 public:
  /** Forwards to `to_leg`, holding at most `max_datagrams` per tick. */
  explicit RelayJob(LegId to_leg, size_t max_datagrams = 1024);
  /** Keeps an RTP-shaped packet for the next tick; rejects anything else. */
  bool OnPacket(LegId leg, const uint8_t* data, size_t size, const SocketAddress& from, int64_t now_ns) override;
  /** Sends what was kept. */
  void Tick(TickContext& context) override;

 private:
  LegId to_leg_;
  DatagramBatch pending_;
};

/** Test-only: does nothing each tick (the thread counts its ticks), except that every
 *  `stall_every` ticks it takes `stall_ns` (to make the following ticks late). */
class CounterJob final : public TickJob {
 public:
  /** No stall by default. */
  explicit CounterJob(int64_t stall_ns = 0, uint64_t stall_every = 0)
      : stall_ns_(stall_ns), stall_every_(stall_every) {}
  /** Stalls when its turn comes. */
  void Tick(TickContext& context) override;

 private:
  int64_t stall_ns_;
  uint64_t stall_every_;
};

}  // namespace confmix::io
