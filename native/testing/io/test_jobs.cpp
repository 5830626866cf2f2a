#include "testing/io/test_jobs.h"

#include "core/io/tick_clock.h"
#include "core/io/udp_socket.h"

namespace confmix::io {

bool LooksLikeRtp(const uint8_t* data, size_t size) { return size >= 12 && (data[0] >> 6) == 2; }

RelayJob::RelayJob(LegId to_leg, size_t max_datagrams)
    : to_leg_(to_leg), pending_(max_datagrams, max_datagrams * kMaxDatagramBytes) {}

bool RelayJob::OnPacket(LegId leg, const uint8_t* data, size_t size, const SocketAddress&, int64_t) {
  if (!LooksLikeRtp(data, size)) return false;
  // Valid even when there is no room left: the packet was right, this relay is just full.
  pending_.Append(leg, data, size);
  return true;
}

void RelayJob::Tick(TickContext& context) {
  for (size_t i = 0; i < pending_.size(); ++i) context.Send(to_leg_, pending_.data(i), pending_.ref(i).size);
  pending_.Clear();
}

void CounterJob::Tick(TickContext& context) {
  if (stall_every_ == 0 || stall_ns_ <= 0 || (context.tick_index() + 1) % stall_every_ != 0) return;
  SleepUntilNs(context.now_ns() + stall_ns_);
}

}  // namespace confmix::io
