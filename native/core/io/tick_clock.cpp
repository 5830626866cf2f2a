#include "core/io/tick_clock.h"

#include <time.h>

#include <cerrno>

namespace confmix::io {

namespace {

int64_t ToNs(const timespec& time) {
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000LL + time.tv_nsec;
}

}  // namespace

int64_t MonotonicNowNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return ToNs(now);
}

int64_t RealtimeNowNs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return ToNs(now);
}

int64_t ThreadCpuNs() {
  timespec used{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
  return ToNs(used);
}

void SpinUntilNs(int64_t deadline_ns) {
  while (MonotonicNowNs() < deadline_ns) CpuRelax();
}

void SleepUntilNs(int64_t deadline_ns) {
  timespec deadline{};
  deadline.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000LL);
  deadline.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000LL);
  // With TIMER_ABSTIME an interrupted sleep resumes toward the same instant.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}

}  // namespace confmix::io
