#include "core/shard/shard_controller.h"

#include <cstdio>
#include <random>

#include "core/mix/dtmf_controls.h"
#include "core/shard/conference_job.h"

namespace confmix::shard {

namespace {

// A CNAME stable for the shard's life and unique enough across shards and hosts (RFC 7022).
std::string MakeCname() {
  std::random_device device;
  const uint64_t token = (uint64_t{device()} << 32) | device();
  char text[32];
  std::snprintf(text, sizeof(text), "confmix@%016llx", static_cast<unsigned long long>(token));
  return text;
}

Status Invalid(std::string message) { return Status::Error(StatusCode::kInvalidArgument, std::move(message)); }

// Where RTCP goes without rtcp-mux: the RTP remote's address at the given port, else RTP port + 1.
Status RtcpRemote(const io::SocketAddress& rtp_remote, std::optional<int> port, io::SocketAddress* out) {
  const int rtcp_port = port ? *port : rtp_remote.port() + 1;
  if (rtcp_port > 65535) return Invalid("remoteRtcpPort is needed when remotePort is 65535");
  *out = rtp_remote.WithPort(rtcp_port);
  return Status::Ok();
}

Status WithContext(const char* context, Status status) {
  if (!status.ok()) status.message = context + status.message;
  return status;
}

}  // namespace

Status ShardController::ValidateOptions(const io::MediaThreadOptions& options) {
  return io::MediaThread::ValidateOptions(options);
}

ShardController::ShardController(io::MediaThreadOptions options) : thread_(std::move(options)), cname_(MakeCname()) {}

ShardController::~ShardController() { Stop(); }

Status ShardController::Start() {
  if (stopped_) return Ready();
  return thread_.Start();
}

void ShardController::Stop() {
  if (stopped_) return;
  stopped_ = true;
  thread_.Stop();  // joins the thread and destroys the jobs
  conferences_.clear();
  leg_owners_.clear();
}

Status ShardController::Ready() const {
  if (stopped_) return Status::Error(StatusCode::kInvalidState, "the shard's media plane is stopped");
  return Status::Ok();
}

Status ShardController::Find(uint32_t handle, ConferenceRecord** out) {
  Status ready = Ready();
  if (!ready.ok()) return ready;
  auto it = conferences_.find(handle);
  if (it == conferences_.end())
    return Status::Error(StatusCode::kNotFound, "conference " + std::to_string(handle) + " is not on this shard");
  *out = &it->second;
  return Status::Ok();
}

Status ShardController::Find(uint32_t handle, uint32_t member, ConferenceRecord** conference, MemberRecord** out) {
  Status found = Find(handle, conference);
  if (!found.ok()) return found;
  auto it = (*conference)->members.find(member);
  if (it == (*conference)->members.end())
    return Status::Error(StatusCode::kNotFound, "member " + std::to_string(member) + " is not in the conference");
  *out = &it->second;
  return Status::Ok();
}

// Builds the paths once on this thread to report a bad codec now rather than on the media thread.
Status ShardController::CheckMedia(const MemberMediaConfig& media, const ConferenceRecord& conference) const {
  std::string error;
  if (media.receive) {
    ReceiverConfig config = *media.receive;
    config.conference_rate = conference.rate;
    config.interval_ms = conference.interval_ms;
    if (!MediaReceiver::Create(config, &error)) return Invalid("receive codec: " + error);
  }
  if (media.send) {
    SenderConfig config = *media.send;
    config.conference_rate = conference.rate;
    config.interval_ms = conference.interval_ms;
    if (!MediaSender::Create(config, &error)) return Invalid("send codec: " + error);
  }
  return Status::Ok();
}

Status ShardController::CreateConference(uint32_t handle, const ConferenceOptions& options,
                                         const MediaConferenceOptions& media) {
  Status ready = Ready();
  if (!ready.ok()) return ready;
  if (conferences_.count(handle))
    return Status::Error(StatusCode::kInvalidState, "conference " + std::to_string(handle) + " already exists");
  Status status;
  auto conference = MediaConference::Create(options, &status, media);
  if (!conference) return status;
  // An empty conference sleeps (no wake of the media thread); a command for it rouses it.
  auto job = std::make_unique<ConferenceJob>(handle, std::move(conference), outbox_,
                                             [thread = &thread_](const io::TickJob* sleeper) { thread->RouseJob(sleeper); });
  ConferenceRecord record;
  record.job = job.get();
  record.rate = options.rate;
  record.interval_ms = options.interval_ms;
  Status added = thread_.AddJob(std::move(job), options.interval_ms, &record.job_id);
  if (!added.ok()) return added;
  conferences_.emplace(handle, std::move(record));
  return Status::Ok();
}

void ShardController::CloseLegs(const MemberRecord& record) {
  if (record.leg) {
    thread_.CloseLeg(record.leg);
    leg_owners_.erase(record.leg);
  }
  if (record.rtcp_leg) {
    thread_.CloseLeg(record.rtcp_leg);
    leg_owners_.erase(record.rtcp_leg);
  }
}

Status ShardController::DestroyConference(uint32_t handle) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  for (const auto& [member, record] : conference->members) CloseLegs(record);
  thread_.RemoveJob(conference->job_id);
  conferences_.erase(handle);
  return Status::Ok();
}

