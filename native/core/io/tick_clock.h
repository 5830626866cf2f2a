// The media thread's clock: CLOCK_MONOTONIC nanoseconds, absolute sleeps, thread CPU time, and
// the drift-free deadline of one clocked job.
#pragma once
#include <cstdint>

namespace confmix::io {

/** Nanoseconds on CLOCK_MONOTONIC (the clock process.hrtime reads). */
int64_t MonotonicNowNs();
/** Nanoseconds on CLOCK_REALTIME (the clock of the kernel's datagram arrival stamps). */
int64_t RealtimeNowNs();
/** CPU time consumed by the calling thread, in nanoseconds. */
int64_t ThreadCpuNs();
/** Sleeps until CLOCK_MONOTONIC reaches `deadline_ns` (absolute, so no drift); returns at once
 *  when the deadline has passed. */
void SleepUntilNs(int64_t deadline_ns);

/** Returns once CLOCK_MONOTONIC reaches `deadline_ns`, never sleeping: for waits shorter than a
 *  wake-up costs. */
void SpinUntilNs(int64_t deadline_ns);
/** One pause in a spin loop (lets a sibling hyperthread run). */
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/** The deadlines of one job ticking every `interval_ns`: each deadline is the previous one plus
 *  the interval, never re-based on "now", so late ticks catch up and the count never drifts. */
class TickSchedule {
 public:
  TickSchedule() = default;
  /** First deadline at `first_deadline_ns`, then every `interval_ns`. */
  TickSchedule(int64_t first_deadline_ns, int64_t interval_ns)
      : deadline_ns_(first_deadline_ns), interval_ns_(interval_ns) {}
  /** The next deadline. */
  int64_t deadline_ns() const { return deadline_ns_; }
  /** The interval. */
  int64_t interval_ns() const { return interval_ns_; }
  /** True when the next tick should already have run at `now_ns`. */
  bool Due(int64_t now_ns) const { return now_ns >= deadline_ns_; }
  /** Moves to the following deadline after a tick ran. */
  void Advance() { deadline_ns_ += interval_ns_; }
  /** After a pause (a job that slept): the first deadline of the same grid after `now_ns`. */
  void Resume(int64_t now_ns) {
    if (now_ns >= deadline_ns_) deadline_ns_ += ((now_ns - deadline_ns_) / interval_ns_ + 1) * interval_ns_;
  }

 private:
  int64_t deadline_ns_ = 0;
  int64_t interval_ns_ = 0;
};

}  // namespace confmix::io
