// A conference: its members, one tick of mixing, the DTMF controls and the event ring.
//
// One tick, run by the caller as  fill inputs -> Mix() -> read outputs:
//   fill:  PushFrame(id, pcm) or write Member::input_frame() and CommitInput(); a member with no
//          frame this tick is silence (contributes nothing; its gate sees a score of 0).
//   Mix(): for every member, score -> gate -> talk gain -> int32 sum (when the frame is mixed and
//          neither the member nor the conference is muted or held); conference-wide playbacks are
//          added to the sum too (a contributor nobody hears back); then, for every member who
//          hears, sum minus its own contribution -> listen gain -> comfort noise when nobody else
//          contributed -> soft limiter -> int16. Members who contributed nothing share one output
//          per listen level (a listen group); deaf and held members point at a frame of zeros.
//          A playback to one member is added to that member's output alone, even when it is deaf
//          or held (hold music), so it gets a private output that tick.
//   read:  OutputFrame(id) / Member::output_frame(), valid until the next Mix().
// With max_active_talkers K, at most K of the members whose gate passes contribute (the loudest,
// with hysteresis: see active_talkers.h); the others hear the shared mix, as listeners do.
// Idle: with fewer than two members who hear or speak (by their own flags; a held conference
// has none) and no playback, nobody can hear anybody. Mix() then scores, gains and sums nothing:
// the one hearing member, if any, gets comfort noise (or zeros), the rest zeros, and a gate left
// open closes (a talking member gets talking-stop with energy 0).
// Mix() never allocates: every buffer is sized when the conference, a member or a playback is
// created, and PCM of finished playbacks is let go in ReleaseFinishedPlaybacks(), not in Mix().
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/dsp/comfort_noise.h"
#include "core/mix/active_talkers.h"
#include "core/mix/dtmf_controls.h"
#include "core/mix/events.h"
#include "core/mix/member.h"
#include "core/mix/playback.h"
#include "core/status.h"
#include "core/mix/relate.h"

namespace confmix {

/** Default gate hangover, ms. */
constexpr int kDefaultHangoverMs = 500;
/** Longest gate hangover accepted, ms. */
constexpr int kMaxHangoverMs = 60000;
/** Most members one conference holds: 16000 at full scale and +4 talk gain still fit the int32 sum. */
constexpr size_t kMaxMembers = 16000;

/** How a conference is built. */
struct ConferenceOptions {
  int rate = 16000;                                    // 8000, 16000, 24000, 32000 or 48000 Hz
  int interval_ms = 20;                                // 10, 20, 40 or 60
  int energy_threshold = kDefaultEnergyThreshold;      // members' default gate threshold, 0..32767
  int hangover_ms = kDefaultHangoverMs;                // 0..kMaxHangoverMs
  std::optional<double> comfort_noise_dbfs = kDefaultComfortNoiseDbfs;  // empty: off
  DigitsMode digits = DigitsMode::kInterpret;
  int max_active_talkers = kDefaultMaxActiveTalkers;   // most contributors a tick, 0..64; 0: no cap
};

class Conference {
 public:
  /** Checks options without building anything. */
  static Status Validate(const ConferenceOptions& options);
  /** Checks a member update's values without applying it. */
  static Status ValidateUpdate(const MemberUpdate& update);
  /** Builds a conference, or returns null and sets `status`. */
  static std::unique_ptr<Conference> Create(const ConferenceOptions& options, Status* status);

