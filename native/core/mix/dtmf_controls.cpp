#include "core/mix/dtmf_controls.h"

namespace confmix {

bool IsDtmfKey(char key) { return (key >= '0' && key <= '9') || key == '*' || key == '#'; }

DtmfAction ActionForKey(char key) {
  switch (key) {
    case '1': return DtmfAction::kTalkDown;
    case '2': return DtmfAction::kTalkReset;
    case '3': return DtmfAction::kTalkUp;
    case '4': return DtmfAction::kListenDown;
    case '5': return DtmfAction::kListenReset;
    case '6': return DtmfAction::kListenUp;
    case '7': return DtmfAction::kEnergyDown;
    case '8': return DtmfAction::kEnergyReset;
    case '9': return DtmfAction::kEnergyUp;
    case '0': return DtmfAction::kToggleMute;
    case '*': return DtmfAction::kToggleDeafMute;
    case '#': return DtmfAction::kLeave;
    default: return DtmfAction::kNone;
  }
}

int ThresholdStepDown(int threshold) {
  int result = 0;
  for (int step : kThresholdSteps)
    if (step < threshold) result = step;
  return result;
}

int ThresholdStepUp(int threshold) {
  for (int step : kThresholdSteps)
    if (step > threshold) return step;
  return threshold;
}

}  // namespace confmix
