// The DTMF caller controls: which key does what, and the sensitivity step table.
//
//   1 / 2 / 3   talk level down / reset to 0 / up      (clamped at -4 and +4)
//   4 / 5 / 6   listen level down / reset to 0 / up    (clamped at -4 and +4)
//   7           threshold one step DOWN the table (more sensitive); from a value between steps,
//               the next lower step; stays at 0
//   8           threshold back to the conference's
//   9           threshold one step UP the table (less sensitive); from a value between steps, the
//               next higher step; stays at 1600 (and above 1600 there is no higher step: unchanged)
//   0           toggle mute
//   *           toggle deaf and mute together: a deaf member gets both cleared, anyone else gets
//               both set (so the key always leaves deaf == mute)
//   #           raises a "leave" event only; removing the member is the caller's decision
// In passthru mode no key acts; each is only reported.
#pragma once
#include <cstddef>

#include "core/mix/events.h"

namespace confmix {

/** Whether DTMF keys act (interpret_digits) or are only reported (passthru_digits). */
enum class DigitsMode : uint8_t { kInterpret = 0, kPassthru = 1 };

/** The sensitivity steps keys 7 and 9 move along. */
constexpr int kThresholdSteps[] = {0, 25, 50, 100, 200, 400, 800, 1600};

/** True for '0'-'9', '*' and '#'. */
bool IsDtmfKey(char key);

/** The action a key has in interpret mode (kNone for a non-key). */
DtmfAction ActionForKey(char key);

/** Key 7: the highest step below `threshold` (0 stays 0). */
int ThresholdStepDown(int threshold);

/** Key 9: the lowest step above `threshold` (1600 and above stay as they are). */
int ThresholdStepUp(int threshold);

}  // namespace confmix