Status ShardController::SetConference(uint32_t handle, std::optional<bool> mute, std::optional<bool> hold) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  conference->job->Post([mute, hold](ConferenceJob& job) { job.SetFlags(mute, hold); });
  return Status::Ok();
}

// Opens a member's separate RTCP leg like its RTP leg (family, local address, latching), towards
// the peer's RTCP address; no inactivity timeout (the RTP leg has one).
Status ShardController::OpenRtcpLeg(const io::LegOptions& rtp_options, std::optional<int> remote_rtcp_port,
                                    io::LegInfo* opened) {
  io::LegOptions options = rtp_options;
  options.timeout_ms = 0;
  options.reserve_rtcp = false;
  if (!rtp_options.remote.empty()) {
    Status remote = RtcpRemote(rtp_options.remote, remote_rtcp_port, &options.remote);
    if (!remote.ok()) return remote;
  }
  return WithContext("RTCP leg: ", thread_.OpenLeg(options, opened));
}

// The RTP leg (and without rtcp-mux its RTCP leg) of a new member; on failure none is left open.
Status ShardController::OpenRtpLegs(const MemberLegSpec& leg, MemberRecord* record) {
  const bool rtcp_mux = leg.rtcp.mux.value_or(true);
  if (!rtcp_mux && leg.remote) {
    io::SocketAddress rtcp_remote;
    Status remote = RtcpRemote(*leg.remote, leg.rtcp.remote_port, &rtcp_remote);
    if (!remote.ok()) return remote;
  }
  if (rtcp_mux && leg.rtcp.remote_port) return Invalid("remoteRtcpPort applies only with rtcpMux: false");
  io::LegOptions options;
  options.ipv6 = leg.ipv6.value_or(leg.remote ? leg.remote->is_ipv6() : false);
  options.local_address = leg.local_address;
  if (leg.remote) options.remote = *leg.remote;
  options.symmetric_latching = leg.symmetric_latching.value_or(false);
  if (leg.timeout_ms) options.timeout_ms = *leg.timeout_ms;
  io::LegInfo opened;
  Status status = thread_.OpenLeg(options, &opened);
  if (!status.ok()) return status;
  if (!rtcp_mux) {
    io::LegInfo rtcp_opened;
    status = OpenRtcpLeg(options, leg.rtcp.remote_port, &rtcp_opened);
    if (!status.ok()) {
      thread_.CloseLeg(opened.id);
      return status;
    }
    record->rtcp_leg = rtcp_opened.id;
    record->rtcp_port = rtcp_opened.port;
  }
  record->leg = opened.id;
  record->port = opened.port;
  record->rtp_options = options;
  record->remote_rtcp_port = leg.rtcp.remote_port;
  return Status::Ok();
}

