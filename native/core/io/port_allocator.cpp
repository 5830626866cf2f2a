#include "core/io/port_allocator.h"

namespace confmix::io {

namespace {

int FirstCandidate(int port_min, bool even_only) {
  return even_only && (port_min % 2 != 0) ? port_min + 1 : port_min;
}

size_t CandidateCount(int port_min, int port_max, bool even_only) {
  const int first = FirstCandidate(port_min, even_only);
  if (port_min < 1 || port_max > 65535 || first > port_max) return 0;
  const int step = even_only ? 2 : 1;
  return static_cast<size_t>((port_max - first) / step + 1);
}

}  // namespace

std::string PortAllocator::Validate(int port_min, int port_max, bool even_only) {
  if (port_min < 1 || port_min > 65535 || port_max < 1 || port_max > 65535) {
    return "ports must be integers in 1..65535";
  }
  if (port_min > port_max) return "portMin must not exceed portMax";
  if (CandidateCount(port_min, port_max, even_only) == 0) return "the port range holds no even port";
  return std::string();
}

PortAllocator::PortAllocator(int port_min, int port_max, bool even_only)
    : port_min_(port_min),
      port_max_(port_max),
      first_candidate_(FirstCandidate(port_min, even_only)),
      step_(even_only ? 2 : 1),
      candidate_count_(CandidateCount(port_min, port_max, even_only)),
      slots_(port_max >= port_min ? static_cast<size_t>(port_max - port_min + 2) : 0, kFree) {}

int PortAllocator::ClaimNext(bool with_rtcp, size_t* remaining) {
  std::lock_guard<std::mutex> lock(mutex_);
  while (*remaining > 0) {
    --*remaining;
    const int port = first_candidate_ + static_cast<int>(cursor_) * step_;
    cursor_ = (cursor_ + 1) % candidate_count_;
    if (slot(port) != kFree) continue;
    if (with_rtcp && (port + 1 > port_max_ || slot(port + 1) != kFree)) continue;
    slot(port) = with_rtcp ? kRtpWithRtcp : kRtp;
    if (with_rtcp) slot(port + 1) = kRtcp;
    ++in_use_;
    return port;
  }
  return -1;
}

void PortAllocator::Unclaim(int port) { Release(port); }

void PortAllocator::Release(int port) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (port < port_min_ || port > port_max_) return;
  const Slot state = slot(port);
  if (state != kRtp && state != kRtpWithRtcp) return;
  if (state == kRtpWithRtcp) slot(port + 1) = kFree;
  slot(port) = kFree;
  --in_use_;
}

size_t PortAllocator::in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}

}  // namespace confmix::io
