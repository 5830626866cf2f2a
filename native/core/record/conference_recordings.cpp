#include "core/record/conference_recordings.h"

#include <algorithm>

namespace confmix::record {

const char* RecordingEventKindName(RecordingEventKind kind) {
  switch (kind) {
    case RecordingEventKind::kStarted: return "started";
    case RecordingEventKind::kDone: return "done";
    case RecordingEventKind::kFailed: return "failed";
  }
  return "unknown";
}

namespace {
Status Invalid(const std::string& message) { return Status::Error(StatusCode::kInvalidArgument, message); }
}  // namespace

Status ConferenceRecordings::Validate(const RecordingSpec& spec, const Conference& mixer) {
  if (spec.format != RecordingFormat::kWav && spec.format != RecordingFormat::kOggOpus)
    return Invalid("recording format must be wav or ogg-opus");
  if (spec.tracks.empty() || spec.tracks.size() > kMaxRecordingTracks)
    return Invalid("a recording has 1..256 tracks");
  if (spec.opus_bitrate != 0 && (spec.opus_bitrate < 6000 || spec.opus_bitrate > 510000))
    return Invalid("recording bitrate must be 6000..510000 bit/s");
  if (spec.buffer_ms < 200 || spec.buffer_ms > 60000) return Invalid("recording buffer must be 200..60000 ms");
  for (const TrackSpec& track : spec.tracks) {
    if (track.path.empty()) return Invalid("every recording track needs a path");
    if (track.source != TrackSource::kMix && track.source != TrackSource::kHears && track.source != TrackSource::kSays)
      return Invalid("a track records the mix, what a member hears or what it says");
    if (track.source != TrackSource::kMix && mixer.FindMember(track.member) == nullptr)
      return Status::Error(StatusCode::kNotFound, "member " + std::to_string(track.member) + " is not in the conference");
  }
  return Status::Ok();
}

Status ConferenceRecordings::Start(const RecordingSpec& spec, Conference& mixer) {
  Status valid = Validate(spec, mixer);
  if (!valid.ok()) return valid;
  for (const Active& active : active_)
    if (active.spec.id == spec.id) return Status::Error(StatusCode::kInvalidState, "recording already running");
  if (active_.size() >= kMaxRecordings) return Status::Error(StatusCode::kInvalidState, "too many recordings at once");
  std::vector<TrackOpener> openers;
  for (const TrackSpec& track : spec.tracks) {
    openers.push_back([format = spec.format, path = track.path, rate = mixer.rate(),
                       bitrate = spec.opus_bitrate](WriteError* error) {
      return OpenAudioFile(format, path, rate, bitrate, error);
    });
  }
  const size_t ring_frames = static_cast<size_t>((spec.buffer_ms + mixer.interval_ms() - 1) / mixer.interval_ms());
  Active active;
  active.spec = spec;
  active.recorder = std::make_unique<Recorder>(mixer.frame_samples(), ring_frames, std::move(openers));
  active_.reserve(active_.size() + 1);
  active_.push_back(std::move(active));
  UpdateListener(mixer);
  return Status::Ok();
}

Status ConferenceRecordings::Stop(uint32_t id, Conference& mixer) {
  for (Active& active : active_) {
    if (active.spec.id != id) continue;
    active.recorder->Stop();
    UpdateListener(mixer);
    return Status::Ok();
  }
  return Status::Error(StatusCode::kNotFound, "no such recording running");
}

void ConferenceRecordings::UpdateListener(Conference& mixer) const {
  bool listener = false;
  for (const Active& active : active_) {
    if (!active.recorder->accepting()) continue;
    for (const TrackSpec& track : active.spec.tracks) listener = listener || track.source == TrackSource::kMix;
  }
  mixer.set_record_listener(listener);
}

void ConferenceRecordings::Capture(const Conference& mixer) {
  for (Active& active : active_) {
    Recorder& recorder = *active.recorder;
    if (!recorder.accepting()) continue;
    for (size_t t = 0; t < active.spec.tracks.size(); ++t) {
      const TrackSpec& track = active.spec.tracks[t];
      const int16_t* frame = nullptr;
      const int32_t* wide = nullptr;
      if (track.source == TrackSource::kMix) {
        frame = mixer.ListenerFrame();
      } else if (const Member* member = mixer.FindMember(track.member)) {
        if (track.source == TrackSource::kHears)
          frame = member->output_frame();
        else if (member->contributed())
          wide = member->contribution();
      }
      if (!recorder.PushTrack(t, frame, wide)) break;
    }
  }
}

void ConferenceRecordings::Poll(Conference& mixer, std::vector<RecordingEvent>* out) {
  bool ended = false;
  for (Active& active : active_) {
    const RecorderProgress progress = active.recorder->Progress();
    const bool over = progress.state == RecorderState::kDone || progress.state == RecorderState::kFailed;
    const bool opened = progress.state == RecorderState::kRecording || progress.state == RecorderState::kDone ||
                        progress.frames > 0;
    if (!active.started_reported && opened) {
      RecordingEvent started;
      started.recording = active.spec.id;
      started.kind = RecordingEventKind::kStarted;
      out->push_back(std::move(started));
      active.started_reported = true;
    }
    if (!over) continue;
    RecordingEvent event;
    event.recording = active.spec.id;
    event.kind = progress.state == RecorderState::kDone ? RecordingEventKind::kDone : RecordingEventKind::kFailed;
    event.failure = progress.failure;
    event.frames = progress.frames;
    event.duration_ms = static_cast<double>(progress.frames) * mixer.interval_ms();
    event.track_bytes = progress.track_bytes;
    out->push_back(std::move(event));
    active.ended = true;
    ended = true;
  }
  if (!ended) {
    // A recording that fell behind takes no more frames: the mixer may stop rendering for it.
    UpdateListener(mixer);
    return;
  }
  active_.erase(std::remove_if(active_.begin(), active_.end(),
                               [](const Active& a) { return a.ended; }),
                active_.end());
  UpdateListener(mixer);
}

}  // namespace confmix::record
