// Events the conference raises, kept as plain data in a preallocated ring and drained once per tick.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix {

/** What happened. New kinds (leg timeout, ...) are appended; values never change. */
enum class EventType : uint8_t {
  kTalkingStart = 0,  // member, energy
  kTalkingStop = 1,   // member, energy
  kDtmf = 2,          // member, key, action
  kChanged = 3,       // member, field, value
  kLeave = 4,         // member
  kPlaybackDone = 5,  // playback, member (when targeted), reason
};

/** What a DTMF key did (kNone: passthru, or the key has no action). */
enum class DtmfAction : uint8_t {
  kNone = 0,
  kTalkDown,
  kTalkReset,
  kTalkUp,
  kListenDown,
  kListenReset,
  kListenUp,
  kEnergyDown,   // threshold one step down: more sensitive
  kEnergyReset,  // threshold back to the conference's
  kEnergyUp,     // threshold one step up: less sensitive
  kToggleMute,
  kToggleDeafMute,
  kLeave,
};

/** Why a playback ended. */
enum class PlaybackEndReason : uint8_t {
  kFinished = 0,    // it played its last sample
  kStopped = 1,     // StopPlayback()
  kMemberLeft = 2,  // its target member was removed
};

/** A member setting that changed. */
enum class MemberField : uint8_t { kMute = 0, kDeaf, kHold, kTalkLevel, kListenLevel, kEnergyLevel };

/** One event. Fields a kind does not use are zero. */
struct MixerEvent {
  EventType type = EventType::kTalkingStart;
  DtmfAction action = DtmfAction::kNone;  // kDtmf
  MemberField field = MemberField::kMute; // kChanged
  char key = 0;                           // kDtmf: '0'-'9', '*' or '#'
  PlaybackEndReason reason = PlaybackEndReason::kFinished;  // kPlaybackDone
  bool targeted = false;                  // kPlaybackDone: it played to `member` only
  uint32_t member = 0;                    // the member's id (kPlaybackDone: its target when targeted)
  uint32_t playback = 0;                  // kPlaybackDone: the playback's id
  int32_t energy = 0;                     // kTalkingStart/kTalkingStop: the frame's energy score
  int32_t value = 0;                      // kChanged: the new value (flags are 0 or 1)
  uint64_t tick = 0;                      // the tick it belongs to: mixes done before it (0-based)
};

/** Name of an event type ("talking-start", ...). */
const char* EventTypeName(EventType type);
/** Name of a DTMF action ("talk-down", ..., "none"). */
const char* DtmfActionName(DtmfAction action);
/** Name of a member field ("mute", "talkLevel", ...). */
const char* MemberFieldName(MemberField field);
/** Name of a playback end reason ("finished", "stopped", "member-left"). */
const char* PlaybackEndReasonName(PlaybackEndReason reason);
/** True for fields whose value is a flag (0 or 1). */
bool IsFlagField(MemberField field);

/** A fixed-capacity FIFO of events. Push never allocates; when full the new event is dropped
 *  and counted, so a caller that forgets to drain loses events rather than memory. */
class EventRing {
 public:
  /** Grows the capacity to at least `capacity`, keeping queued events (allocates: not on a tick). */
  void Reserve(size_t capacity);
  /** Queues an event; returns false (and counts a drop) when full. */
  bool Push(const MixerEvent& event);
  /** Takes the oldest event; returns false when empty. */
  bool Pop(MixerEvent* event);
  /** Events queued. */
  size_t size() const { return size_; }
  /** Slots allocated. */
  size_t capacity() const { return slots_.size(); }
  /** Events dropped because the ring was full, since creation. */
  uint64_t dropped() const { return dropped_; }

 private:
  std::vector<MixerEvent> slots_;
  size_t head_ = 0;  // oldest
  size_t size_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace confmix
