#include "core/mix/active_talkers.h"

#include <algorithm>

namespace confmix {

int32_t SmoothTalkerLevel(int32_t previous, int32_t score) {
  if (score >= previous) return score;
  return previous - (previous - score + 7) / 8;
}

size_t SelectActiveTalkers(std::vector<TalkerCandidate>& candidates, size_t max_active) {
  if (max_active == 0 || candidates.size() <= max_active) return candidates.size();
  auto rank = [](const TalkerCandidate& c) {
    return static_cast<int64_t>(c.level) * (c.incumbent ? kIncumbentAdvantage : 1);
  };
  auto before = [&](const TalkerCandidate& a, const TalkerCandidate& b) {
    const int64_t ra = rank(a);
    const int64_t rb = rank(b);
    if (ra != rb) return ra > rb;
    if (a.incumbent != b.incumbent) return a.incumbent;
    return a.position < b.position;
  };
  std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(max_active - 1),
                   candidates.end(), before);
  return max_active;
}

}  // namespace confmix