Status ShardController::AddMember(uint32_t handle, uint32_t member, const MemberUpdate& initial,
                                  const MemberLegSpec& leg, MemberLegInfo* info) {
  ConferenceRecord* conference = nullptr;
  Status status = Find(handle, &conference);
  if (!status.ok()) return status;
  if (conference->members.count(member))
    return Status::Error(StatusCode::kInvalidState, "member " + std::to_string(member) + " is already in the conference");
  if (conference->members.size() >= kMaxMembers) return Status::Error(StatusCode::kInvalidState, "the conference is full");
  status = Conference::ValidateUpdate(initial);
  if (!status.ok()) return status;
  MemberMediaConfig media;
  MemberRecord record;
  record.kind = leg.kind;
  if (leg.kind == LegKind::kApp) {
    media.app = true;
  } else if (leg.kind == LegKind::kRtp || leg.kind == LegKind::kExternal) {
    media.receive = leg.media.receive;
    media.send = leg.media.send;
    status = CheckMedia(media, *conference);
    if (!status.ok()) return status;
    RtcpSessionConfig session;
    session.cname = cname_;
    if (leg.rtcp.interval_ms) session.interval_ms = *leg.rtcp.interval_ms;
    if (leg.kind == LegKind::kRtp) {
      session.wait_for_peer_rtcp = !leg.rtcp.mux.has_value();
      status = OpenRtpLegs(leg, &record);
    } else {
      if (leg.rtcp.mux == false || leg.rtcp.remote_port) return Invalid("an external leg always multiplexes RTCP");
      io::LegOptions options;
      options.transport = io::LegTransport::kExternal;
      if (leg.timeout_ms) options.timeout_ms = *leg.timeout_ms;
      io::LegInfo opened;
      status = thread_.OpenLeg(options, &opened);
      record.leg = opened.id;
      record.rtp_options = options;
    }
    if (!status.ok()) return status;
    media.rtcp = session;
  }
  const io::LegId leg_id = record.leg;
  const io::LegId rtcp_leg_id = record.rtcp_leg;
  conference->job->Post([member, initial, media, leg_id, rtcp_leg_id](ConferenceJob& job) {
    job.AddMember(member, initial, media, leg_id, rtcp_leg_id);
  });
  if (leg_id) {
    thread_.AttachSink(leg_id, conference->job, conference->job_id);
    leg_owners_[leg_id] = LegOwner{handle, member};
  }
  if (rtcp_leg_id) {
    thread_.AttachSink(rtcp_leg_id, conference->job, conference->job_id);
    leg_owners_[rtcp_leg_id] = LegOwner{handle, member};
  }
  auto inserted = conference->members.emplace(member, std::move(record)).first;
  if (info) *info = InfoOf(inserted->second);
  return Status::Ok();
}

MemberLegInfo ShardController::InfoOf(const MemberRecord& record) {
  MemberLegInfo info;
  info.leg = record.leg;
  info.port = record.port;
  info.rtcp_port = record.rtcp_leg ? record.rtcp_port : 0;
  return info;
}

Status ShardController::RemoveMember(uint32_t handle, uint32_t member) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  CloseLegs(*record);
  conference->job->Post([member](ConferenceJob& job) { job.RemoveMember(member); });
  conference->members.erase(member);
  return Status::Ok();
}

Status ShardController::SetMember(uint32_t handle, uint32_t member, const MemberUpdate& update) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status status = Find(handle, member, &conference, &record);
  if (!status.ok()) return status;
  status = Conference::ValidateUpdate(update);
  if (!status.ok()) return status;
  conference->job->Post([member, update](ConferenceJob& job) { job.UpdateMember(member, update); });
  return Status::Ok();
}

