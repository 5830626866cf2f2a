#include "core/mix/conference.h"

#include <algorithm>
#include <cstdint>

#include "core/dsp/energy.h"
#include "core/dsp/limiter.h"
#include "core/frame.h"

namespace confmix {

namespace {

Status Ok() { return Status::Ok(); }
Status Error(StatusCode code, const char* message) { return Status::Error(code, message); }

// Room for a talking event per member per tick plus plenty of key presses between drains, and a
// done event per playback.
size_t EventCapacityFor(size_t members, size_t playbacks) { return 256 + 4 * members + playbacks; }

}  // namespace

Status Conference::Validate(const ConferenceOptions& o) {
  if (!IsSupportedRate(o.rate))
    return Error(StatusCode::kInvalidArgument, "rate must be 8000, 16000, 24000, 32000 or 48000");
  if (!IsSupportedIntervalMs(o.interval_ms))
    return Error(StatusCode::kInvalidArgument, "interval must be 10, 20, 40 or 60 ms");
  if (o.energy_threshold < 0 || o.energy_threshold > kMaxEnergyScore)
    return Error(StatusCode::kInvalidArgument, "energy level must be an integer in 0..32767");
  if (o.hangover_ms < 0 || o.hangover_ms > kMaxHangoverMs)
    return Error(StatusCode::kInvalidArgument, "hangover must be 0..60000 ms");
  if (o.comfort_noise_dbfs && !IsValidComfortNoiseDbfs(*o.comfort_noise_dbfs))
    return Error(StatusCode::kInvalidArgument, "comfort noise must be -100..0 dBFS, or off");
  if (o.max_active_talkers < 0 || o.max_active_talkers > kMaxActiveTalkersLimit)
    return Error(StatusCode::kInvalidArgument, "max active talkers must be an integer in 0..64");
  if (o.digits != DigitsMode::kInterpret && o.digits != DigitsMode::kPassthru)
    return Error(StatusCode::kInvalidArgument, "digits must be interpret or passthru");
  return Ok();
}

std::unique_ptr<Conference> Conference::Create(const ConferenceOptions& options, Status* status) {
  *status = Validate(options);
  if (!status->ok()) return nullptr;
  return std::unique_ptr<Conference>(new Conference(options));
}

Conference::Conference(const ConferenceOptions& options)
    : options_(options),
      frame_samples_(FrameSamples(options.rate, options.interval_ms)),
      hangover_frames_(HangoverFrames(options.hangover_ms, options.interval_ms)),
      sum_(frame_samples_, 0),
      scratch_(frame_samples_, 0.0f),
      noise_(frame_samples_, 0.0f),
      group_frames_(frame_samples_ * kOutputGroupCount, 0) {
  if (options.comfort_noise_dbfs) comfort_noise_.emplace(*options.comfort_noise_dbfs);
  events_.Reserve(EventCapacityFor(0, 0));
  relate_base_.assign(frame_samples_, 0);
  listener_frame_ = &group_frames_[frame_samples_ * kSilenceOutputGroup];
}

Member* Conference::FindMember(uint32_t id) {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : members_[it->second].get();
}

const Member* Conference::FindMember(uint32_t id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : members_[it->second].get();
}

Status Conference::ValidateUpdate(const MemberUpdate& u) {
  if (u.talk_level && !IsValidVolumeLevel(*u.talk_level))
    return Error(StatusCode::kInvalidArgument, "talk level must be an integer in -4..4");
  if (u.listen_level && !IsValidVolumeLevel(*u.listen_level))
    return Error(StatusCode::kInvalidArgument, "listen level must be an integer in -4..4");
  if (u.energy_level && (*u.energy_level < 0 || *u.energy_level > kMaxEnergyScore))
    return Error(StatusCode::kInvalidArgument, "energy level must be an integer in 0..32767");
  return Ok();
}

Status Conference::AddMember(uint32_t id, const MemberUpdate& initial) {
  if (index_.count(id) != 0) return Error(StatusCode::kInvalidState, "member already in the conference");
  if (members_.size() >= kMaxMembers) return Error(StatusCode::kInvalidState, "conference is full");
  const Status valid = ValidateUpdate(initial);
  if (!valid.ok()) return valid;
  auto member = std::make_unique<Member>(id, frame_samples_, options_.energy_threshold, hangover_frames_);
  if (initial.trunk.value_or(false)) {
    member->trunk_ = true;
    member->gate_.set_threshold(0);
  }
  member->output_ = &group_frames_[frame_samples_ * kSilenceOutputGroup];
  engaged_members_ += Engaged(*member) ? 1 : 0;  // ApplyUpdate keeps the count from here
  ApplyUpdate(*member, initial, /*raise_events=*/false);
  events_.Reserve(EventCapacityFor(members_.size() + 1, playbacks_.size()));
  members_.reserve(members_.size() + 1);
  candidates_.reserve(members_.size() + 1);
  index_.emplace(id, members_.size());
  members_.push_back(std::move(member));
  return Ok();
}

Status Conference::RemoveMember(uint32_t id) {
  const auto it = index_.find(id);
  if (it == index_.end()) return Error(StatusCode::kNotFound, "no such member");
  const size_t position = it->second;
  const Member* leaving = members_[position].get();
  // Its private playbacks go with it (backwards: EndPlayback erases the slot).
  for (size_t i = playbacks_.size(); i-- > 0;)
    if (playbacks_[i].target == leaving) EndPlayback(i, PlaybackEndReason::kMemberLeft);
  ReleaseFinishedPlaybacks();
  engaged_members_ -= Engaged(*leaving) ? 1 : 0;
  relations_.Forget(id);
  index_.erase(it);
  // Swap-remove keeps members_ dense; the moved member's index follows it.
  if (position + 1 != members_.size()) {
    members_[position] = std::move(members_.back());
    index_[members_[position]->id()] = position;
  }
  members_.pop_back();
  return Ok();
}

Status Conference::UpdateMember(uint32_t id, const MemberUpdate& update) {
  Member* member = FindMember(id);
  if (member == nullptr) return Error(StatusCode::kNotFound, "no such member");
  if (update.trunk.value_or(false)) return Error(StatusCode::kInvalidArgument, "trunk is set when a member is added");
  const Status valid = ValidateUpdate(update);
  if (!valid.ok()) return valid;
  ApplyUpdate(*member, update, /*raise_events=*/true);
  return Ok();
}

Status Conference::GetMember(uint32_t id, MemberState* state) const {
  const Member* member = FindMember(id);
  if (member == nullptr) return Error(StatusCode::kNotFound, "no such member");
  *state = member->State();
  return Ok();
}

void Conference::ApplyUpdate(Member& m, const MemberUpdate& u, bool raise_events) {
  engaged_members_ -= Engaged(m) ? 1 : 0;
  auto set_flag = [&](bool& slot, const std::optional<bool>& value, MemberField field) {
    if (!value || *value == slot) return;
    slot = *value;
    if (raise_events) RaiseChanged(m, field, slot ? 1 : 0);
  };
  auto set_level = [&](int& slot, const std::optional<int>& value, MemberField field) {
    if (!value || *value == slot) return;
    slot = *value;
    if (raise_events) RaiseChanged(m, field, slot);
  };
  set_flag(m.mute_, u.mute, MemberField::kMute);
  set_flag(m.deaf_, u.deaf, MemberField::kDeaf);
  set_flag(m.hold_, u.hold, MemberField::kHold);
  set_level(m.talk_level_, u.talk_level, MemberField::kTalkLevel);
  set_level(m.listen_level_, u.listen_level, MemberField::kListenLevel);
  if (u.energy_level && *u.energy_level != m.gate_.threshold()) {
    m.gate_.set_threshold(*u.energy_level);
    if (raise_events) RaiseChanged(m, MemberField::kEnergyLevel, *u.energy_level);
  }
  engaged_members_ += Engaged(m) ? 1 : 0;
}

void Conference::RaiseEvent(MixerEvent event) {
  event.tick = tick_count_;
  events_.Push(event);
}

void Conference::RaiseChanged(const Member& member, MemberField field, int32_t value) {
  MixerEvent e;
  e.type = EventType::kChanged;
  e.member = member.id();
  e.field = field;
  e.value = value;
  RaiseEvent(e);
}

Status Conference::PushFrame(uint32_t id, const int16_t* pcm, size_t samples) {
  Member* member = FindMember(id);
  if (member == nullptr) return Error(StatusCode::kNotFound, "no such member");
  if (samples != frame_samples_ || pcm == nullptr)
    return Error(StatusCode::kInvalidArgument, "frame must hold exactly one interval of samples");
  if (member->has_input_) return Error(StatusCode::kInvalidState, "a frame is already queued for this tick");
  std::copy(pcm, pcm + samples, member->input_.begin());
  member->has_input_ = true;
  return Ok();
}

Status Conference::PressKey(uint32_t id, char key) {
  Member* found = FindMember(id);
  if (found == nullptr) return Error(StatusCode::kNotFound, "no such member");
  if (!IsDtmfKey(key)) return Error(StatusCode::kInvalidArgument, "key must be one of 0-9, * or #");
  Member& m = *found;
  const DtmfAction action =
      options_.digits == DigitsMode::kInterpret ? ActionForKey(key) : DtmfAction::kNone;

  MixerEvent dtmf;
  dtmf.type = EventType::kDtmf;
  dtmf.member = id;
  dtmf.key = key;
  dtmf.action = action;
  RaiseEvent(dtmf);

  MemberUpdate u;
  switch (action) {
    case DtmfAction::kNone: break;
    case DtmfAction::kTalkDown: u.talk_level = std::max(m.talk_level_ - 1, kMinVolumeLevel); break;
    case DtmfAction::kTalkReset: u.talk_level = 0; break;
    case DtmfAction::kTalkUp: u.talk_level = std::min(m.talk_level_ + 1, kMaxVolumeLevel); break;
    case DtmfAction::kListenDown: u.listen_level = std::max(m.listen_level_ - 1, kMinVolumeLevel); break;
    case DtmfAction::kListenReset: u.listen_level = 0; break;
    case DtmfAction::kListenUp: u.listen_level = std::min(m.listen_level_ + 1, kMaxVolumeLevel); break;
    case DtmfAction::kEnergyDown: u.energy_level = ThresholdStepDown(m.gate_.threshold()); break;
    case DtmfAction::kEnergyReset: u.energy_level = options_.energy_threshold; break;
    case DtmfAction::kEnergyUp: u.energy_level = ThresholdStepUp(m.gate_.threshold()); break;
    case DtmfAction::kToggleMute: u.mute = !m.mute_; break;
    case DtmfAction::kToggleDeafMute:
      // Deaf members get both cleared; anyone else gets both set.
      u.deaf = !m.deaf_;
      u.mute = !m.deaf_;
      break;
    case DtmfAction::kLeave: {
      MixerEvent leave;
      leave.type = EventType::kLeave;
      leave.member = id;
      RaiseEvent(leave);
      break;
    }
  }
  ApplyUpdate(m, u, /*raise_events=*/true);
  return Ok();
}

Status Conference::StartPlayback(uint32_t playback_id, std::shared_ptr<const std::vector<int16_t>> pcm,
                                 bool loop, std::optional<uint32_t> target_member) {
  if (pcm == nullptr || pcm->empty())
    return Error(StatusCode::kInvalidArgument, "playback PCM must hold at least one sample");
  Member* target = nullptr;
  if (target_member) {
    target = FindMember(*target_member);
    if (target == nullptr) return Error(StatusCode::kNotFound, "no such member to play to");
  }
  for (const PlaybackSlot& slot : playbacks_)
    if (!slot.playback.finished() && slot.playback.id() == playback_id)
      return Error(StatusCode::kInvalidState, "a playback with this id is already playing");
  if (active_playbacks_ >= kMaxPlaybacks) return Error(StatusCode::kInvalidState, "too many playbacks at once");
  if (!target_member && active_conference_playbacks_ >= kMaxConferencePlaybacks)
    return Error(StatusCode::kInvalidState, "too many conference-wide playbacks at once");

  ReleaseFinishedPlaybacks();
  if (target != nullptr && target->playback_mix_.size() != frame_samples_)
    target->playback_mix_.assign(frame_samples_, 0);
  playbacks_.reserve(playbacks_.size() + 1);
  events_.Reserve(EventCapacityFor(members_.size(), playbacks_.size() + 1));
  playbacks_.push_back({Playback(playback_id, std::move(pcm), loop, target_member), target});
  ++active_playbacks_;
  if (target != nullptr)
    ++target->playbacks_;
  else
    ++active_conference_playbacks_;
  return Ok();
}

Status Conference::StopPlayback(uint32_t playback_id) {
  for (size_t i = 0; i < playbacks_.size(); ++i) {
    if (playbacks_[i].playback.finished() || playbacks_[i].playback.id() != playback_id) continue;
    EndPlayback(i, PlaybackEndReason::kStopped);
    ReleaseFinishedPlaybacks();
    return Ok();
  }
  return Error(StatusCode::kNotFound, "no such playback playing");
}

void Conference::ReleaseFinishedPlaybacks() {
  playbacks_.erase(std::remove_if(playbacks_.begin(), playbacks_.end(),
                                  [](const PlaybackSlot& slot) { return slot.playback.finished(); }),
                   playbacks_.end());
}

void Conference::EndPlayback(size_t index, PlaybackEndReason reason) {
  PlaybackSlot& slot = playbacks_[index];
  if (!slot.playback.finished()) {
    --active_playbacks_;
    if (slot.target != nullptr)
      --slot.target->playbacks_;
    else
      --active_conference_playbacks_;
    RaisePlaybackDone(slot.playback, reason);
  }
  playbacks_.erase(playbacks_.begin() + static_cast<std::ptrdiff_t>(index));
}

void Conference::RaisePlaybackDone(const Playback& playback, PlaybackEndReason reason) {
  MixerEvent e;
  e.type = EventType::kPlaybackDone;
  e.playback = playback.id();
  e.reason = reason;
  e.targeted = playback.target().has_value();
  e.member = playback.target().value_or(0);
  RaiseEvent(e);
}

void Conference::RenderOutput(const int32_t* base, const int32_t* own, const int32_t* extra, bool add_noise,
                              int listen_level, int16_t* out) {
  const size_t n = frame_samples_;
  SubtractToFloat(base, own, scratch_.data(), n);
  if (extra != nullptr) AddToFloat(extra, scratch_.data(), n);
  if (listen_level != 0) ScaleInPlace(scratch_.data(), VolumeLevelGain(listen_level), n);
  if (add_noise && comfort_noise_) {
    // One noise frame per tick, shared by every output that needs it.
    if (!noise_ready_) {
      comfort_noise_->Generate(noise_.data(), n);
      noise_ready_ = true;
    }
    AddInPlace(scratch_.data(), noise_.data(), n);
  }
  LimitToInt16(scratch_.data(), out, n);
  ++rendered_outputs_;
}

bool Conference::MixPlaybacks() {
  const size_t n = frame_samples_;
  bool conference_wide = false;
  for (PlaybackSlot& slot : playbacks_) {
    Playback& playback = slot.playback;
    if (playback.finished()) continue;
    int32_t* destination = sum_.data();
    if (slot.target != nullptr) {
      Member& target = *slot.target;
      if (!target.has_playback_) {
        std::fill(target.playback_mix_.begin(), target.playback_mix_.end(), 0);
        target.has_playback_ = true;
      }
      destination = target.playback_mix_.data();
    } else {
      conference_wide = true;
    }
    if (playback.AddNextFrame(destination, n)) {
      // Its slot (and PCM) stays until ReleaseFinishedPlaybacks(): freeing is not for the tick path.
      --active_playbacks_;
      if (slot.target != nullptr)
        --slot.target->playbacks_;
      else
        --active_conference_playbacks_;
      RaisePlaybackDone(playback, PlaybackEndReason::kFinished);
    }
  }
  return conference_wide;
}

void Conference::MixIdle() {
  const size_t n = frame_samples_;
  int16_t* const silence = &group_frames_[n * kSilenceOutputGroup];
  noise_ready_ = false;
  for (const auto& owned : members_) {
    Member& m = *owned;
    m.has_input_ = false;
    m.contributed_ = false;
    m.energy_ = 0;
    if (m.gate_.open() || m.gate_.talking()) {
      if (m.gate_.Reset()) {
        MixerEvent e;
        e.type = EventType::kTalkingStop;
        e.member = m.id_;
        RaiseEvent(e);
      }
    }
    if (m.deaf_ || m.hold_ || held_) {
      m.output_ = silence;
      m.output_group_ = kSilenceOutputGroup;
      continue;
    }
    if (m.trunk_) {
      m.output_ = silence;  // the far side adds its own comfort noise
      m.output_group_ = kSilenceOutputGroup;
      continue;
    }
    const int group = ListenOutputGroup(m.listen_level_);
    m.output_ = IdleGroupFrame(group);
    m.output_group_ = group;
  }
  if (record_listener_) listener_frame_ = held_ ? silence : IdleGroupFrame(ListenOutputGroup(0));
}

int16_t* Conference::IdleGroupFrame(int group) {
  // Nobody else can be heard: comfort noise (the same frame for anyone else this tick) or zeros.
  const size_t n = frame_samples_;
  int16_t* frame = &group_frames_[n * static_cast<size_t>(group)];
  if (comfort_noise_) {
    if (!noise_ready_) {
      comfort_noise_->Generate(noise_.data(), n);
      noise_ready_ = true;
      ++rendered_outputs_;
    }
    LimitToInt16(noise_.data(), frame, n);
  } else {
    std::fill(frame, frame + n, 0);
  }
  return frame;
}

void Conference::Mix() {
  const size_t n = frame_samples_;
  mixed_members_ = 0;
  capped_talkers_ = 0;
  rendered_outputs_ = 0;
  if (idle()) {
    MixIdle();
    ++tick_count_;
    return;
  }
  std::fill(sum_.begin(), sum_.end(), 0);
  const bool conference_open = !muted_ && !held_;
  size_t contributors = 0;

  // Score and gate; who passes is a candidate.
  candidates_.clear();
  for (size_t position = 0; position < members_.size(); ++position) {
    Member& m = *members_[position];
    const int score = m.has_input_ ? EnergyScore(m.input_.data(), n) : 0;
    m.energy_ = score;
    const GateStep step = m.gate_.Update(score);
    if (step.talking_started || step.talking_stopped) {
      MixerEvent e;
      e.type = step.talking_started ? EventType::kTalkingStart : EventType::kTalkingStop;
      e.member = m.id_;
      e.energy = score;
      RaiseEvent(e);
    }
    const bool passes = m.has_input_ && step.mix && !m.mute_ && !m.hold_ && conference_open;
    if (m.has_input_) m.quiet_ = !step.mix && static_cast<int64_t>(score) * 2 < m.gate_.threshold();
    m.talker_level_ = passes ? SmoothTalkerLevel(m.talker_level_, score) : 0;
    const bool incumbent = m.contributed_;
    m.contributed_ = passes && m.trunk_;  // a trunk is never capped
    if (passes && !m.trunk_) candidates_.push_back(TalkerCandidate{static_cast<uint32_t>(position), m.talker_level_, incumbent});
    m.has_input_ = false;
  }
  // At most max_active_talkers of them contribute; talk gain, sum.
  const size_t active = SelectActiveTalkers(candidates_, static_cast<size_t>(options_.max_active_talkers));
  capped_talkers_ = candidates_.size() - active;
  int32_t cut = INT32_MAX;  // the weakest active talker's level
  for (size_t i = 0; i < active; ++i) {
    members_[candidates_[i].position]->contributed_ = true;
    cut = std::min(cut, candidates_[i].level);
  }
  // Held out by the cap and far below it (-12 dB): a challenger needs more than the +6 dB the
  // ranking asks of it, so its decodes may wait for an onset or a probe (see MediaConference).
  for (size_t i = active; i < candidates_.size(); ++i) {
    Member& m = *members_[candidates_[i].position];
    m.quiet_ = static_cast<int64_t>(m.energy_) * 4 < cut;
  }
  for (const auto& owned : members_) {
    Member& m = *owned;
    if (!m.contributed_) continue;
    AccumulateWithTalkGain(m.input_.data(), m.talk_level_, m.contribution_.data(), sum_.data(), n);
    // A trunk carrying silence is nobody: the members here still get comfort noise.
    if (!m.trunk_ || m.energy_ > 0) ++contributors;
  }
  mixed_members_ = members_.size();

  // A conference-wide playback is one more contributor to the sum, with nobody to take it away.
  const bool conference_playback = !playbacks_.empty() && MixPlaybacks();
  const bool someone_for_contributors = contributors > 1 || conference_playback;
  const bool someone_for_listeners = contributors > 0 || conference_playback;

  // Outputs: private N-1 for contributors and private playback targets, one shared frame per
  // listen level for the rest.
  noise_ready_ = false;
  bool group_ready[kOutputGroupCount] = {};
  int16_t* const silence = &group_frames_[n * kSilenceOutputGroup];
  relate_leaders_.clear();
  for (const auto& owned : members_) {
    Member& m = *owned;
    const bool hears = !(m.deaf_ || m.hold_ || held_);
    // Relate: what this member hears leaves out the members it must not hear.
    size_t unheard = 0;
    const int32_t* base = relations_.empty() || !hears ? sum_.data() : RelateBase(m, &unheard);
    if (m.has_playback_) {
      // Heard even when deaf or held: the playback alone then, else on top of what it hears.
      m.has_playback_ = false;
      if (hears)
        RenderOutput(base, m.contributed_ ? m.contribution_.data() : nullptr, m.playback_mix_.data(),
                     /*add_noise=*/false, m.listen_level_, m.private_output_.data());
      else
        RenderOutput(m.playback_mix_.data(), nullptr, nullptr, /*add_noise=*/false, m.listen_level_,
                     m.private_output_.data());
      m.output_ = m.private_output_.data();
      m.output_group_ = kPrivateOutputGroup;
    } else if (!hears) {
      m.output_ = silence;
      m.output_group_ = kSilenceOutputGroup;
    } else if (m.contributed_) {
      const bool someone_else = unheard == 0 ? someone_for_contributors : contributors - unheard > 1 || conference_playback;
      RenderOutput(base, m.contribution_.data(), nullptr, !someone_else && !m.trunk_, m.listen_level_, m.private_output_.data());
      m.output_ = m.private_output_.data();
      m.output_group_ = kPrivateOutputGroup;
    } else if (unheard > 0) {
      MixRelatedListener(m, base, !(contributors > unheard || conference_playback));
    } else {
      const int group = ListenOutputGroup(m.listen_level_);
      int16_t* frame = &group_frames_[n * static_cast<size_t>(group)];
      if (!group_ready[group]) {
        RenderOutput(sum_.data(), nullptr, nullptr, !someone_for_listeners, m.listen_level_, frame);
        group_ready[group] = true;
      }
      m.output_ = frame;
      m.output_group_ = group;
    }
  }
  if (record_listener_) {
    // A recording hears what a level-0 listener who contributed nothing hears.
    const int group = ListenOutputGroup(0);
    int16_t* frame = &group_frames_[n * static_cast<size_t>(group)];
    if (held_) {
      frame = silence;
    } else if (!group_ready[group]) {
      RenderOutput(sum_.data(), nullptr, nullptr, !someone_for_listeners, 0, frame);
    }
    listener_frame_ = frame;
  }
  ++tick_count_;
}

const int16_t* Conference::OutputFrame(uint32_t id) const {
  const Member* member = FindMember(id);
  return member == nullptr ? nullptr : member->output_frame();
}

const int16_t* Conference::GroupFrame(int group) const {
  if (group < 0 || group >= kOutputGroupCount) return nullptr;
  return &group_frames_[frame_samples_ * static_cast<size_t>(group)];
}

}  // namespace confmix
