// The two interfaces the media thread drives: clocked jobs (a conference's tick) and packet sinks
// (a leg's receiver). Both are called on the media thread only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/io/media_event.h"
#include "core/io/socket_address.h"

namespace confmix::io {

/** What a job may do during its tick; implemented by the media thread. */
class TickServices {
 public:
  virtual ~TickServices() = default;
  /** Queues one datagram for `leg`; false when the leg is unknown or the outbox is full. */
  virtual bool QueueDatagram(LegId leg, const uint8_t* data, size_t size) = 0;
  /** Queues one event for the owner; false when the event queue is full. */
  virtual bool EmitEvent(const MediaEvent& event) = 0;
};

/** Handed to TickJob::Tick: the timing of this tick and a way to send. */
class TickContext {
 public:
  TickContext(TickServices& services, JobId job, int64_t deadline_ns, int64_t now_ns,
              int64_t interval_ns, uint64_t tick_index, double thread_load = 0)
      : services_(services), job_(job), deadline_ns_(deadline_ns), now_ns_(now_ns),
        interval_ns_(interval_ns), tick_index_(tick_index), thread_load_(thread_load) {}

  /** Queues a datagram for `leg`; the thread sends every queued datagram after the job returns,
   *  batched per socket (sendmmsg), or hands them to the leg's feeding thread. The bytes are
   *  copied. False when the leg is unknown or this tick's outbox is full. */
  bool Send(LegId leg, const uint8_t* data, size_t size) { return services_.QueueDatagram(leg, data, size); }
  /** Reports an event to the owner (type kJob for job-defined events). */
  bool Emit(const MediaEvent& event) { return services_.EmitEvent(event); }

  /** The job being ticked. */
  JobId job() const { return job_; }
  /** The deadline this tick was due at (CLOCK_MONOTONIC ns). */
  int64_t deadline_ns() const { return deadline_ns_; }
  /** When the tick started (CLOCK_MONOTONIC ns). */
  int64_t now_ns() const { return now_ns_; }
  /** The job's interval. */
  int64_t interval_ns() const { return interval_ns_; }
  /** 0 for the job's first tick, then 1, 2, ... */
  uint64_t tick_index() const { return tick_index_; }
  /** Share of wall time the media thread spent working (ticks, socket I/O) over its last
   *  completed load window of about one second: 0 idle, 1 busy all the time. Jobs shed optional
   *  work (codec complexity) when it runs high, so the clock keeps its deadlines. */
  double thread_load() const { return thread_load_; }

 private:
  TickServices& services_;
  JobId job_;
  int64_t deadline_ns_;
  int64_t now_ns_;
  int64_t interval_ns_;
  uint64_t tick_index_;
  double thread_load_;
};

/** Work the media thread runs every interval, at absolute deadlines. */
class TickJob {
 public:
  virtual ~TickJob() = default;
  /** One tick. Must not block; should not allocate after its first ticks. */
  virtual void Tick(TickContext& context) = 0;
  /** The datagrams of its tick due at `deadline_ns` start leaving at `flush_ns`: after every
   *  tick due in the same wake. */
  virtual void Flushed(int64_t /*deadline_ns*/, int64_t /*flush_ns*/) {}
  /** Asked after each tick: true when the job needs no clock until it is roused
   *  (MediaThread::RouseJob). A sleeping job is not ticked and never wakes the thread; roused,
   *  it ticks again on its own grid. */
  virtual bool Sleeps() { return false; }
};

/** Receives the datagrams of one leg. */
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  /** One datagram that passed the leg's source check (`from` is empty for legs fed from another
   *  thread). Returns true if it was a valid packet for this leg: only valid packets latch the
   *  remote and keep the leg from timing out. */
  virtual bool OnPacket(LegId leg, const uint8_t* data, size_t size, const SocketAddress& from,
                        int64_t now_ns) = 0;
};

}  // namespace confmix::io
