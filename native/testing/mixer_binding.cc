// MixerConference: the JS face of core/mix/Conference. Checks every argument, moves frames and
// events, and throws JS errors with a stable `code` (the core never throws).
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "addon/arguments.h"
#include "addon/raw_class.h"
#include "testing/bindings.h"
#include "core/dsp/comfort_noise.h"
#include "core/dsp/energy.h"
#include "core/frame.h"
#include "core/mix/conference.h"

namespace confmix::addon {

namespace {

bool ReadMemberId(const Napi::CallbackInfo& info, uint32_t* id) { return ReadUint32Arg(info, 0, "member id", id); }

std::string MemberContext(uint32_t id) { return "member " + std::to_string(id) + ": "; }

bool ReadPlaybackId(const Napi::CallbackInfo& info, uint32_t* id) { return ReadUint32Arg(info, 0, "playback id", id); }

std::string PlaybackContext(uint32_t id) { return "playback " + std::to_string(id) + ": "; }

class MixerConference {
 public:
  static constexpr const char* kName = "MixerConference";
  using Class = RawClass<MixerConference>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&MixerConference::AddMember>("addMember"),
        Class::Method<&MixerConference::RemoveMember>("removeMember"),
        Class::Method<&MixerConference::SetMember>("setMember"),
        Class::Method<&MixerConference::GetMember>("getMember"),
        Class::Method<&MixerConference::SetConference>("setConference"),
        Class::Method<&MixerConference::GetConference>("getConference"),
        Class::Method<&MixerConference::PushFrame>("pushFrame"),
        Class::Method<&MixerConference::PressKey>("pressKey"),
        Class::Method<&MixerConference::Relate>("relate"),
        Class::Method<&MixerConference::StartPlayback>("startPlayback"),
        Class::Method<&MixerConference::StopPlayback>("stopPlayback"),
        Class::Method<&MixerConference::Tick>("tick"),
        Class::Method<&MixerConference::ReadFrame>("readFrame"),
        Class::Method<&MixerConference::DrainEvents>("drainEvents"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ConferenceOptions options;
    if (info.Length() < 1) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "conference options must be an object");
      return false;
    }
    if (!ReadConferenceOptions(env, info[0], &options)) return false;
    Status status;
    conference_ = Conference::Create(options, &status);
    return !ThrowIfFailed(env, status, "");
  }

