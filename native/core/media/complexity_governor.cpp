#include "core/media/complexity_governor.h"

namespace confmix {

bool ComplexityGovernor::Update(double load, int elapsed_ms) {
  if (!enabled_) return false;
  held_ms_ = std::min(kHoldMs, held_ms_ + std::max(0, elapsed_ms));
  if (held_ms_ < kHoldMs) return false;
  // A NaN load fails both comparisons, so it changes nothing.
  int next = shed_;
  if (load > kShedAboveLoad) next = std::min(max_shed_, shed_ + 1);
  if (load < kRestoreBelowLoad) next = std::max(0, shed_ - 1);
  if (next == shed_) return false;
  shed_ = next;
  held_ms_ = 0;
  return true;
}

bool ComplexityGovernor::SetMaxShed(int max_shed) {
  max_shed_ = std::clamp(max_shed, 0, kMaxShed);
  if (shed_ <= max_shed_) return false;
  // With the cap at the highest configured complexity, every encoder already runs at 0 above it.
  shed_ = max_shed_;
  return true;
}

}  // namespace confmix
