// One member of a conference: its settings, gate, and the input and output frames of a tick.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/dsp/gain.h"
#include "core/dsp/gate.h"

namespace confmix {

/** Output group of a member whose output is its own (it contributed, so it hears N-1, or a
 *  playback went to it alone this tick). */
constexpr int kPrivateOutputGroup = -1;
/** Output group of members who hear nothing (deaf or held): a frame of exact zeros. */
constexpr int kSilenceOutputGroup = 9;
/** Output group shared by hearing members who contributed nothing, one per listen level (0..8). */
constexpr int ListenOutputGroup(int listen_level) { return listen_level - kMinVolumeLevel; }
/** Number of output groups a conference keeps frames for (listen groups 0..8 and silence). */
constexpr int kOutputGroupCount = 10;

/** Settings to change; a field left empty keeps its value. */
struct MemberUpdate {
  std::optional<bool> mute;          // nothing from the member enters the mix
  std::optional<bool> deaf;          // the member hears nothing
  std::optional<bool> hold;          // mute and deaf both (hold music is a later stage's)
  std::optional<int> talk_level;     // -4..+4
  std::optional<int> listen_level;   // -4..+4
  std::optional<int> energy_level;   // gate threshold 0..32767; 0 turns the gate off
  std::optional<bool> trunk;         // set at add only: a cascade trunk (see Member::trunk())
};

/** A member's settings and what the last mix did with it. */
struct MemberState {
  uint32_t id = 0;
  bool mute = false;
  bool deaf = false;
  bool hold = false;
  int talk_level = 0;
  int listen_level = 0;
  int energy_level = 0;      // gate threshold
  int energy = 0;            // score of its last frame (0 when it had none)
  bool gate_open = false;    // the detector's gate is open
  bool talking = false;      // between talking start and stop
  bool contributed = false;  // its last frame went into the mix
  int playbacks = 0;         // playbacks now playing to this member alone
  int output_group = kSilenceOutputGroup;  // see kPrivateOutputGroup and friends
};

/** One member's state and buffers. Created and driven by Conference; callers fill its input and
 *  read its output through the accessors (a decoder may write input_frame() directly). */
class Member {
 public:
  /** A member with buffers for `frame_samples` samples, allocated here once. */
  Member(uint32_t id, size_t frame_samples, int energy_threshold, int hangover_frames);

  /** The caller's id for this member. */
  uint32_t id() const { return id_; }
  /** Samples in each of its frames. */
  size_t frame_samples() const { return input_.size(); }
  /** True when muted. */
  bool mute() const { return mute_; }
  /** True when deaf. */
  bool deaf() const { return deaf_; }
  /** True when held. */
  bool hold() const { return hold_; }
  /** Talk level -4..+4. */
  int talk_level() const { return talk_level_; }
  /** Listen level -4..+4. */
  int listen_level() const { return listen_level_; }
  /** Gate threshold 0..32767. */
  int energy_level() const { return gate_.threshold(); }
  /** A cascade trunk: another server's sum comes in and its N-1 goes out. Its frame is never gated
   *  and always contributes (no active-talker cap), and its output never gets comfort noise, so
   *  the far side adds its own exactly once. */
  bool trunk() const { return trunk_; }

  /** The input frame to fill for the next mix (frame_samples() int16 mono samples at the conference rate). */
  int16_t* input_frame() { return input_.data(); }
  /** Marks input_frame() as holding this tick's frame. */
  void CommitInput() { has_input_ = true; }
  /** True when a frame is waiting for the next mix. */
  bool has_input() const { return has_input_; }

  /** The frame this member hears from the last mix (its own, its group's, or silence). */
  const int16_t* output_frame() const { return output_; }
  /** Which output it got: kPrivateOutputGroup, ListenOutputGroup(level) or kSilenceOutputGroup. */
  int output_group() const { return output_group_; }
  /** What it added to the last mix, after talk gain (valid when contributed()). */
  const int32_t* contribution() const { return contribution_.data(); }
  /** True when its last frame went into the mix. */
  bool contributed() const { return contributed_; }
  /** Playbacks now playing to this member alone. */
  int playbacks() const { return playbacks_; }
  /** Energy score of its last frame. */
  int energy() const { return energy_; }
  /** True between talking start and stop. */
  bool talking() const { return gate_.talking(); }
  /** True when its next frame would be mixed on energy alone: gate off, or open. */
  bool gate_passes() const { return gate_.passes(); }
  /** True when the last frame it had scored well under what it takes to be heard: under half
   *  the gate's threshold with the gate closed, or under a quarter of the weakest active
   *  talker's level while the active-talker cap kept it out. */
  bool quiet() const { return quiet_; }
  /** A snapshot of settings and last-mix results. */
  MemberState State() const;

 private:
  friend class Conference;

  uint32_t id_;
  bool mute_ = false;
  bool deaf_ = false;
  bool hold_ = false;
  bool trunk_ = false;
  int talk_level_ = 0;
  int listen_level_ = 0;
  EnergyGate gate_;
  bool has_input_ = false;
  bool contributed_ = false;
  int energy_ = 0;
  bool quiet_ = false;
  int32_t talker_level_ = 0;   // smoothed energy that ranks it among the active talkers
  int playbacks_ = 0;          // private playbacks playing to it
  bool has_playback_ = false;  // playback_mix_ holds this tick's private playback (set and used in one Mix)
  const int16_t* output_ = nullptr;
  int output_group_ = kSilenceOutputGroup;
  std::vector<int16_t> input_;
  std::vector<int32_t> contribution_;
  std::vector<int16_t> private_output_;
  std::vector<int32_t> playback_mix_;  // sum of its private playbacks; sized on its first playback
};

}  // namespace confmix
