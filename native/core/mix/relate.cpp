#include "core/mix/relate.h"

#include <algorithm>

namespace confmix {

void RelateTable::Relate(uint32_t member, uint32_t other, Relationship relationship) {
  auto it = std::find_if(pairs_.begin(), pairs_.end(),
                         [&](const Pair& p) { return p.member == member && p.other == other; });
  if (relationship == Relationship::kClear) {
    if (it != pairs_.end()) pairs_.erase(it);
  } else {
    if (it == pairs_.end()) it = pairs_.insert(pairs_.end(), Pair{member, other, false, false});
    if (relationship == Relationship::kDeaf) it->deaf = true;
    if (relationship == Relationship::kMute) it->mute = true;
  }
  Rebuild();
}

void RelateTable::Forget(uint32_t member) {
  const size_t before = pairs_.size();
  pairs_.erase(std::remove_if(pairs_.begin(), pairs_.end(),
                              [&](const Pair& p) { return p.member == member || p.other == member; }),
               pairs_.end());
  if (pairs_.size() != before) Rebuild();
}

const std::vector<uint32_t>* RelateTable::Unheard(uint32_t listener) const {
  const auto it = unheard_.find(listener);
  return it == unheard_.end() ? nullptr : &it->second;
}

void RelateTable::Rebuild() {
  unheard_.clear();
  for (const Pair& p : pairs_) {
    if (p.deaf) unheard_[p.member].push_back(p.other);
    if (p.mute) unheard_[p.other].push_back(p.member);
  }
  for (auto& [listener, ids] : unheard_) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
}

}  // namespace confmix