Status ShardController::UpdateLeg(uint32_t handle, uint32_t member, const RtpLegUpdate& update, MemberLegInfo* info) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* control = nullptr;
  Status status = Find(handle, member, &conference, &control);
  if (!status.ok()) return status;
  if (control->kind != LegKind::kRtp)
    return Status::Error(StatusCode::kInvalidState, "member " + std::to_string(member) + " has no RTP leg");
  MemberMediaConfig media;
  media.receive = update.media.receive;
  media.send = update.media.send;
  status = CheckMedia(media, *conference);
  if (!status.ok()) return status;
  const RtcpLegSettings& rtcp = update.rtcp;
  if (rtcp.interval_ms) return Invalid("rtcpIntervalMs is set when the member is added");
  const bool rtcp_mux = rtcp.mux.value_or(control->rtcp_leg == 0);
  if (rtcp_mux && rtcp.remote_port) return Invalid("remoteRtcpPort applies only with rtcpMux: false");
  io::LegOptions& current = control->rtp_options;
  if (update.remote && update.remote->is_ipv6() != current.ipv6)
    return Invalid("the remote address is not of the leg's address family");
  if (!rtcp_mux && rtcp.remote_port && !update.remote && current.remote.empty())
    return Invalid("remoteRtcpPort needs the peer's remoteAddress");
  // What the RTP leg becomes; a new remote without remoteRtcpPort means RTCP on its port + 1.
  io::LegOptions wanted = current;
  if (update.remote) wanted.remote = *update.remote;
  if (update.symmetric_latching) wanted.symmetric_latching = *update.symmetric_latching;
  const std::optional<int> remote_rtcp_port = rtcp.remote_port ? rtcp.remote_port
                                              : update.remote  ? std::nullopt
                                                               : control->remote_rtcp_port;
  io::SocketAddress rtcp_remote;
  if (!rtcp_mux && !wanted.remote.empty()) {
    status = RtcpRemote(wanted.remote, remote_rtcp_port, &rtcp_remote);
    if (!status.ok()) return status;
  }
  // The one step that can fail for want of ports goes first, so a failure changes nothing.
  io::LegInfo rtcp_opened;
  if (!rtcp_mux && control->rtcp_leg == 0) {
    status = OpenRtcpLeg(wanted, remote_rtcp_port, &rtcp_opened);
    if (!status.ok()) return status;
  }
  if (update.remote) thread_.SetRemote(control->leg, *update.remote);
  if (update.symmetric_latching) thread_.SetLatching(control->leg, *update.symmetric_latching);
  const bool rtcp_remote_changed = update.remote.has_value() || rtcp.remote_port.has_value();
  current = wanted;
  control->remote_rtcp_port = remote_rtcp_port;
  if (rtcp_mux && control->rtcp_leg) {
    thread_.CloseLeg(control->rtcp_leg);
    leg_owners_.erase(control->rtcp_leg);
    control->rtcp_leg = 0;
    control->rtcp_port = 0;
    conference->job->Post([member](ConferenceJob& job) { job.UnbindRtcpLeg(member); });
  } else if (rtcp_opened.id) {
    control->rtcp_leg = rtcp_opened.id;
    control->rtcp_port = rtcp_opened.port;
    const io::LegId rtcp_leg_id = rtcp_opened.id;
    conference->job->Post([member, rtcp_leg_id](ConferenceJob& job) { job.BindRtcpLeg(member, rtcp_leg_id); });
    thread_.AttachSink(rtcp_leg_id, conference->job, conference->job_id);
    leg_owners_[rtcp_leg_id] = LegOwner{handle, member};
  } else if (control->rtcp_leg) {
    if (rtcp_remote_changed && !rtcp_remote.empty()) thread_.SetRemote(control->rtcp_leg, rtcp_remote);
    if (update.symmetric_latching) thread_.SetLatching(control->rtcp_leg, *update.symmetric_latching);
  }
  if (rtcp.mux) {
    // Said explicitly now: reports go out without waiting for the peer's.
    conference->job->Post([member](ConferenceJob& job) { job.ConfirmRtcpMux(member); });
  }
  if (media.receive || media.send) {
    conference->job->Post([member, media](ConferenceJob& job) { job.UpdateMedia(member, media); });
  }
  if (info) *info = InfoOf(*control);
  return Status::Ok();
}

Status ShardController::PushPcm(uint32_t handle, uint32_t member, const int16_t* pcm, size_t samples) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  if (record->kind != LegKind::kApp)
    return Status::Error(StatusCode::kInvalidState, "member " + std::to_string(member) + " has no app leg");
  std::vector<int16_t> copy(pcm, pcm + samples);
  conference->job->Post([member, copy = std::move(copy)](ConferenceJob& job) { job.PushAppPcm(member, copy); });
  return Status::Ok();
}

Status ShardController::StartPlayback(uint32_t handle, uint32_t playback,
                                      std::shared_ptr<const std::vector<int16_t>> pcm, bool loop,
                                      std::optional<uint32_t> target) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  if (target && !conference->members.count(*target))
    return Status::Error(StatusCode::kNotFound, "playback target is not a member of the conference");
  if (!pcm || pcm->empty()) return Invalid("pcm must hold at least one sample");
  if (conference->playbacks.count(playback))
    return Status::Error(StatusCode::kInvalidState, "playback " + std::to_string(playback) + " is already playing");
  size_t conference_wide = 0;
  for (const auto& [id, wide] : conference->playbacks) conference_wide += wide ? 1 : 0;
  if (conference->playbacks.size() >= kMaxPlaybacks)
    return Status::Error(StatusCode::kInvalidState, "too many playbacks at once");
  if (!target && conference_wide >= kMaxConferencePlaybacks)
    return Status::Error(StatusCode::kInvalidState, "too many conference-wide playbacks at once");
  conference->playbacks.emplace(playback, !target);
  conference->job->Post([playback, pcm = std::move(pcm), loop, target](ConferenceJob& job) {
    job.StartPlayback(playback, pcm, loop, target);
  });
  return Status::Ok();
}

