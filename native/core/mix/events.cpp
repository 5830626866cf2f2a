#include "core/mix/events.h"

namespace confmix {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kTalkingStart: return "talking-start";
    case EventType::kTalkingStop: return "talking-stop";
    case EventType::kDtmf: return "dtmf";
    case EventType::kChanged: return "changed";
    case EventType::kLeave: return "leave";
    case EventType::kPlaybackDone: return "playback-done";
  }
  return "unknown";
}

const char* DtmfActionName(DtmfAction action) {
  switch (action) {
    case DtmfAction::kNone: return "none";
    case DtmfAction::kTalkDown: return "talk-down";
    case DtmfAction::kTalkReset: return "talk-reset";
    case DtmfAction::kTalkUp: return "talk-up";
    case DtmfAction::kListenDown: return "listen-down";
    case DtmfAction::kListenReset: return "listen-reset";
    case DtmfAction::kListenUp: return "listen-up";
    case DtmfAction::kEnergyDown: return "energy-down";
    case DtmfAction::kEnergyReset: return "energy-reset";
    case DtmfAction::kEnergyUp: return "energy-up";
    case DtmfAction::kToggleMute: return "toggle-mute";
    case DtmfAction::kToggleDeafMute: return "toggle-deaf-mute";
    case DtmfAction::kLeave: return "leave";
  }
  return "none";
}

const char* MemberFieldName(MemberField field) {
  switch (field) {
    case MemberField::kMute: return "mute";
    case MemberField::kDeaf: return "deaf";
    case MemberField::kHold: return "hold";
    case MemberField::kTalkLevel: return "talkLevel";
    case MemberField::kListenLevel: return "listenLevel";
    case MemberField::kEnergyLevel: return "energyLevel";
  }
  return "unknown";
}

const char* PlaybackEndReasonName(PlaybackEndReason reason) {
  switch (reason) {
    case PlaybackEndReason::kFinished: return "finished";
    case PlaybackEndReason::kStopped: return "stopped";
    case PlaybackEndReason::kMemberLeft: return "member-left";
  }
  return "unknown";
}

bool IsFlagField(MemberField field) {
  return field == MemberField::kMute || field == MemberField::kDeaf || field == MemberField::kHold;
}

void EventRing::Reserve(size_t capacity) {
  if (capacity <= slots_.size()) return;
  std::vector<MixerEvent> grown(capacity);
  for (size_t i = 0; i < size_; ++i) grown[i] = slots_[(head_ + i) % slots_.size()];
  slots_.swap(grown);
  head_ = 0;
}

bool EventRing::Push(const MixerEvent& event) {
  if (size_ == slots_.size()) {
    ++dropped_;
    return false;
  }
  slots_[(head_ + size_) % slots_.size()] = event;
  ++size_;
  return true;
}

bool EventRing::Pop(MixerEvent* event) {
  if (size_ == 0) return false;
  *event = slots_[head_];
  head_ = (head_ + 1) % slots_.size();
  --size_;
  return true;
}

}  // namespace confmix
