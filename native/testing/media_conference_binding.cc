// MediaConference: a conference with RTP members, driven tick by tick from JavaScript (tests and
// tools; shards drive the same core from their media thread). Packets out come in one batch.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/arguments.h"
#include "addon/raw_class.h"
#include "testing/bindings.h"
#include "core/io/worker_pool.h"
#include "core/media/media_conference.h"

namespace confmix::addon {

namespace {

// Reads {receive?, send?, app?}: receive and send are codec options; receive may add
// telephoneEventPayloadType and telephoneEventClockRate.
bool ReadMemberMedia(Napi::Env env, const Napi::Value& value, MemberMediaConfig* media) {
  if (value.IsUndefined()) return true;
  if (!value.IsObject() || value.IsArray()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "member media must be an object like { receive, send, app }");
    return false;
  }
  const Napi::Object o = value.As<Napi::Object>();
  std::optional<bool> app;
  if (!ReadRtpMedia(env, o, media) || !ReadOptionalFlag(env, o, "app", &app)) return false;
  media->app = app.value_or(false);
  return true;
}

// Collects one tick's output into a single buffer plus an index of (member, offset, length).
class BatchOutput final : public MediaOutput {
 public:
  void OnPacket(uint32_t member, const uint8_t* data, size_t size) override {
    index.push_back(member);
    index.push_back(static_cast<uint32_t>(bytes.size()));
    index.push_back(static_cast<uint32_t>(size));
    bytes.insert(bytes.end(), data, data + size);
  }
  void OnAppFrame(uint32_t member, const int16_t* pcm, size_t samples) override {
    frame_index.push_back(member);
    frame_index.push_back(static_cast<uint32_t>(frames.size()));
    frame_index.push_back(static_cast<uint32_t>(samples));
    frames.insert(frames.end(), pcm, pcm + samples);
  }
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> index;
  std::vector<int16_t> frames;
  std::vector<uint32_t> frame_index;
};

// The complexity an encoder runs at, or null for codecs without one.
Napi::Value ComplexityValue(Napi::Env env, const FrameEncoder& encoder) {
  const int complexity = encoder.complexity();
  return complexity < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, complexity));
}

Napi::Object ReceiverStatsToObject(Napi::Env env, const MediaReceiver& receiver) {
  const ReceiverStats& s = receiver.stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("packets", static_cast<double>(s.packets));
  o.Set("bytes", static_cast<double>(s.bytes));
  o.Set("rtcp", static_cast<double>(s.rtcp));
  o.Set("dtmfKeys", static_cast<double>(s.dtmf_keys));
  o.Set("dtmfDropped", static_cast<double>(s.dtmf_dropped));
  o.Set("decodes", static_cast<double>(s.decodes));
  o.Set("skippedDecodes", static_cast<double>(s.skipped_decodes));
  o.Set("unvoicedSkips", static_cast<double>(s.unvoiced_skips));
  o.Set("levelSkips", static_cast<double>(s.level_skips));
  o.Set("quietSkips", static_cast<double>(s.quiet_skips));
  o.Set("concealed", static_cast<double>(s.concealed));
  o.Set("fecRecovered", static_cast<double>(s.fec_recovered));
  Napi::Object rejected = Napi::Object::New(env);
  for (size_t i = 0; i < s.rejected.size(); i++)
    rejected.Set(ReceiveRejectName(static_cast<ReceiveReject>(i)), static_cast<double>(s.rejected[i]));
  o.Set("rejected", rejected);
  Napi::Object malformed = Napi::Object::New(env);
  for (size_t i = 1; i < s.malformed.size(); i++)
    malformed.Set(rtp::RtpParseResultName(static_cast<rtp::RtpParseResult>(i)), static_cast<double>(s.malformed[i]));
  o.Set("malformed", malformed);
  const rtp::JitterBufferStats j = receiver.jitter_stats();
  Napi::Object jitter = Napi::Object::New(env);
  jitter.Set("lost", static_cast<double>(j.lost));
  jitter.Set("late", static_cast<double>(j.late));
  jitter.Set("duplicates", static_cast<double>(j.duplicates));
  jitter.Set("reordered", static_cast<double>(j.reordered));
  jitter.Set("ssrcChanges", static_cast<double>(j.ssrc_changes));
  jitter.Set("delayMs", j.delay_ms);
  jitter.Set("targetDelayMs", j.target_delay_ms);
  jitter.Set("jitterMs", j.jitter_ms);
  jitter.Set("bufferedMs", j.buffered_ms);
  jitter.Set("droppedDrift", static_cast<double>(j.dropped_drift));
  jitter.Set("inserted", static_cast<double>(j.inserted));
  jitter.Set("resyncs", static_cast<double>(j.resyncs));
  jitter.Set("timestampJumps", static_cast<double>(j.timestamp_jumps));
  o.Set("jitter", jitter);
  return o;
}

