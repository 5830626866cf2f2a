// Load-adaptive encoder complexity ("shedding"). When the media thread runs out of time, a
// conference spends less per encode: a shed level is subtracted from each encoder's configured
// complexity (libopus at complexity 1 costs about half of complexity 5). When the thread has
// time again, quality comes back one step at a time.
//
// Policy: load above kShedAboveLoad sheds one more step, load below kRestoreBelowLoad restores
// one; in between nothing moves (hysteresis). After any change the governor holds for kHoldMs of
// ticks, so the next decision reads a load window that holds the change's effect.
#pragma once
#include <algorithm>

namespace confmix {

class ComplexityGovernor {
 public:
  /** Above this busy share the clock is near its limit (3 ms of a 20 ms tick left): shed a step
   *  before ticks run late. Below it ticks start on time (a real-time thread), so quality stays. */
  static constexpr double kShedAboveLoad = 0.85;
  /** Below this even a restored step (roughly +25% encode cost) leaves headroom under kShedAboveLoad. */
  static constexpr double kRestoreBelowLoad = 0.60;
  /** The thread's ~1 s load window plus a margin: a decision waits for a window the last change shaped. */
  static constexpr int kHoldMs = 1200;
  /** Opus complexity spans 0..10, so no encoder sheds more than this. */
  static constexpr int kMaxShed = 10;

  /** With `enabled` false the shed level stays 0 whatever the load. */
  explicit ComplexityGovernor(bool enabled = true) : enabled_(enabled) {}

  /** One tick `elapsed_ms` after the last, with the thread's load (0..1). True when shed() changed. */
  bool Update(double load, int elapsed_ms);
  /** Caps the shed level (0..kMaxShed), e.g. at the highest configured complexity: beyond it no
   *  encoder gets cheaper, and restoring would climb back through steps that change nothing. True
   *  when shed() changed. */
  bool SetMaxShed(int max_shed);

  /** The current shed level, 0..max_shed(). */
  int shed() const { return shed_; }
  /** The cap on shed(). */
  int max_shed() const { return max_shed_; }
  /** False when the conference turned shedding off. */
  bool enabled() const { return enabled_; }
  /** The complexity an encoder configured at `configured` runs at now (never below 0). */
  int EffectiveComplexity(int configured) const { return std::max(0, configured - shed_); }

 private:
  bool enabled_;
  int shed_ = 0;
  int max_shed_ = kMaxShed;
  int held_ms_ = kHoldMs;  // time since the last change, saturated at kHoldMs: the first decision is free
};

}  // namespace confmix