 private:
  // Every method starts here: a conference whose constructor threw has nothing to act on.
  bool Ready(Napi::Env env) {
    if (conference_) return true;
    ThrowCoded(env, StatusCode::kInvalidState, "conference was not created");
    return false;
  }

  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    MemberUpdate initial;
    if (!Ready(env) || !ReadMemberId(info, &id) || !ReadMemberUpdate(env, info[1], &initial)) return env.Undefined();
    ThrowIfFailed(env, conference_->AddMember(id, initial), MemberContext(id));
    return env.Undefined();
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    ThrowIfFailed(env, conference_->RemoveMember(id), MemberContext(id));
    return env.Undefined();
  }

  Napi::Value SetMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    MemberUpdate update;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    if (!info[1].IsObject()) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "member settings must be an object");
      return env.Undefined();
    }
    if (!ReadMemberUpdate(env, info[1], &update)) return env.Undefined();
    ThrowIfFailed(env, conference_->UpdateMember(id, update), MemberContext(id));
    return env.Undefined();
  }

  Napi::Value GetMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    MemberState s;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    if (ThrowIfFailed(env, conference_->GetMember(id, &s), MemberContext(id))) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, s.id));
    o.Set("mute", Napi::Boolean::New(env, s.mute));
    o.Set("deaf", Napi::Boolean::New(env, s.deaf));
    o.Set("hold", Napi::Boolean::New(env, s.hold));
    o.Set("talkLevel", Napi::Number::New(env, s.talk_level));
    o.Set("listenLevel", Napi::Number::New(env, s.listen_level));
    o.Set("energyLevel", Napi::Number::New(env, s.energy_level));
    o.Set("energy", Napi::Number::New(env, s.energy));
    o.Set("gateOpen", Napi::Boolean::New(env, s.gate_open));
    o.Set("talking", Napi::Boolean::New(env, s.talking));
    o.Set("contributed", Napi::Boolean::New(env, s.contributed));
    o.Set("outputGroup", Napi::Number::New(env, s.output_group));
    o.Set("playbacks", Napi::Number::New(env, s.playbacks));
    return o;
  }

  Napi::Value SetConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "conference settings must be an object");
      return env.Undefined();
    }
    const Napi::Object o = info[0].As<Napi::Object>();
    std::optional<bool> mute, hold;
    if (!ReadOptionalFlag(env, o, "mute", &mute) || !ReadOptionalFlag(env, o, "hold", &hold)) return env.Undefined();
    if (mute) conference_->SetMute(*mute);
    if (hold) conference_->SetHold(*hold);
    return env.Undefined();
  }

  Napi::Value GetConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    const ConferenceOptions& options = conference_->options();
    Napi::Object o = Napi::Object::New(env);
    o.Set("rate", Napi::Number::New(env, options.rate));
    o.Set("interval", Napi::Number::New(env, options.interval_ms));
    o.Set("frameSamples", Napi::Number::New(env, static_cast<double>(conference_->frame_samples())));
    o.Set("energyLevel", Napi::Number::New(env, options.energy_threshold));
    o.Set("hangoverMs", Napi::Number::New(env, options.hangover_ms));
    o.Set("maxActiveTalkers", Napi::Number::New(env, options.max_active_talkers));
    o.Set("hangoverFrames", Napi::Number::New(env, conference_->hangover_frames()));
    if (options.comfort_noise_dbfs)
      o.Set("comfortNoiseDbfs", Napi::Number::New(env, *options.comfort_noise_dbfs));
    else
      o.Set("comfortNoiseDbfs", env.Null());
    o.Set("digits", options.digits == DigitsMode::kInterpret ? "interpret" : "passthru");
    o.Set("mute", Napi::Boolean::New(env, conference_->muted()));
    o.Set("hold", Napi::Boolean::New(env, conference_->held()));
    o.Set("members", Napi::Number::New(env, static_cast<double>(conference_->member_count())));
    o.Set("tick", Napi::Number::New(env, static_cast<double>(conference_->tick_count())));
    o.Set("droppedEvents", Napi::Number::New(env, static_cast<double>(conference_->dropped_events())));
    o.Set("idle", Napi::Boolean::New(env, conference_->idle()));
    o.Set("playbacks", Napi::Number::New(env, static_cast<double>(conference_->playback_count())));
    o.Set("mixedMembers", Napi::Number::New(env, static_cast<double>(conference_->mixed_members())));
    o.Set("renderedOutputs", Napi::Number::New(env, static_cast<double>(conference_->rendered_outputs())));
    return o;
  }

  Napi::Value PushFrame(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "frame must be an Int16Array");
      return env.Undefined();
    }
    const Napi::Int16Array frame = info[1].As<Napi::Int16Array>();
    if (frame.ElementLength() != conference_->frame_samples()) {
      ThrowCoded(env, StatusCode::kInvalidArgument,
                 "frame must hold " + std::to_string(conference_->frame_samples()) + " samples, got " +
                     std::to_string(frame.ElementLength()));
      return env.Undefined();
    }
    ThrowIfFailed(env, conference_->PushFrame(id, frame.Data(), frame.ElementLength()), MemberContext(id));
    return env.Undefined();
  }

  // relate(id, other, relationship): 'deaf', 'mute' or 'clear' (see core/mix/relate.h).
  Napi::Value Relate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0, other = 0;
    Relationship relationship;
    if (!Ready(env) || !ReadMemberId(info, &id) || !ReadUint32Arg(info, 1, "other member id", &other) ||
        !ReadRelationship(info, 2, &relationship))
      return env.Undefined();
    ThrowIfFailed(env, conference_->Relate(id, other, relationship), MemberContext(id));
    return env.Undefined();
  }

  Napi::Value PressKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    const std::string key = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
    if (key.size() != 1 || !IsDtmfKey(key[0])) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "key must be one of 0-9, * or #");
      return env.Undefined();
    }
    ThrowIfFailed(env, conference_->PressKey(id, key[0]), MemberContext(id));
    return env.Undefined();
  }

  // startPlayback(id, pcm: Int16Array, { loop?: boolean, member?: number })
  Napi::Value StartPlayback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadPlaybackId(info, &id)) return env.Undefined();
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
      ThrowCoded(env, StatusCode::kInvalidArgument, PlaybackContext(id) + "pcm must be an Int16Array");
      return env.Undefined();
    }
    const Napi::Int16Array pcm = info[1].As<Napi::Int16Array>();
    if (pcm.ElementLength() == 0) {
      ThrowCoded(env, StatusCode::kInvalidArgument, PlaybackContext(id) + "pcm must hold at least one sample");
      return env.Undefined();
    }
    std::optional<bool> loop;
    std::optional<uint32_t> member;
    const Napi::Value options = info[2];
    if (!options.IsUndefined()) {
      if (!options.IsObject() || options.IsArray()) {
        ThrowCoded(env, StatusCode::kInvalidArgument, PlaybackContext(id) + "playback options must be an object");
        return env.Undefined();
      }
      const Napi::Object o = options.As<Napi::Object>();
      if (!ReadOptionalFlag(env, o, "loop", &loop)) return env.Undefined();
      const Napi::Value target = o.Get("member");
      if (!target.IsUndefined()) {
        int64_t v = 0;
        if (!ReadInteger(target, 0, 4294967295.0, &v)) {
          ThrowCoded(env, StatusCode::kInvalidArgument, PlaybackContext(id) + "member must be an integer in 0..4294967295");
          return env.Undefined();
        }
        member = static_cast<uint32_t>(v);
      }
    }
    // The one copy: JS memory may move or change, the mix reads its own.
    std::shared_ptr<const std::vector<int16_t>> samples =
        std::make_shared<std::vector<int16_t>>(pcm.Data(), pcm.Data() + pcm.ElementLength());
    ThrowIfFailed(env, conference_->StartPlayback(id, std::move(samples), loop.value_or(false), member),
                  PlaybackContext(id));
    return env.Undefined();
  }

  Napi::Value StopPlayback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadPlaybackId(info, &id)) return env.Undefined();
    ThrowIfFailed(env, conference_->StopPlayback(id), PlaybackContext(id));
    return env.Undefined();
  }

  Napi::Value Tick(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    conference_->Mix();
    conference_->ReleaseFinishedPlaybacks();  // here, not in Mix(): it may free PCM
    return env.Undefined();
  }

  Napi::Value ReadFrame(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = 0;
    if (!Ready(env) || !ReadMemberId(info, &id)) return env.Undefined();
    const int16_t* frame = conference_->OutputFrame(id);
    if (frame == nullptr) {
      ThrowCoded(env, StatusCode::kNotFound, MemberContext(id) + "no such member");
      return env.Undefined();
    }
    const size_t n = conference_->frame_samples();
    Napi::Int16Array copy = Napi::Int16Array::New(env, n);
    std::memcpy(copy.Data(), frame, n * sizeof(int16_t));
    return copy;
  }

  Napi::Value DrainEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    Napi::Array events = Napi::Array::New(env, conference_->pending_events());
    MixerEvent e;
    uint32_t i = 0;
    while (conference_->PopEvent(&e)) events.Set(i++, EventToObject(env, e));
    return events;
  }

  std::unique_ptr<Conference> conference_;
};

}  // namespace

void RegisterMixer(Napi::Env env, Napi::Object exports) {
  if (napi_value c = MixerConference::Define(env)) exports.Set("MixerConference", Napi::Value(env, c));
}

}  // namespace confmix::addon