class MediaConferenceWrap {
 public:
  static constexpr const char* kName = "MediaConference";
  using Class = RawClass<MediaConferenceWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&MediaConferenceWrap::AddMember>("addMember"),
        Class::Method<&MediaConferenceWrap::RemoveMember>("removeMember"),
        Class::Method<&MediaConferenceWrap::SetMember>("setMember"),
        Class::Method<&MediaConferenceWrap::SetConference>("setConference"),
        Class::Method<&MediaConferenceWrap::PushRtp>("pushRtp"),
        Class::Method<&MediaConferenceWrap::PushPcm>("pushPcm"),
        Class::Method<&MediaConferenceWrap::Tick>("tick"),
        Class::Method<&MediaConferenceWrap::DrainEvents>("drainEvents"),
        Class::Method<&MediaConferenceWrap::SetSharedEncodes>("setSharedEncodes"),
        Class::Method<&MediaConferenceWrap::MemberStats>("memberStats"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    ConferenceOptions options;
    MediaConferenceOptions media;
    if (info.Length() < 1 || !ReadConferenceOptions(info.Env(), info[0], &options, &media)) {
      if (!info.Env().IsExceptionPending()) ThrowCoded(info.Env(), StatusCode::kInvalidArgument, "conference options must be an object");
      return false;
    }
    Status status;
    conference_ = MediaConference::Create(options, &status, media);
    return !ThrowIfFailed(info.Env(), status, "");
  }

 private:
  bool Ready(Napi::Env env) {
    if (conference_) return true;
    ThrowCoded(env, StatusCode::kInvalidState, "conference was not created");
    return false;
  }

