// The Conference's relate part (see relate.h): setting relationships, and the outputs of members
// who must not hear some others.
#include <algorithm>

#include "core/mix/conference.h"

namespace confmix {

Status Conference::Relate(uint32_t id, uint32_t other, Relationship relationship) {
  if (FindMember(id) == nullptr || FindMember(other) == nullptr) return {StatusCode::kNotFound, "no such member"};
  if (id == other) return {StatusCode::kInvalidArgument, "a member cannot be related to itself"};
  if (relationship != Relationship::kClear && relationship != Relationship::kDeaf && relationship != Relationship::kMute)
    return {StatusCode::kInvalidArgument, "relationship must be deaf, mute or clear"};
  relations_.Relate(id, other, relationship);
  relate_leaders_.reserve(relations_.listeners());  // no allocation in Mix()
  return {};
}

const int32_t* Conference::RelateBase(const Member& m, size_t* unheard) {
  *unheard = 0;
  const std::vector<uint32_t>* ids = relations_.Unheard(m.id_);
  if (ids == nullptr) return sum_.data();
  const size_t n = frame_samples_;
  for (const uint32_t id : *ids) {
    const Member* other = FindMember(id);
    if (other == nullptr || !other->contributed_) continue;
    if (*unheard == 0) std::copy(sum_.begin(), sum_.end(), relate_base_.begin());
    const int32_t* contribution = other->contribution_.data();
    int32_t* base = relate_base_.data();
    for (size_t i = 0; i < n; ++i) base[i] -= contribution[i];
    ++*unheard;
  }
  return *unheard == 0 ? sum_.data() : relate_base_.data();
}

bool Conference::SameUnheardThisTick(const Member& a, const Member& b) const {
  const std::vector<uint32_t>* left = relations_.Unheard(a.id_);
  const std::vector<uint32_t>* right = relations_.Unheard(b.id_);
  if (left == nullptr || right == nullptr) return left == right;
  // Both lists are sorted: walk them side by side over the members that contributed.
  auto contributed = [this](uint32_t id) {
    const Member* member = FindMember(id);
    return member != nullptr && member->contributed_;
  };
  auto l = left->begin();
  auto r = right->begin();
  while (true) {
    while (l != left->end() && !contributed(*l)) ++l;
    while (r != right->end() && !contributed(*r)) ++r;
    if (l == left->end() || r == right->end()) return l == left->end() && r == right->end();
    if (*l != *r) return false;
    ++l;
    ++r;
  }
}

void Conference::MixRelatedListener(Member& m, const int32_t* base, bool add_noise) {
  for (Member* leader : relate_leaders_) {
    if (leader->listen_level_ == m.listen_level_ && SameUnheardThisTick(*leader, m)) {
      m.output_ = leader->private_output_.data();
      m.output_group_ = kRelateOutputGroup;
      return;
    }
  }
  RenderOutput(base, nullptr, nullptr, add_noise, m.listen_level_, m.private_output_.data());
  m.output_ = m.private_output_.data();
  m.output_group_ = kPrivateOutputGroup;
  if (relate_leaders_.size() < relate_leaders_.capacity()) relate_leaders_.push_back(&m);
}

}  // namespace confmix
