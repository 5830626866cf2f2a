// The energy gate and the talking detector that rides on it.
//
// Rules, one frame (tick) at a time, `score` being the frame's energy score (0 for a missing frame):
//  - A frame is "above" when score > threshold. The gate opens on the first frame above.
//  - While open, a frame above resets the hangover count; a frame below adds one to it. With
//    hangover H frames the gate stays open through H frames below and closes on the (H+1)th,
//    which is not mixed. 500 ms at 20 ms is H = 25: the 25 frames below after the last frame
//    above are still mixed and the 26th is not.
//  - H = ceil(hangover_ms / interval_ms): a hangover that is not a multiple of the interval is
//    rounded up (never cut short), e.g. 30 ms at 20 ms is 2 frames. 0 ms closes on the first frame below.
//  - Threshold 0 turns gating off: every frame is mixed. The detector still runs, on score > 0,
//    so digital silence never counts as talking.
//  - Talking starts on the frame the gate has been open 3 consecutive frames (counting the
//    opening frame and hangover frames), or at once on a frame scoring > threshold + 400.
//    Talking stops on the frame the gate closes. At most one start per open period.
#pragma once

namespace confmix {

/** Default threshold: frames scoring over 100 open the gate. */
constexpr int kDefaultEnergyThreshold = 100;
/** Frames the gate must have been open before talking starts. */
constexpr int kTalkingStartFrames = 3;
/** A frame scoring this much over the threshold starts talking at once. */
constexpr int kTalkingInstantMargin = 400;

/** Hangover in whole frames: ceil(hangover_ms / interval_ms). Both must be >= 0 and interval > 0. */
int HangoverFrames(int hangover_ms, int interval_ms);

/** What one frame did to the gate. */
struct GateStep {
  bool mix = false;              // the frame passes into the mix
  bool talking_started = false;  // talking starts on this frame
  bool talking_stopped = false;  // talking stops on this frame
};

/** An energy gate with hangover and talking detection, advanced once per frame. */
class EnergyGate {
 public:
  /** A closed gate with `threshold` (0..32767) and `hangover_frames` (>= 0). */
  EnergyGate(int threshold, int hangover_frames);
  /** Advances one frame with that frame's energy score. */
  GateStep Update(int score);
  /** Closes the gate and clears its counts; returns true when talking was on (it stops now). */
  bool Reset();
  /** Changes the threshold from the next frame on; the gate keeps its state. */
  void set_threshold(int threshold) { threshold_ = threshold; }
  /** Current threshold; 0 means gating is off. */
  int threshold() const { return threshold_; }
  /** Hangover in frames. */
  int hangover_frames() const { return hangover_frames_; }
  /** True while the detector's gate is open (the frame above and its hangover). */
  bool open() const { return open_; }
  /** True between a talking start and its stop. */
  bool talking() const { return talking_; }
  /** True when a frame would be mixed now: gating off, or the gate open. */
  bool passes() const { return threshold_ == 0 || open_; }

 private:
  int threshold_;
  int hangover_frames_;
  bool open_ = false;
  bool talking_ = false;
  int frames_below_ = 0;  // consecutive frames below since the last frame above
  int frames_open_ = 0;   // consecutive frames open, capped (only compared with 3)
};

}  // namespace confmix