  std::string Context(uint32_t id) { return "member " + std::to_string(id) + ": "; }

  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    MemberUpdate initial;
    MemberMediaConfig media;
    if (!Ready(env) || !ReadUint32Arg(info, 0, "member id", &id) ||
        !ReadMemberUpdate(env, info.Length() > 1 ? info[1] : env.Undefined(), &initial) ||
        !ReadMemberMedia(env, info.Length() > 2 ? info[2] : env.Undefined(), &media))
      return env.Undefined();
    std::string error;
    const Status status = conference_->AddMember(id, initial, media, &error);
    if (!status.ok()) ThrowCoded(env, status.code, Context(id) + status.message + (error.empty() ? "" : ": " + error));
    return env.Undefined();
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    uint32_t id = 0;
    if (Ready(info.Env()) && ReadUint32Arg(info, 0, "member id", &id))
      ThrowIfFailed(info.Env(), conference_->RemoveMember(id), Context(id));
    return info.Env().Undefined();
  }

  Napi::Value SetMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    MemberUpdate update;
    if (Ready(env) && ReadUint32Arg(info, 0, "member id", &id) &&
        ReadMemberUpdate(env, info.Length() > 1 ? info[1] : env.Undefined(), &update))
      ThrowIfFailed(env, conference_->mixer().UpdateMember(id, update), Context(id));
    return env.Undefined();
  }

  Napi::Value SetConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    std::optional<bool> mute, hold;
    if (!Ready(env) || !ReadObjectArg(info, 0, "conference settings", &o) ||
        !ReadOptionalFlag(env, o, "mute", &mute) || !ReadOptionalFlag(env, o, "hold", &hold))
      return env.Undefined();
    if (mute) conference_->mixer().SetMute(*mute);
    if (hold) conference_->mixer().SetHold(*hold);
    return env.Undefined();
  }

  Napi::Value PushRtp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadUint32Arg(info, 0, "member id", &id)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "packet must be a Uint8Array");
      return env.Undefined();
    }
    const Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    double arrival_ms = 0;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsNumber()) {
        ThrowCoded(env, StatusCode::kInvalidArgument, "arrivalMs must be a number");
        return env.Undefined();
      }
      arrival_ms = info[2].As<Napi::Number>().DoubleValue();
    }
    if (!conference_->receiver(id)) {
      ThrowCoded(env, StatusCode::kNotFound, Context(id) + "unknown member or no receive path");
      return env.Undefined();
    }
    const ReceiveResult result = conference_->OnDatagram(id, bytes.Data(), bytes.ByteLength(), arrival_ms);
    Napi::Object o = Napi::Object::New(env);
    o.Set("valid", result.valid);
    o.Set("key", result.key ? Napi::Value(Napi::String::New(env, std::string(1, result.key))) : env.Null());
    o.Set("reject", result.reject ? Napi::Value(Napi::String::New(env, ReceiveRejectName(*result.reject))) : env.Null());
    return o;
  }

  Napi::Value PushPcm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadUint32Arg(info, 0, "member id", &id)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "pcm must be an Int16Array");
      return env.Undefined();
    }
    const Napi::Int16Array pcm = info[1].As<Napi::Int16Array>();
    ThrowIfFailed(env, conference_->PushAppPcm(id, pcm.Data(), pcm.ElementLength()), Context(id));
    return env.Undefined();
  }

  // tick({ threadLoad? }): threadLoad (0..1, default 0) stands in for the media thread's load.
  Napi::Value Tick(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    double thread_load = 0;
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsObject() || info[0].IsArray()) {
        ThrowCoded(env, StatusCode::kInvalidArgument, "tick options must be an object like { threadLoad }");
        return env.Undefined();
      }
      const Napi::Value load = info[0].As<Napi::Object>().Get("threadLoad");
      if (!load.IsUndefined()) {
        const double value = load.IsNumber() ? load.As<Napi::Number>().DoubleValue() : -1;
        if (!(value >= 0 && value <= 1)) {
          ThrowCoded(env, StatusCode::kInvalidArgument, "threadLoad must be a number in 0..1");
          return env.Undefined();
        }
        thread_load = value;
      }
    }
    output_.bytes.clear();
    output_.index.clear();
    output_.frames.clear();
    output_.frame_index.clear();
    conference_->Tick(output_, thread_load);
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", Napi::Buffer<uint8_t>::Copy(env, output_.bytes.data(), output_.bytes.size()));
    // An empty typed array has no storage (a null Data()): memcpy must not be handed it.
    auto copy = [](void* to, const void* from, size_t bytes) {
      if (bytes > 0) std::memcpy(to, from, bytes);
    };
    Napi::Uint32Array index = Napi::Uint32Array::New(env, output_.index.size());
    copy(index.Data(), output_.index.data(), output_.index.size() * sizeof(uint32_t));
    o.Set("packetIndex", index);
    Napi::Int16Array frames = Napi::Int16Array::New(env, output_.frames.size());
    copy(frames.Data(), output_.frames.data(), output_.frames.size() * sizeof(int16_t));
    o.Set("frames", frames);
    Napi::Uint32Array frame_index = Napi::Uint32Array::New(env, output_.frame_index.size());
    copy(frame_index.Data(), output_.frame_index.data(), output_.frame_index.size() * sizeof(uint32_t));
    o.Set("frameIndex", frame_index);
    o.Set("encodes", conference_->last_tick().encodes);
    o.Set("decodes", conference_->last_tick().decodes);
    o.Set("unvoicedSkips", conference_->last_tick().unvoiced_skips);
    o.Set("levelSkips", conference_->last_tick().level_skips);
    o.Set("quietSkips", conference_->last_tick().quiet_skips);
    o.Set("complexityShed", conference_->last_tick().complexity_shed);
    return o;
  }

  Napi::Value DrainEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    Napi::Array out = Napi::Array::New(env);
    MixerEvent event;
    uint32_t n = 0;
    while (conference_->mixer().PopEvent(&event)) out.Set(n++, EventToObject(env, event));
    return out;
  }

  Napi::Value SetSharedEncodes(const Napi::CallbackInfo& info) {
    if (!Ready(info.Env())) return info.Env().Undefined();
    if (info.Length() < 1 || !info[0].IsBoolean()) {
      ThrowCoded(info.Env(), StatusCode::kInvalidArgument, "shared must be a boolean");
      return info.Env().Undefined();
    }
    conference_->set_shared_encodes(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  }

  Napi::Value MemberStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadUint32Arg(info, 0, "member id", &id)) return env.Undefined();
    if (!conference_->mixer().FindMember(id)) {
      ThrowCoded(env, StatusCode::kNotFound, Context(id) + "unknown member");
      return env.Undefined();
    }
    Napi::Object o = Napi::Object::New(env);
    if (const MediaReceiver* receiver = conference_->receiver(id)) o.Set("receive", ReceiverStatsToObject(env, *receiver));
    if (const MediaSender* sender = conference_->sender(id)) {
      Napi::Object send = Napi::Object::New(env);
      send.Set("ssrc", sender->rtp().ssrc());
      send.Set("packets", sender->rtp().packets_sent());
      send.Set("bytes", sender->rtp().octets_sent());
      send.Set("complexity", ComplexityValue(env, sender->own_encoder()));
      Napi::Array shared = Napi::Array::New(env);
      for (int group = 0; group < kOutputGroupCount; group++) {
        if (const FrameEncoder* encoder = conference_->shared_encoder(id, group))
          shared.Set(static_cast<uint32_t>(group), ComplexityValue(env, *encoder));
      }
      send.Set("sharedComplexities", shared);
      o.Set("send", send);
    }
    return o;
  }

  std::unique_ptr<MediaConference> conference_;
  BatchOutput output_;
};

}  // namespace

// workerPoolStats() -> {workers, helped, realtimePriority}: the process's helper threads, how
// many tasks they took from media threads so far, and their SCHED_FIFO priority (0: ordinary).
Napi::Value WorkerPoolStats(const Napi::CallbackInfo& info) {
  const io::WorkerPool& pool = io::WorkerPool::Shared();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("workers", static_cast<double>(pool.workers()));
  out.Set("helped", static_cast<double>(pool.helped()));
  out.Set("realtimePriority", pool.realtime_priority());
  return out;
}

void RegisterMediaConference(Napi::Env env, Napi::Object exports) {
  if (napi_value c = MediaConferenceWrap::Define(env)) exports.Set("MediaConference", Napi::Value(env, c));
  exports.Set("workerPoolStats", Napi::Function::New(env, WorkerPoolStats, "workerPoolStats"));
}

}  // namespace confmix::addon
