// Active talkers: with a cap of K, at most K members contribute to a tick's mix, the loudest by
// a smoothed energy level; everyone else hears the shared mix of those K. The choice has
// hysteresis so it does not flap between members of similar level: a member chosen last tick
// keeps its place until a challenger's level is kIncumbentAdvantage times its own (+6 dB), and
// levels rise at once but fall by an eighth of the gap per tick (about 160 ms at 20 ms).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix {

/** A conference's maxActiveTalkers when none is given (see README "Cost at every room size"). */
constexpr int kDefaultMaxActiveTalkers = 4;
/** Largest cap accepted; 0 means no cap. */
constexpr int kMaxActiveTalkersLimit = 64;
/** How many times louder a challenger must be to take an incumbent's place. */
constexpr int kIncumbentAdvantage = 2;

/** One member who passes the gate this tick. */
struct TalkerCandidate {
  uint32_t position = 0;    // the member's index in the conference (ties go to the lower one)
  int32_t level = 0;        // its smoothed level after this tick's score
  bool incumbent = false;   // it contributed last tick
};

/** The smoothed level after a frame scoring `score`: instant attack, a release of an eighth. */
int32_t SmoothTalkerLevel(int32_t previous, int32_t score);

/** Keeps the `max_active` best candidates at the front of `candidates` (the rest after them, in
 *  no order) and returns how many were kept. Never allocates. */
size_t SelectActiveTalkers(std::vector<TalkerCandidate>& candidates, size_t max_active);

}  // namespace confmix
