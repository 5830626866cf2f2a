// Hands out local UDP ports from a configured range: even ports for RTP by default, with the
// next odd port held back for RTCP when asked.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace confmix::io {

/** What a bind attempt on one candidate port reported. */
enum class BindResult : uint8_t {
  kBound,   // the socket is bound to the port: keep it
  kInUse,   // another process holds the port: try the next one
  kFailed,  // binding cannot work on any port (bad local address): stop
};

/** A thread-safe set of free ports in [min, max]. */
class PortAllocator {
 public:
  /** A range [port_min, port_max]; with `even_only` only even ports are handed out. */
  PortAllocator(int port_min, int port_max, bool even_only);

  /** Checks a range before construction; returns "" when valid, else why not. */
  static std::string Validate(int port_min, int port_max, bool even_only);

  /** Reserves a free port (and port + 1 when `with_rtcp`) that `try_bind(port)` binds.
   *  Returns the port, or -1 when no port is left or try_bind reported kFailed. The lock is not
   *  held while try_bind runs. */
  template <class TryBind>
  int Acquire(bool with_rtcp, TryBind&& try_bind);

  /** Returns a port (and its RTCP companion) to the free set. */
  void Release(int port);

  /** Ports the range can hand out at once (without RTCP companions). */
  size_t capacity() const { return candidate_count_; }
  /** Ports currently handed out. */
  size_t in_use() const;
  int port_min() const { return port_min_; }
  int port_max() const { return port_max_; }

 private:
  enum Slot : uint8_t { kFree = 0, kRtp = 1, kRtpWithRtcp = 2, kRtcp = 3 };
  // Claims the next free candidate at or after the cursor; -1 when none of `remaining` is free.
  int ClaimNext(bool with_rtcp, size_t* remaining);
  void Unclaim(int port);
  Slot& slot(int port) { return slots_[static_cast<size_t>(port - port_min_)]; }

  const int port_min_;
  const int port_max_;
  const int first_candidate_;
  const int step_;
  const size_t candidate_count_;
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;  // one per port in the range, plus one past it for RTCP checks
  size_t cursor_ = 0;        // next candidate index: rotating, so a freed port rests a while
  size_t in_use_ = 0;
};

template <class TryBind>
int PortAllocator::Acquire(bool with_rtcp, TryBind&& try_bind) {
  size_t remaining = candidate_count_;
  while (remaining > 0) {
    const int port = ClaimNext(with_rtcp, &remaining);
    if (port < 0) return -1;
    const BindResult result = try_bind(port);
    if (result == BindResult::kBound) return port;
    Unclaim(port);
    if (result == BindResult::kFailed) return -1;
  }
  return -1;
}

}  // namespace confmix::io