Status ShardController::StartRecording(uint32_t handle, const record::RecordingSpec& spec) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  if (conference->recordings.count(spec.id))
    return Status::Error(StatusCode::kInvalidState, "recording " + std::to_string(spec.id) + " is already running");
  if (conference->recordings.size() >= record::kMaxRecordings)
    return Status::Error(StatusCode::kInvalidState, "too many recordings at once");
  // The spec's own checks, against a mixer with this conference's members (no media needed).
  ConferenceOptions options;
  options.rate = conference->rate;
  options.interval_ms = conference->interval_ms;
  Status built;
  auto shadow = Conference::Create(options, &built);
  if (!shadow) return built;
  for (const record::TrackSpec& track : spec.tracks) {
    if (track.source != record::TrackSource::kMix && !conference->members.count(track.member))
      return Status::Error(StatusCode::kNotFound, "member " + std::to_string(track.member) + " is not in the conference");
    if (track.source != record::TrackSource::kMix && !shadow->FindMember(track.member)) shadow->AddMember(track.member);
  }
  Status valid = record::ConferenceRecordings::Validate(spec, *shadow);
  if (!valid.ok()) return valid;
  conference->recordings.emplace(spec.id, true);
  conference->job->Post([spec](ConferenceJob& job) { job.StartRecording(spec); });
  return Status::Ok();
}

Status ShardController::SetVoiceProcessing(uint32_t handle, uint32_t member, const std::optional<VoiceOptions>& options) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  if (options) {
    const std::string why = ValidateVoiceOptions(*options);
    if (!why.empty()) return Invalid(why);
  }
  conference->job->Post([member, options](ConferenceJob& job) { job.SetVoiceProcessing(member, options); });
  return Status::Ok();
}

Status ShardController::StopRecording(uint32_t handle, uint32_t recording) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  if (!conference->recordings.count(recording))
    return Status::Error(StatusCode::kNotFound, "recording " + std::to_string(recording) + " is not running");
  conference->job->Post([recording](ConferenceJob& job) { job.StopRecording(recording); });
  return Status::Ok();
}

Status ShardController::StopPlayback(uint32_t handle, uint32_t playback) {
  ConferenceRecord* conference = nullptr;
  Status found = Find(handle, &conference);
  if (!found.ok()) return found;
  if (!conference->playbacks.count(playback))
    return Status::Error(StatusCode::kNotFound, "playback " + std::to_string(playback) + " is not playing");
  conference->job->Post([playback](ConferenceJob& job) { job.StopPlayback(playback); });
  return Status::Ok();
}

Status ShardController::PressKey(uint32_t handle, uint32_t member, char key) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  if (!IsDtmfKey(key)) return Invalid("key must be one of 0-9, * and #");
  conference->job->Post([member, key](ConferenceJob& job) { job.PressKey(member, key); });
  return Status::Ok();
}

Status ShardController::Relate(uint32_t handle, uint32_t member, uint32_t other, Relationship relationship) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  if (!conference->members.count(other))
    return Status::Error(StatusCode::kNotFound, "member " + std::to_string(other) + " is not in the conference");
  if (member == other) return Invalid("a member cannot be related to itself");
  conference->job->Post([member, other, relationship](ConferenceJob& job) { job.Relate(member, other, relationship); });
  return Status::Ok();
}

Status ShardController::PushPacket(uint32_t handle, uint32_t member, const uint8_t* data, size_t size, bool* accepted) {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  if (record->kind != LegKind::kExternal)
    return Status::Error(StatusCode::kInvalidState, "member " + std::to_string(member) + " has no external leg");
  return thread_.PushPacket(record->leg, data, size, accepted);
}

void ShardController::TakeOutgoing(io::DatagramBatch& bytes, std::vector<ExternalDatagram>* out) {
  out->clear();
  thread_.TakeOutgoing(bytes);
  for (size_t i = 0; i < bytes.size(); i++) {
    const io::DatagramRef& ref = bytes.ref(i);
    auto owner = leg_owners_.find(ref.leg);
    if (owner == leg_owners_.end()) continue;  // its member left meanwhile
    out->push_back(ExternalDatagram{owner->second.conference, owner->second.member, ref.offset, ref.size});
  }
}