  /** Sample rate, Hz. */
  int rate() const { return options_.rate; }
  /** Tick interval, ms. */
  int interval_ms() const { return options_.interval_ms; }
  /** Samples per frame. */
  size_t frame_samples() const { return frame_samples_; }
  /** The options it was built with. */
  const ConferenceOptions& options() const { return options_; }
  /** Gate hangover in frames (see gate.h for the rounding). */
  int hangover_frames() const { return hangover_frames_; }
  /** Members now in the conference. */
  size_t member_count() const { return members_.size(); }
  /** Mixes done so far. */
  uint64_t tick_count() const { return tick_count_; }
  /** True when the next Mix() does no mixing work (see Idle at the top of this file). */
  bool idle() const {
    return active_playbacks_ == 0 && (held_ || engaged_members_ + (record_listener_ ? 1 : 0) < 2);
  }
  /** Members the last Mix() scored, gated and summed (0 when it was idle). */
  size_t mixed_members() const { return mixed_members_; }
  /** Members whose gate passed in the last Mix() but who were not among its active talkers. */
  size_t capped_talkers() const { return capped_talkers_; }
  /** Output frames the last Mix() computed (private N-1 frames, listen groups, comfort noise). */
  size_t rendered_outputs() const { return rendered_outputs_; }
  /** Playbacks now playing (not finished or stopped). */
  size_t playback_count() const { return active_playbacks_; }

  /** Adds a member with a caller-chosen id and initial settings (unset ones default: not muted,
   *  levels 0, the conference's threshold). Allocates all its buffers. Fails on a duplicate id. */
  Status AddMember(uint32_t id, const MemberUpdate& initial = {});
  /** Removes a member; its private playbacks stop with kPlaybackDone (member-left). */
  Status RemoveMember(uint32_t id);
  /** Changes some of a member's settings; raises a kChanged event per value that changed. */
  Status UpdateMember(uint32_t id, const MemberUpdate& update);
  /** Snapshot of a member. */
  Status GetMember(uint32_t id, MemberState* state) const;
  /** The member, or null. Stays valid until it is removed. */
  Member* FindMember(uint32_t id);
  /** The member, or null. */
  const Member* FindMember(uint32_t id) const;

  /** Conference-wide mute: nobody enters the mix. */
  void SetMute(bool mute) { muted_ = mute; }
  /** Conference-wide hold: nobody enters the mix and everybody hears zeros. */
  void SetHold(bool hold) { held_ = hold; }
  /** True when muted conference-wide. */
  bool muted() const { return muted_; }
  /** True when held conference-wide. */
  bool held() const { return held_; }

  /** Queues a member's frame for the next mix (copied). Must be frame_samples() long; one per tick. */
  Status PushFrame(uint32_t id, const int16_t* pcm, size_t samples);
  /** Relates two members (see relate.h): each member's output then excludes exactly the
   *  contributions of the members it must not hear. Fails on an unknown member or id == other. */
  Status Relate(uint32_t id, uint32_t other, Relationship relationship);
  /** The members `id` must not hear (sorted ids), or null when it hears everybody. */
  const std::vector<uint32_t>* Unheard(uint32_t id) const { return relations_.Unheard(id); }
  /** A DTMF key from a member: acts on it (interpret mode) and raises events. */
  Status PressKey(uint32_t id, char key);

  /** Starts playing `pcm` (mono at the conference rate, shared, never copied) from the next mix:
   *  to the whole conference, or to `target_member` alone. Allocates. Fails on a duplicate
   *  playback id, an unknown member, empty PCM or too many playbacks. */
  Status StartPlayback(uint32_t playback_id, std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
                       std::optional<uint32_t> target_member);
  /** Stops a playing playback at once and raises kPlaybackDone (stopped). */
  Status StopPlayback(uint32_t playback_id);
  /** Lets go of the PCM of playbacks that finished in Mix() (may free it): call off the tick path. */
  void ReleaseFinishedPlaybacks();

  /** While on, each Mix() also renders what a listener hearing every member at listen level 0
   *  hears (a recording of the conference: ListenerFrame()); that listener counts as engaged. */
  void set_record_listener(bool on) { record_listener_ = on; }
  /** The recording listener's frame of the last mix (zeros while it is off). */
  const int16_t* ListenerFrame() const { return listener_frame_; }

  /** Mixes one tick from the queued inputs (see the top of this file). Never allocates. */
  void Mix();

  /** The member's output of the last mix (zeros before its first), or null for an unknown id. */
  const int16_t* OutputFrame(uint32_t id) const;
  /** A group's frame of the last mix (0..8 listen groups, kSilenceOutputGroup), or null. A listen
   *  group's frame is only current when some member was in that group last mix. */
  const int16_t* GroupFrame(int group) const;

