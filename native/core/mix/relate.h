// Relate: who does not hear whom, between pairs of members (FreeSWITCH's `relate`, Kazoo's
// participant relationships). Relate(a, b, kDeaf): a no longer hears b. Relate(a, b, kMute): b
// no longer hears a. Relate(a, b, kClear): both undone for that pair. Relationships add up: a
// pair may be deaf and mute at once, and each of a member's pairs counts.
//
// The table keeps, per listener, the members it must not hear, sorted by id; the mixer removes
// exactly their contributions from that listener's output. Changes are rare and off the tick path
// (they allocate); reading a listener's list during a tick does not.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace confmix {

/** Output group of a member who hears the same related mix as an earlier member with the same
 *  exclusions this tick: its frame is that member's, and so may its encode be. */
constexpr int kRelateOutputGroup = -2;

/** A relationship of one member to another. */
enum class Relationship : uint8_t {
  kClear = 0,  // undo this pair's deaf and mute
  kDeaf = 1,   // the member no longer hears the other
  kMute = 2,   // the other no longer hears the member
};

class RelateTable {
 public:
  /** Sets (or, with kClear, removes) `member`'s relationship to `other`. Allocates. */
  void Relate(uint32_t member, uint32_t other, Relationship relationship);
  /** Forgets every pair a member is part of (it left). */
  void Forget(uint32_t member);
  /** True when no pair is set. */
  bool empty() const { return unheard_.empty(); }
  /** The members `listener` must not hear, sorted by id; null when none. */
  const std::vector<uint32_t>* Unheard(uint32_t listener) const;
  /** Listeners with at least one member they must not hear. */
  size_t listeners() const { return unheard_.size(); }

 private:
  struct Pair {
    uint32_t member;
    uint32_t other;
    bool deaf;
    bool mute;
  };
  void Rebuild();
  std::vector<Pair> pairs_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> unheard_;  // listener -> sorted ids
};

}  // namespace confmix
