#include "core/media/media_conference.h"

#include <algorithm>
#include <cstring>

#include "core/io/worker_pool.h"
#include "core/rtp/rtp_packet.h"

namespace confmix {

namespace {
Status Fail(StatusCode code, const char* message) { return Status{code, message}; }
// App input beyond this much is old: the app writes faster than real time.
constexpr int kAppFifoMs = 500;
}  // namespace

std::unique_ptr<MediaConference> MediaConference::Create(const ConferenceOptions& options, Status* status,
                                                         const MediaConferenceOptions& media) {
  auto mixer = Conference::Create(options, status);
  if (!mixer) return nullptr;
  return std::unique_ptr<MediaConference>(new MediaConference(std::move(mixer), media));
}

MediaConference::MediaConference(std::unique_ptr<Conference> mixer, const MediaConferenceOptions& options)
    : mixer_(std::move(mixer)),
      packet_(kMaxPayloadBytes + rtp::kRtpHeaderSize),
      rtcp_packet_(kMaxRtcpReportBytes),
      parallel_codecs_(options.parallel_codecs),
      skip_unvoiced_(options.skip_unvoiced),
      governor_(options.adaptive_complexity) {
  UpdateMaxShed();
}

void MediaConference::ApplyComplexity(FrameEncoder& encoder) const {
  encoder.SetComplexity(governor_.EffectiveComplexity(encoder.codec().complexity));
}

void MediaConference::ApplyComplexityToAll() {
  for (auto& media : members_) {
    if (media->sender) ApplyComplexity(media->sender->own_encoder());
  }
  for (Encoding& encoding : encodings_) {
    for (auto& group : encoding.groups) ApplyComplexity(*group);
  }
}

void MediaConference::UpdateMaxShed() {
  // Shedding past the highest configured Opus complexity makes no encode cheaper.
  int highest = 0;
  for (const Encoding& encoding : encodings_) {
    if (encoding.users > 0 && encoding.codec.kind == CodecKind::kOpus) highest = std::max(highest, encoding.codec.complexity);
  }
  // A lower cap leaves every encode as it was (see SetMaxShed), so no encoder needs touching.
  governor_.SetMaxShed(highest);
}

MediaConference::MemberMedia* MediaConference::Find(uint32_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : members_[it->second].get();
}

int MediaConference::AcquireEncoding(const CodecParams& codec, std::string* error) {
  for (size_t i = 0; i < encodings_.size(); i++) {
    if (encodings_[i].users > 0 && SameEncoding(encodings_[i].codec, codec)) {
      encodings_[i].users++;
      return static_cast<int>(i);
    }
  }
  Encoding encoding;
  encoding.codec = codec;
  encoding.users = 1;
  for (int g = 0; g < kOutputGroupCount; g++) {
    auto encoder = FrameEncoder::Create(codec, mixer_->rate(), mixer_->interval_ms(), error);
    if (!encoder) return -1;
    encoding.groups.push_back(std::move(encoder));
  }
  encoding.encoded_tick.assign(kOutputGroupCount, 0);
  for (auto& group : encoding.groups) ApplyComplexity(*group);  // made while shed: start shed
  int index = -1;
  for (size_t i = 0; i < encodings_.size() && index < 0; i++) {
    if (encodings_[i].users == 0) {
      encodings_[i] = std::move(encoding);
      index = static_cast<int>(i);
    }
  }
  if (index < 0) {
    encodings_.push_back(std::move(encoding));
    index = static_cast<int>(encodings_.size() - 1);
  }
  UpdateMaxShed();
  return index;
}

void MediaConference::ReleaseEncoding(int index) {
  if (index < 0) return;
  Encoding& encoding = encodings_[static_cast<size_t>(index)];
  if (--encoding.users == 0) {
    encoding.groups.clear();
    encoding.encoded_tick.clear();
    UpdateMaxShed();
  }
}

Status MediaConference::BuildMedia(const MemberMediaConfig& config, MemberMedia* media, std::string* error) {
  if (config.receive) {
    ReceiverConfig receive = *config.receive;
    receive.conference_rate = mixer_->rate();
    receive.interval_ms = mixer_->interval_ms();
    media->receiver = MediaReceiver::Create(receive, error);
    if (!media->receiver) return Fail(StatusCode::kInvalidArgument, "receive codec rejected");
  }
  if (config.send) {
    SenderConfig send = *config.send;
    send.conference_rate = mixer_->rate();
    send.interval_ms = mixer_->interval_ms();
    media->sender = MediaSender::Create(send, error);
    if (!media->sender) return Fail(StatusCode::kInvalidArgument, "send codec rejected");
    ApplyComplexity(media->sender->own_encoder());
    media->encoding = AcquireEncoding(send.codec, error);
    if (media->encoding < 0) return Fail(StatusCode::kInvalidArgument, "send codec rejected");
  }
  media->app = config.app;
  if (config.app) media->app_fifo.assign(static_cast<size_t>(mixer_->rate() / 1000 * kAppFifoMs), 0);
  return Status{};
}

Status MediaConference::AddMember(uint32_t id, const MemberUpdate& initial, MemberMediaConfig config,
                                  std::string* error) {
  if (Find(id)) return Fail(StatusCode::kInvalidState, "member already in the conference");
  auto media = std::make_unique<MemberMedia>();
  Status status = BuildMedia(config, media.get(), error);
  if (!status.ok()) {
    ReleaseEncoding(media->encoding);
    return status;
  }
  if (config.rtcp) {
    media->rtcp = RtcpSession::Create(*config.rtcp, error);
    if (!media->rtcp) {
      ReleaseEncoding(media->encoding);
      return Fail(StatusCode::kInvalidArgument, "RTCP session rejected");
    }
    if (media->receiver) media->rtcp->SetReceiveClock(static_cast<uint32_t>(media->receiver->config().codec.clock_rate));
  }
  status = mixer_->AddMember(id, initial);
  if (!status.ok()) {
    ReleaseEncoding(media->encoding);
    return status;
  }
  media->member = mixer_->FindMember(id);
  index_[id] = members_.size();
  level_ranks_.reserve(members_.size() + 1);
  if (IsOpusReceiver(*media)) ++opus_receivers_;
  members_.push_back(std::move(media));
  return Status{};
}

Status MediaConference::RemoveMember(uint32_t id) {
  auto it = index_.find(id);
  if (it == index_.end()) return Fail(StatusCode::kNotFound, "unknown member");
  const Status status = mixer_->RemoveMember(id);
  if (!status.ok()) return status;
  const size_t position = it->second;
  ReleaseEncoding(members_[position]->encoding);
  if (IsOpusReceiver(*members_[position])) --opus_receivers_;
  index_.erase(it);
  if (position != members_.size() - 1) {
    members_[position] = std::move(members_.back());
    index_[members_[position]->member->id()] = position;
  }
  members_.pop_back();
  return Status{};
}

Status MediaConference::UpdateMedia(uint32_t id, const MemberMediaConfig& config, std::string* error) {
  MemberMedia* media = Find(id);
  if (!media) return Fail(StatusCode::kNotFound, "unknown member");
  MemberMedia fresh;
  fresh.member = media->member;
  MemberMediaConfig wanted = config;
  wanted.app = media->app;
  const Status status = BuildMedia(wanted, &fresh, error);
  if (!status.ok()) {
    ReleaseEncoding(fresh.encoding);
    return status;
  }
  if (config.receive) {
    if (IsOpusReceiver(*media)) --opus_receivers_;
    media->receiver = std::move(fresh.receiver);
    if (IsOpusReceiver(*media)) ++opus_receivers_;
    if (media->rtcp) media->rtcp->SetReceiveClock(static_cast<uint32_t>(media->receiver->config().codec.clock_rate));
  }
  if (config.send) {
    ReleaseEncoding(media->encoding);
    media->sender = std::move(fresh.sender);
    media->encoding = fresh.encoding;
    media->last_shared_group = -1;  // another encoding's groups
  }
  return Status{};
}

bool MediaConference::SenderState(const MemberMedia& media, RtcpSenderState* out) {
  if (!media.sender) return false;
  const rtp::RtpSender& rtp = media.sender->rtp();
  out->ssrc = rtp.ssrc();
  out->clock_rate = rtp.clock_rate();
  out->packets_sent = rtp.packets_sent();
  out->octets_sent = rtp.octets_sent();
  out->rtp_timestamp = media.sender->last_timestamp();
  return true;
}

bool MediaConference::HandleRtcp(MemberMedia& media, const uint8_t* data, size_t size, double arrival_ms) {
  RtcpSenderState sender;
  const bool sending = SenderState(media, &sender);
  return media.rtcp->OnRtcp(data, size, arrival_ms, sending ? &sender : nullptr);
}

ReceiveResult MediaConference::OnDatagram(uint32_t id, const uint8_t* data, size_t size, double arrival_ms) {
  MemberMedia* media = Find(id);
  if (!media) return ReceiveResult{};
  if (!media->receiver) {
    // A send-only member still hears the peer's reports on our stream.
    if (!media->rtcp || !rtp::IsMuxedRtcp(data, size)) return ReceiveResult{};
    ReceiveResult result;
    result.rtcp = true;
    result.valid = HandleRtcp(*media, data, size, arrival_ms);
    return result;
  }
  ReceiveResult result = media->receiver->OnDatagram(data, size, arrival_ms);
  if (result.key) mixer_->PressKey(id, result.key);
  if (!media->rtcp) return result;
  if (result.rtcp) {
    // Malformed RTCP is not the peer's: it must not latch the leg or keep it alive.
    result.valid = HandleRtcp(*media, data, size, arrival_ms);
  } else if (result.rtp && (result.valid || (media->rtcp->stats().has_remote_ssrc &&
                                             result.ssrc == media->rtcp->stats().remote_ssrc))) {
    // Packets of the peer's stream that we do not play (another payload type) still count.
    RtpArrival arrival;
    arrival.ssrc = result.ssrc;
    arrival.sequence = result.sequence;
    arrival.timestamp = result.timestamp;
    arrival.payload_bytes = result.payload_size;
    arrival.arrival_ms = arrival_ms;
    arrival.timed = !result.telephone_event;
    media->rtcp->OnRtp(arrival);
  }
  return result;
}

ReceiveResult MediaConference::OnRtcpDatagram(uint32_t id, const uint8_t* data, size_t size, double arrival_ms) {
  ReceiveResult result;
  MemberMedia* media = Find(id);
  if (!media || !media->rtcp) return result;
  result.rtcp = true;
  result.valid = HandleRtcp(*media, data, size, arrival_ms);
  return result;
}

void MediaConference::ServiceRtcp(double now_ms, bool publish_all, MediaOutput& output) {
  for (auto& media : members_) {
    if (!media->rtcp) continue;
    RtcpSession& session = *media->rtcp;
    const uint32_t id = media->member->id();
    RtcpSenderState sender;
    const RtcpSenderState* sending = SenderState(*media, &sender) ? &sender : nullptr;
    const size_t size = session.ReportIfDue(now_ms, sending, rtcp_packet_.data(), rtcp_packet_.size());
    if (size) output.OnRtcp(id, rtcp_packet_.data(), size);
    const bool bye = session.TakeBye();
    if (session.TakeChanged() || publish_all || bye) {
      session.UpdateSent(sending);
      output.OnRtcpStats(id, session.stats());
    }
    // After the snapshot, so whoever handles the BYE finds its reason there.
    if (bye) output.OnRtcpBye(id, session.stats().bye_reason_text());
  }
}

Status MediaConference::PushAppPcm(uint32_t id, const int16_t* pcm, size_t samples) {
  MemberMedia* media = Find(id);
  if (!media) return Fail(StatusCode::kNotFound, "unknown member");
  if (!media->app) return Fail(StatusCode::kInvalidState, "member has no app leg");
  std::vector<int16_t>& fifo = media->app_fifo;
  if (samples >= fifo.size()) {  // keep only the newest
    pcm += samples - fifo.size();
    samples = fifo.size();
  }
  if (media->app_fifo_used + samples > fifo.size()) {
    const size_t drop = media->app_fifo_used + samples - fifo.size();
    std::memmove(fifo.data(), fifo.data() + drop, (media->app_fifo_used - drop) * sizeof(int16_t));
    media->app_fifo_used -= drop;
  }
  std::memcpy(fifo.data() + media->app_fifo_used, pcm, samples * sizeof(int16_t));
  media->app_fifo_used += samples;
  return Status{};
}

bool MediaConference::IsOpusReceiver(const MemberMedia& media) {
  return media.receiver && media.receiver->config().codec.kind == CodecKind::kOpus;
}

bool MediaConference::InputMixable(const Member& member) const {
  return !member.mute() && !member.hold() && !mixer_->muted() && !mixer_->held();
}

const MediaReceiver* MediaConference::receiver(uint32_t id) const {
  const MemberMedia* media = Find(id);
  return media ? media->receiver.get() : nullptr;
}

const MediaSender* MediaConference::sender(uint32_t id) const {
  const MemberMedia* media = Find(id);
  return media ? media->sender.get() : nullptr;
}

const RtcpSession* MediaConference::rtcp(uint32_t id) const {
  const MemberMedia* media = Find(id);
  return media ? media->rtcp.get() : nullptr;
}

RtcpSession* MediaConference::mutable_rtcp(uint32_t id) {
  MemberMedia* media = Find(id);
  return media ? media->rtcp.get() : nullptr;
}

const FrameEncoder* MediaConference::shared_encoder(uint32_t id, int group) const {
  const MemberMedia* media = Find(id);
  if (!media || media->encoding < 0 || group < 0 || group >= kOutputGroupCount) return nullptr;
  return encodings_[static_cast<size_t>(media->encoding)].groups[static_cast<size_t>(group)].get();
}

void MediaConference::MarkBelowLevelCut() {
  const size_t cap = static_cast<size_t>(mixer_->options().max_active_talkers);
  level_ranks_.clear();
  for (size_t i = 0; i < members_.size(); ++i) {
    MemberMedia& media = *members_[i];
    media.below_cut = false;
    if (cap == 0 || !media.receiver) continue;
    const int level = media.receiver->audio_level_dbov();
    if (level >= 0 && InputMixable(*media.member)) level_ranks_.emplace_back(level, i);
  }
  if (level_ranks_.size() <= cap) return;
  // The cap-th loudest level (smallest -dBov) is the cut; ties with it are decoded too, and so is
  // a member mixed last tick: the mix's own hysteresis decides whether it keeps its place.
  std::nth_element(level_ranks_.begin(), level_ranks_.begin() + static_cast<std::ptrdiff_t>(cap - 1), level_ranks_.end());
  const int cut = level_ranks_[cap - 1].first;
  for (const auto& [level, index] : level_ranks_) {
    MemberMedia& media = *members_[index];
    if (level > cut && !media.member->contributed()) media.below_cut = true;
  }
}

Status MediaConference::SetVoiceProcessing(uint32_t id, const std::optional<VoiceOptions>& options) {
  MemberMedia* media = Find(id);
  if (!media) return Fail(StatusCode::kNotFound, "unknown member");
  if (options) {
    const std::string why = ValidateVoiceOptions(*options);
    if (!why.empty()) return Status{StatusCode::kInvalidArgument, why};
    media->voice = std::make_unique<VoiceProcessor>(mixer_->rate(), mixer_->frame_samples(), *options);
  } else {
    media->voice.reset();
  }
  return Status{};
}

void MediaConference::Commit(MemberMedia& media, bool process) {
  if (process && media.voice) media.voice->Process(media.member->input_frame());
  media.member->CommitInput();
}

void MediaConference::Tick(MediaOutput& output, double thread_load) {
  // Before the encodes, so a change applies from this tick on.
  if (governor_.Update(thread_load, mixer_->interval_ms())) ApplyComplexityToAll();
  MediaTickStats stats;
  stats.complexity_shed = governor_.shed();
  const size_t frame = mixer_->frame_samples();
  MarkBelowLevelCut();
  // Decodes: each member's receive path is its own, so Opus rooms spread them over the pool.
  auto produce = [this, frame](size_t index, size_t /*slot*/) {
    MemberMedia& media = *members_[index];
    Member& member = *media.member;
    if (media.receiver) {
      // The gate is read before this tick's Mix: closed means the last frame was not mixed.
      DecodePolicy policy = DecodePolicy::kVoiced;
      if (!InputMixable(member)) policy = DecodePolicy::kSkip;
      else if (media.below_cut) policy = DecodePolicy::kBelowCut;
      else if (media.quiet_run >= kQuietRunFrames) policy = DecodePolicy::kQuiet;
      else if (!skip_unvoiced_ || member.gate_passes()) policy = DecodePolicy::kAll;
      const ReceiverStats& counts = media.receiver->stats();
      const uint64_t decodes_before = counts.decodes;
      const uint64_t skips_before = counts.unvoiced_skips;
      const uint64_t level_skips_before = counts.level_skips;
      const uint64_t quiet_skips_before = counts.quiet_skips;
      media.tick_audio = media.receiver->ProduceFrame(member.input_frame(), policy);
      if (media.tick_audio) Commit(media, true);
      media.tick_decodes = static_cast<uint32_t>(counts.decodes - decodes_before);
      media.tick_unvoiced_skips = static_cast<uint32_t>(counts.unvoiced_skips - skips_before);
      media.tick_level_skips = static_cast<uint32_t>(counts.level_skips - level_skips_before);
      media.tick_quiet_skips = static_cast<uint32_t>(counts.quiet_skips - quiet_skips_before);
    } else if (media.app && media.app_fifo_used >= frame) {
      std::memcpy(member.input_frame(), media.app_fifo.data(), frame * sizeof(int16_t));
      media.app_fifo_used -= frame;
      std::memmove(media.app_fifo.data(), media.app_fifo.data() + frame, media.app_fifo_used * sizeof(int16_t));
      // Muted app input still reaches the gate (as before), unprocessed: muted costs nothing.
      Commit(media, InputMixable(member));
    }
  };
  // An Opus decode outweighs claiming a task, so Opus rooms spread member by member; a big room
  // of cheap codecs spreads in blocks of members.
  const bool opus_spread = opus_receivers_ >= kMinParallelCodecTasks;
  const size_t block = opus_spread ? 1 : kProduceBlockMembers;
  auto produce_block = [this, block, &produce](size_t task, size_t slot) {
    const size_t end = std::min(members_.size(), (task + 1) * block);
    for (size_t index = task * block; index < end; ++index) produce(index, slot);
  };
  const bool spread = parallel_codecs_ && (opus_spread || members_.size() >= kMinParallelProduceMembers);
  io::WorkerPool::Shared().Run((members_.size() + block - 1) / block, spread, produce_block);
  for (auto& media : members_) {
    stats.decodes += media->tick_decodes;
    stats.unvoiced_skips += media->tick_unvoiced_skips;
    stats.level_skips += media->tick_level_skips;
    stats.quiet_skips += media->tick_quiet_skips;
    media->tick_decodes = 0;
    media->tick_unvoiced_skips = 0;
    media->tick_level_skips = 0;
    media->tick_quiet_skips = 0;
  }
  mixer_->Mix();
  mixer_->ReleaseFinishedPlaybacks();  // a finished playback's PCM is freed here, rarely
  if (recordings_.size() != 0) {
    recordings_.Capture(*mixer_);
    recordings_.Poll(*mixer_, &recording_events_);
    for (const record::RecordingEvent& event : recording_events_) output.OnRecording(event);
    recording_events_.clear();
  }
  ticks_++;
  // Encodes: pick each sender's encoder (its own, or its group's shared one, encoded once), run
  // the encodes (Opus ones over the pool), then write every member's packet in member order.
  encode_tasks_.clear();
  size_t opus_encodes = 0;
  for (auto& media : members_) {
    const Member& member = *media->member;
    if (media->tick_audio) {
      // What the mix made of a decoded frame: the only evidence of how quiet the member is. Only
      // an Opus decode is worth skipping: a G.711 one costs less than the onset it could lose.
      const bool quiet = skip_unvoiced_ && member.quiet() && IsOpusReceiver(*media);
      media->quiet_run = quiet ? std::min(media->quiet_run + 1, kQuietRunFrames) : 0;
      media->tick_audio = false;
    }
    if (media->app) output.OnAppFrame(member.id(), member.output_frame(), frame);
    media->tick_encoder = nullptr;
    if (!media->sender) continue;
    const int group = member.output_group();
    FrameEncoder* encoder;
    bool encode = true;
    if (group == kRelateOutputGroup) {
      // It hears an earlier member's related frame: share that member's encode when the codec is the same.
      encoder = &media->sender->own_encoder();
      for (const EncodeTask& task : encode_tasks_) {
        if (shared_encodes_ && task.frame == member.output_frame() && SameEncoding(task.encoder->codec(), encoder->codec())) {
          encoder = task.encoder;
          encode = false;
          break;
        }
      }
    } else if (group == kPrivateOutputGroup || !shared_encodes_ || media->encoding < 0) {
      encoder = &media->sender->own_encoder();
      // Back from a shared encode: go on from that stream (the group's encoder still holds last
      // tick's state; encodes run below), not from this encoder's last private frame, whose
      // resampler and codec history would put a click of old audio into the stream.
      if (media->last_shared_group >= 0 && media->encoding >= 0) {
        encoder->ContinueFrom(*encodings_[static_cast<size_t>(media->encoding)].groups[static_cast<size_t>(media->last_shared_group)]);
      }
      media->last_shared_group = -1;
    } else {
      Encoding& encoding = encodings_[static_cast<size_t>(media->encoding)];
      encoder = encoding.groups[static_cast<size_t>(group)].get();
      encode = encoding.encoded_tick[static_cast<size_t>(group)] != ticks_;
      encoding.encoded_tick[static_cast<size_t>(group)] = ticks_;
      media->last_shared_group = group;
    }
    media->tick_encoder = encoder;
    if (!encode) continue;
    encode_tasks_.push_back(EncodeTask{encoder, member.output_frame()});
    if (encoder->codec().kind == CodecKind::kOpus) ++opus_encodes;
  }
  auto encode = [this](size_t index, size_t /*slot*/) {
    const EncodeTask& task = encode_tasks_[index];
    task.encoder->Encode(task.frame);
  };
  io::WorkerPool::Shared().Run(encode_tasks_.size(), parallel_codecs_ && opus_encodes >= kMinParallelCodecTasks, encode);
  stats.encodes = static_cast<uint32_t>(encode_tasks_.size());
  for (auto& media : members_) {
    if (!media->tick_encoder) continue;
    const size_t size = media->sender->WritePacket(*media->tick_encoder, packet_.data());
    if (size) {
      output.OnPacket(media->member->id(), packet_.data(), size);
      stats.packets++;
    }
  }
  last_tick_ = stats;
}

}  // namespace confmix