void ShardController::Drain(ShardDrain* out) {
  out->byes.clear();
  out->legs.clear();
  outbox_.Take(out->outbox);
  for (const ConferenceEvent& record : out->outbox.events) {
    if (record.event.type != EventType::kPlaybackDone) continue;
    auto it = conferences_.find(record.conference);
    if (it != conferences_.end()) it->second.playbacks.erase(record.event.playback);
  }
  for (const ConferenceRecordingEvent& entry : out->outbox.recordings) {
    if (entry.event.kind == record::RecordingEventKind::kStarted) continue;
    auto it = conferences_.find(entry.conference);
    if (it != conferences_.end()) it->second.recordings.erase(entry.event.recording);
  }
  for (const CommandFailure& failure : out->outbox.failures) {
    auto it = conferences_.find(failure.conference);
    if (it != conferences_.end() && failure.playback) it->second.playbacks.erase(*failure.playback);
  }
  thread_.TakeEvents(media_events_);
  for (const io::MediaEvent& e : media_events_) {
    if (e.type == io::MediaEventType::kOutgoing) continue;
    if (e.type == io::MediaEventType::kJob) {
      if (e.reason != static_cast<uint8_t>(JobEventCode::kRtcpBye)) continue;  // a wake-up: the outbox was taken
      const uint32_t member = static_cast<uint32_t>(e.count);
      for (const auto& [handle, conference] : conferences_) {
        if (conference.job_id != e.job || !conference.members.count(member)) continue;
        RtcpSessionStats stats;
        const bool known = conference.job->MemberRtcpStats(member, &stats);
        out->byes.push_back(RtcpBye{handle, member, e.leg, known ? std::string(stats.bye_reason_text()) : std::string()});
      }
      continue;
    }
    LegEvent event;
    event.event = e;
    auto owner = leg_owners_.find(e.leg);
    if (owner != leg_owners_.end()) {
      event.conference = owner->second.conference;
      event.member = owner->second.member;
      event.has_member = true;
    }
    out->legs.push_back(event);
  }
  media_events_.clear();
}

ShardCounters ShardController::Counters() const {
  ShardCounters out;
  out.thread = thread_.Counters();
  out.conferences = static_cast<uint32_t>(conferences_.size());
  out.per_conference.reserve(conferences_.size());
  for (const auto& [handle, conference] : conferences_) {
    ConferenceCounters c;
    c.handle = handle;
    c.ticks = conference.job->ticks();
    c.last_deadline_ns = conference.job->last_deadline_ns();
    c.encodes_per_tick = conference.job->last_encodes();
    c.decodes_per_tick = conference.job->last_decodes();
    c.complexity_shed = conference.job->complexity_shed();
    out.encodes_per_tick += c.encodes_per_tick;
    out.decodes_per_tick += c.decodes_per_tick;
    out.members += static_cast<uint32_t>(conference.members.size());
    out.per_conference.push_back(c);
  }
  return out;
}

std::vector<io::LegStats> ShardController::LegCounters() const {
  return thread_.Stats().legs;
}

Status ShardController::MemberStats(uint32_t handle, uint32_t member, MemberCounters* out) const {
  ConferenceRecord* conference = nullptr;
  MemberRecord* record = nullptr;
  Status found = const_cast<ShardController*>(this)->Find(handle, member, &conference, &record);
  if (!found.ok()) return found;
  *out = MemberCounters();
  out->legs = InfoOf(*record);
  if (record->leg) {
    for (const io::LegStats& l : thread_.Stats().legs) {
      if (l.id == record->leg) out->leg = l;
      if (record->rtcp_leg && l.id == record->rtcp_leg) out->rtcp_leg = l;
    }
  }
  RtcpSessionStats rtcp;
  if (conference->job->MemberRtcpStats(member, &rtcp)) out->rtcp = rtcp;
  double jitter_target_ms = 0;
  if (conference->job->MemberJitterTargetMs(member, &jitter_target_ms)) out->jitter_target_ms = jitter_target_ms;
  return Status::Ok();
}

void ShardController::ResetLateness() {
  if (stopped_) return;
  thread_.ResetLateness();
  for (auto& [handle, conference] : conferences_) conference.job->ResetLateness();
}

Status ShardController::ConferenceLateness(uint32_t handle, io::LatencySummary* tick, io::LatencySummary* flush) const {
  ConferenceRecord* conference = nullptr;
  Status found = const_cast<ShardController*>(this)->Find(handle, &conference);
  if (!found.ok()) return found;
  *tick = conference->job->tick_lateness().Summarize();
  *flush = conference->job->flush_lateness().Summarize();
  return Status::Ok();
}

}  // namespace confmix::shard
