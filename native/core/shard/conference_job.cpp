#include "core/shard/conference_job.h"

namespace confmix::shard {

ConferenceJob::ConferenceJob(uint32_t handle, std::unique_ptr<MediaConference> conference, ShardOutbox& outbox,
                             Rouse rouse)
    : handle_(handle), conference_(std::move(conference)), outbox_(outbox), rouse_(std::move(rouse)) {}

void ConferenceJob::Post(Command command) {
  commands_.Push(std::move(command));
  // Sequentially consistent with Sleeps(): either it sees this command, or this sees it asleep.
  has_commands_.store(true);
  if (asleep_.load() && asleep_.exchange(false) && rouse_) rouse_(this);
}

bool ConferenceJob::Sleeps() {
  if (!rouse_) return false;
  const MediaConference& conference = *conference_;
  if (conference.mixer().member_count() != 0 || conference.mixer().playback_count() != 0 ||
      conference.recording_count() != 0 || conference.mixer().pending_events() != 0) {
    return false;
  }
  asleep_.store(true);
  if (!has_commands_.load()) return true;
  // A command came meanwhile: stay awake (a rouse Post sent as well finds the job awake).
  asleep_.store(false);
  return false;
}

void ConferenceJob::ApplyCommands() {
  // Called per packet: a plain load first, so the common case takes no locked instruction.
  if (!has_commands_.load(std::memory_order_acquire) || !has_commands_.exchange(false, std::memory_order_acq_rel)) return;
  commands_.TakeAll(applying_);
  for (Command& command : applying_) command(*this);
  applying_.clear();
}

void ConferenceJob::BindLeg(uint32_t member, io::LegId leg) {
  member_of_leg_[leg] = LegRoute{member, false};
  leg_of_member_[member] = leg;
  std::lock_guard<std::mutex> lock(rtcp_stats_mutex_);
  rtcp_stats_[member];  // made here so publishing never allocates
}

void ConferenceJob::UnbindMember(uint32_t member) {
  UnbindRtcpLeg(member);
  {
    std::lock_guard<std::mutex> lock(rtcp_stats_mutex_);
    rtcp_stats_.erase(member);
  }
  auto it = leg_of_member_.find(member);
  if (it == leg_of_member_.end()) return;
  member_of_leg_.erase(it->second);
  leg_of_member_.erase(it);
}

void ConferenceJob::BindRtcpLeg(uint32_t member, io::LegId leg) {
  UnbindRtcpLeg(member);
  member_of_leg_[leg] = LegRoute{member, true};
  rtcp_leg_of_member_[member] = leg;
}

void ConferenceJob::UnbindRtcpLeg(uint32_t member) {
  auto it = rtcp_leg_of_member_.find(member);
  if (it == rtcp_leg_of_member_.end()) return;
  member_of_leg_.erase(it->second);
  rtcp_leg_of_member_.erase(it);
}

void ConferenceJob::ReportFailure(CommandFailure failure) {
  failure.conference = handle_;
  staged_.failures.push_back(std::move(failure));
}

void ConferenceJob::SetFlags(std::optional<bool> mute, std::optional<bool> hold) {
  if (mute) conference_->mixer().SetMute(*mute);
  if (hold) conference_->mixer().SetHold(*hold);
}

void ConferenceJob::AddMember(uint32_t member, const MemberUpdate& initial, const MemberMediaConfig& media,
                              io::LegId leg, io::LegId rtcp_leg) {
  std::string error;
  Status added = conference_->AddMember(member, initial, media, &error);
  if (!added.ok()) {
    // The controller checked it, so only a fault lands here: the owner removes the member.
    if (!error.empty()) added.message += ": " + error;
    ReportFailure(CommandFailure{0, member, std::nullopt, std::move(added)});
    return;
  }
  if (leg) BindLeg(member, leg);
  if (rtcp_leg) BindRtcpLeg(member, rtcp_leg);
}

void ConferenceJob::RemoveMember(uint32_t member) {
  UnbindMember(member);
  conference_->RemoveMember(member);  // NotFound only when its add had failed (reported then)
}

void ConferenceJob::UpdateMember(uint32_t member, const MemberUpdate& update) {
  conference_->mixer().UpdateMember(member, update);  // checked by the controller; a member whose add failed is leaving
}

void ConferenceJob::UpdateMedia(uint32_t member, const MemberMediaConfig& media) {
  std::string error;
  Status updated = conference_->UpdateMedia(member, media, &error);
  if (updated.ok()) return;
  // The controller checked it, so only a fault lands here: the owner ends the leg.
  if (!error.empty()) updated.message += ": " + error;
  ReportFailure(CommandFailure{0, member, std::nullopt, std::move(updated)});
}

void ConferenceJob::ConfirmRtcpMux(uint32_t member) {
  if (RtcpSession* session = conference_->mutable_rtcp(member)) session->set_wait_for_peer_rtcp(false);
}

void ConferenceJob::PushAppPcm(uint32_t member, const std::vector<int16_t>& pcm) {
  conference_->PushAppPcm(member, pcm.data(), pcm.size());  // fails only for a member already gone
}

void ConferenceJob::StartPlayback(uint32_t playback, std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
                                  std::optional<uint32_t> target) {
  Status started = conference_->mixer().StartPlayback(playback, std::move(pcm), loop, target);
  // The controller checked it, so only a fault lands here: the owner hears of it as the playback's end.
  if (!started.ok()) ReportFailure(CommandFailure{0, target.value_or(0), playback, std::move(started)});
}

void ConferenceJob::StopPlayback(uint32_t playback) { conference_->mixer().StopPlayback(playback); }

void ConferenceJob::PressKey(uint32_t member, char key) { conference_->mixer().PressKey(member, key); }

void ConferenceJob::Relate(uint32_t member, uint32_t other, Relationship relationship) {
  conference_->mixer().Relate(member, other, relationship);
}

void ConferenceJob::StartRecording(const record::RecordingSpec& spec) {
  const Status started = conference_->StartRecording(spec);
  if (started.ok()) return;
  // The controller checked it, so only a member that left since lands here.
  record::RecordingEvent failed;
  failed.recording = spec.id;
  failed.kind = record::RecordingEventKind::kFailed;
  failed.failure = record::WriteError{record::RecordingFailure::kRefused, started.message};
  failed.track_bytes.assign(spec.tracks.size(), 0);
  OnRecording(failed);
}

void ConferenceJob::StopRecording(uint32_t recording) {
  conference_->StopRecording(recording);  // NotFound only when it has just ended (its event is on its way)
}

void ConferenceJob::SetVoiceProcessing(uint32_t member, const std::optional<VoiceOptions>& options) {
  conference_->SetVoiceProcessing(member, options);  // checked by the controller; NotFound only for a member leaving
}

void ConferenceJob::OnRecording(const record::RecordingEvent& event) {
  staged_.recordings.push_back(ConferenceRecordingEvent{handle_, event});
}

bool ConferenceJob::MemberRtcpStats(uint32_t member, RtcpSessionStats* out) const {
  std::lock_guard<std::mutex> lock(rtcp_stats_mutex_);
  auto it = rtcp_stats_.find(member);
  if (it == rtcp_stats_.end() || !it->second.published) return false;
  *out = it->second.stats;
  return true;
}

bool ConferenceJob::MemberJitterTargetMs(uint32_t member, double* out) const {
  std::lock_guard<std::mutex> lock(rtcp_stats_mutex_);
  auto it = rtcp_stats_.find(member);
  if (it == rtcp_stats_.end() || !it->second.published) return false;
  *out = it->second.jitter_target_ms;
  return true;
}

bool ConferenceJob::OnPacket(io::LegId leg, const uint8_t* data, size_t size, const io::SocketAddress&,
                             int64_t now_ns) {
  ApplyCommands();  // a member bound a moment ago gets its first packets
  auto it = member_of_leg_.find(leg);
  if (it == member_of_leg_.end()) return false;
  const double arrival_ms = static_cast<double>(now_ns) / 1e6;
  if (it->second.rtcp) return conference_->OnRtcpDatagram(it->second.member, data, size, arrival_ms).valid;
  return conference_->OnDatagram(it->second.member, data, size, arrival_ms).valid;
}

void ConferenceJob::Tick(io::TickContext& context) {
  if (reset_lateness_.exchange(false, std::memory_order_acq_rel)) {
    tick_lateness_.Reset();
    flush_lateness_.Reset();
  }
  tick_lateness_.Record(context.now_ns() - context.deadline_ns());
  ApplyCommands();
  context_ = &context;
  conference_->Tick(*this, context.thread_load());
  const uint64_t tick = ticks_.load(std::memory_order_relaxed);
  conference_->ServiceRtcp(static_cast<double>(context.now_ns()) / 1e6, tick % kRtcpPublishTicks == 0, *this);
  context_ = nullptr;
  const MediaTickStats& stats = conference_->last_tick();
  last_encodes_.store(stats.encodes, std::memory_order_relaxed);
  last_decodes_.store(stats.decodes, std::memory_order_relaxed);
  complexity_shed_.store(stats.complexity_shed, std::memory_order_relaxed);
  last_deadline_ns_.store(context.deadline_ns(), std::memory_order_relaxed);
  ticks_.fetch_add(1, std::memory_order_relaxed);
  MixerEvent event;
  while (conference_->mixer().PopEvent(&event)) staged_.events.push_back(ConferenceEvent{handle_, event});
  if (!staged_.empty()) {
    outbox_.Append(staged_);
    io::MediaEvent wake;
    wake.type = io::MediaEventType::kJob;
    wake.reason = static_cast<uint8_t>(JobEventCode::kOutbox);
    wake.job = context.job();
    context.Emit(wake);  // makes the thread notify its owner this wake
  }
}

void ConferenceJob::Flushed(int64_t deadline_ns, int64_t flush_ns) {
  flush_lateness_.Record(flush_ns - deadline_ns);
}

void ConferenceJob::OnPacket(uint32_t member, const uint8_t* data, size_t size) {
  auto it = leg_of_member_.find(member);
  if (it != leg_of_member_.end() && context_) context_->Send(it->second, data, size);
}

void ConferenceJob::OnRtcp(uint32_t member, const uint8_t* data, size_t size) {
  if (!context_) return;
  auto rtcp_leg = rtcp_leg_of_member_.find(member);
  if (rtcp_leg != rtcp_leg_of_member_.end()) {
    context_->Send(rtcp_leg->second, data, size);
    return;
  }
  auto it = leg_of_member_.find(member);  // rtcp-mux: on the RTP leg itself
  if (it != leg_of_member_.end()) context_->Send(it->second, data, size);
}

void ConferenceJob::OnRtcpStats(uint32_t member, const RtcpSessionStats& stats) {
  std::lock_guard<std::mutex> lock(rtcp_stats_mutex_);
  auto it = rtcp_stats_.find(member);
  if (it == rtcp_stats_.end()) return;
  it->second.published = true;
  it->second.stats = stats;
  const MediaReceiver* receiver = conference_->receiver(member);
  if (receiver) it->second.jitter_target_ms = receiver->jitter_stats().target_delay_ms;
}

void ConferenceJob::OnRtcpBye(uint32_t member, std::string_view) {
  if (!context_) return;
  io::MediaEvent event;
  event.type = io::MediaEventType::kJob;
  event.reason = static_cast<uint8_t>(JobEventCode::kRtcpBye);
  event.job = context_->job();
  event.count = member;
  auto it = leg_of_member_.find(member);
  if (it != leg_of_member_.end()) event.leg = it->second;
  context_->Emit(event);
}

void ConferenceJob::OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) {
  staged_.frames.push_back(AppFrame{handle_, member, staged_.pcm.size(), samples});
  staged_.pcm.insert(staged_.pcm.end(), pcm, pcm + samples);
}

}  // namespace confmix::shard
