#include "core/frame.h"

namespace confmix {

bool IsSupportedRate(int rate) {
  for (int r : kSupportedRates)
    if (r == rate) return true;
  return false;
}

bool IsSupportedIntervalMs(int interval_ms) {
  for (int i : kSupportedIntervalsMs)
    if (i == interval_ms) return true;
  return false;
}

}  // namespace confmix