  /** Takes the oldest event; false when none. */
  bool PopEvent(MixerEvent* event) { return events_.Pop(event); }
  /** Events waiting. */
  size_t pending_events() const { return events_.size(); }
  /** Events lost because nobody drained the ring. */
  uint64_t dropped_events() const { return events_.dropped(); }

 private:
  explicit Conference(const ConferenceOptions& options);
  void ApplyUpdate(Member& member, const MemberUpdate& update, bool raise_events);
  void RaiseChanged(const Member& member, MemberField field, int32_t value);
  void RaiseEvent(MixerEvent event);
  // A playback and, when it has one, its target member (valid: removing a member stops its playbacks).
  struct PlaybackSlot {
    Playback playback;
    Member* target;
  };

  // Renders base - own (+ extra) with listen gain, comfort noise when `add_noise`, limiter; own and
  // extra may be null.
  void RenderOutput(const int32_t* base, const int32_t* own, const int32_t* extra, bool add_noise,
                    int listen_level, int16_t* out);
  // The sum without the contributions of the members `m` must not hear this tick (sum_ itself when
  // none of them contributed); `unheard` gets how many did.
  const int32_t* RelateBase(const Member& m, size_t* unheard);
  // True when `a` and `b` must not hear the same contributors of this tick.
  bool SameUnheardThisTick(const Member& a, const Member& b) const;
  // Output of a related listener who contributed nothing: shared with an earlier one that must not
  // hear the same contributors at the same listen level, else rendered privately from `base`.
  void MixRelatedListener(Member& m, const int32_t* base, bool add_noise);
  // Mix() for an idle conference: no member is scored, gained or summed.
  void MixIdle();
  // An idle tick's frame of a listen group: comfort noise or zeros.
  int16_t* IdleGroupFrame(int group);
  // Adds every playing playback's next frame to the sum or its target's playback mix; returns
  // true when a conference-wide one played.
  bool MixPlaybacks();
  // Removes slot `index` (not on the tick path) and raises kPlaybackDone with `reason`.
  void EndPlayback(size_t index, PlaybackEndReason reason);
  void RaisePlaybackDone(const Playback& playback, PlaybackEndReason reason);
  // True when a member with these flags hears or speaks by its own flags.
  static bool Engaged(const Member& member) { return !member.hold_ && (!member.deaf_ || !member.mute_); }

  ConferenceOptions options_;
  size_t frame_samples_;
  int hangover_frames_;
  bool muted_ = false;
  bool held_ = false;
  bool record_listener_ = false;
  const int16_t* listener_frame_ = nullptr;      // points into group_frames_
  uint64_t tick_count_ = 0;
  size_t engaged_members_ = 0;                   // members for whom Engaged() holds
  size_t mixed_members_ = 0;
  size_t capped_talkers_ = 0;
  std::vector<TalkerCandidate> candidates_;      // this tick's would-be contributors (capacity: members)
  size_t rendered_outputs_ = 0;
  std::vector<PlaybackSlot> playbacks_;          // playing ones, and finished ones until released
  size_t active_playbacks_ = 0;                  // playing, conference-wide and private
  size_t active_conference_playbacks_ = 0;       // playing conference-wide
  std::vector<std::unique_ptr<Member>> members_;
  std::unordered_map<uint32_t, size_t> index_;  // id -> position in members_
  std::optional<ComfortNoise> comfort_noise_;
  bool noise_ready_ = false;                     // noise_ holds this tick's noise
  std::vector<int32_t> sum_;
  std::vector<float> scratch_;
  std::vector<float> noise_;
  std::vector<int16_t> group_frames_;            // kOutputGroupCount frames back to back
  EventRing events_;
  RelateTable relations_;
  std::vector<int32_t> relate_base_;     // sum minus one listener's unheard contributors
  std::vector<Member*> relate_leaders_;  // this tick's related listeners with their own frame
};

}  // namespace confmix
