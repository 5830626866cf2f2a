#include "core/dsp/gate.h"

namespace confmix {

int HangoverFrames(int hangover_ms, int interval_ms) {
  return (hangover_ms + interval_ms - 1) / interval_ms;
}

EnergyGate::EnergyGate(int threshold, int hangover_frames)
    : threshold_(threshold), hangover_frames_(hangover_frames) {}

bool EnergyGate::Reset() {
  const bool was_talking = talking_;
  open_ = false;
  talking_ = false;
  frames_below_ = 0;
  frames_open_ = 0;
  return was_talking;
}

GateStep EnergyGate::Update(int score) {
  GateStep step;
  bool closed_now = false;
  if (score > threshold_) {
    if (!open_) {
      open_ = true;
      frames_open_ = 0;
    }
    frames_below_ = 0;
  } else if (open_) {
    if (++frames_below_ > hangover_frames_) {
      open_ = false;
      closed_now = true;
      frames_below_ = 0;
    }
  }
  if (open_) {
    if (frames_open_ < kTalkingStartFrames) ++frames_open_;
    if (!talking_ && (frames_open_ >= kTalkingStartFrames || score > threshold_ + kTalkingInstantMargin)) {
      talking_ = true;
      step.talking_started = true;
    }
  } else if (closed_now && talking_) {
    talking_ = false;
    step.talking_stopped = true;
  }
  step.mix = passes();
  return step;
}

}  // namespace confmix
