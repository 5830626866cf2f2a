#include "arguments.h"

#include <cmath>
#include <cstring>

#include "core/codec/codec_factory.h"
#include "core/dsp/comfort_noise.h"
#include "core/dsp/energy.h"
#include "core/frame.h"
#include "core/rtp/audio_level.h"

namespace confmix::addon {

void ThrowCoded(Napi::Env env, StatusCode code, const std::string& message) {
  // Plain N-API: node-addon-api's throw aborts the process when the environment is shutting
  // down (a worker being terminated), where there is simply nobody left to tell.
  napi_value code_value = nullptr;
  napi_value message_value = nullptr;
  napi_value error = nullptr;
  if (napi_create_string_utf8(env, StatusCodeName(code), NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message.c_str(), message.size(), &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok) {
    return;
  }
  napi_throw(env, error);
}

bool ThrowIfFailed(Napi::Env env, const Status& status, const std::string& context) {
  if (status.ok()) return false;
  ThrowCoded(env, status.code, context + status.message);
  return true;
}

bool ReadInteger(const Napi::Value& value, double min, double max, int64_t* out) {
  if (!value.IsNumber()) return false;
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > max) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ReadInteger(const Napi::Value& value, double min, double max, double* out) {
  int64_t wide = 0;
  if (!ReadInteger(value, min, max, &wide)) return false;
  *out = static_cast<double>(wide);
  return true;
}

bool ReadInteger(const Napi::Value& value, double min, double max, int* out) {
  int64_t wide = 0;
  if (!ReadInteger(value, min, max, &wide)) return false;
  *out = static_cast<int>(wide);
  return true;
}

bool ReadNamedInteger(Napi::Env env, const Napi::Value& value, const char* name, double min, double max,
                      double* out) {
  if (!value.IsNumber()) {
    ThrowInvalid(env, std::string(name) + " must be a number");
    return false;
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::floor(number) != number || number < min || number > max) {
    ThrowInvalid(env, std::string(name) + " must be an integer in [" + std::to_string(static_cast<int64_t>(min)) +
                          ", " + std::to_string(static_cast<int64_t>(max)) + "]");
    return false;
  }
  *out = number;
  return true;
}

bool IsInt16Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int16_array;
}

bool IsUint8Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

bool ReadInt16Array(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Int16Array* out) {
  if (info.Length() <= index || !IsInt16Array(info[index])) {
    ThrowInvalid(info.Env(), std::string(what) + " must be an Int16Array");
    return false;
  }
  *out = info[index].As<Napi::Int16Array>();
  return true;
}

bool ReadUint8Array(Napi::Env env, const Napi::Value& value, const char* what, Napi::Uint8Array* out) {
  if (!IsUint8Array(value)) {
    ThrowInvalid(env, std::string(what) + " must be a Uint8Array");
    return false;
  }
  *out = value.As<Napi::Uint8Array>();
  return true;
}

bool ReadUint8Array(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Uint8Array* out) {
  return ReadUint8Array(info.Env(), info.Length() > index ? info[index] : info.Env().Undefined(), what, out);
}

Napi::Int16Array CopyToInt16Array(Napi::Env env, const int16_t* samples, size_t count) {
  Napi::Int16Array out;
  if (NewTypedArray(env, count, &out) && count > 0) std::memcpy(out.Data(), samples, count * sizeof(int16_t));
  return out;
}

Napi::Uint8Array CopyToUint8Array(Napi::Env env, const uint8_t* data, size_t size) {
  Napi::Uint8Array out;
  if (NewTypedArray(env, size, &out) && size > 0) std::memcpy(out.Data(), data, size);
  return out;
}

bool ReadUint32Arg(const Napi::CallbackInfo& info, size_t index, const char* what, uint32_t* out) {
  int64_t v = 0;
  if (info.Length() <= index || !ReadInteger(info[index], 0, 4294967295.0, &v)) {
    ThrowCoded(info.Env(), StatusCode::kInvalidArgument, std::string(what) + " must be an integer in 0..4294967295");
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool GetProperty(Napi::Env env, const Napi::Object& object, const char* name, Napi::Value* out) {
  napi_value value = nullptr;
  if (napi_get_named_property(env, object, name, &value) != napi_ok) return false;
  *out = Napi::Value(env, value);
  return true;
}

bool ReadRelationship(const Napi::CallbackInfo& info, size_t index, Relationship* out) {
  const std::string name = info.Length() > index && info[index].IsString() ? info[index].As<Napi::String>().Utf8Value() : "";
  if (name == "deaf") *out = Relationship::kDeaf;
  else if (name == "mute") *out = Relationship::kMute;
  else if (name == "clear") *out = Relationship::kClear;
  else {
    ThrowCoded(info.Env(), StatusCode::kInvalidArgument, "relationship must be 'deaf', 'mute' or 'clear'");
    return false;
  }
  return true;
}

bool ReadOptionalFlag(Napi::Env env, const Napi::Object& object, const char* name, std::optional<bool>* out) {
  Napi::Value v;
  if (!GetProperty(env, object, name, &v)) return false;
  if (v.IsUndefined()) return true;
  if (!v.IsBoolean()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, std::string(name) + " must be a boolean");
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool ReadOptionalFlag(Napi::Env env, const Napi::Object& object, const char* name, bool* out, bool* present) {
  std::optional<bool> flag;
  if (!ReadOptionalFlag(env, object, name, &flag)) return false;
  if (present != nullptr) *present = flag.has_value();
  if (flag) *out = *flag;
  return true;
}

bool ReadOptionalInt(Napi::Env env, const Napi::Object& object, const char* name, int min, int max, int* out) {
  std::optional<int> number;
  if (!ReadOptionalInt(env, object, name, min, max, &number)) return false;
  if (number) *out = *number;
  return true;
}

bool ReadOptionalString(Napi::Env env, const Napi::Object& object, const char* name, std::string* out,
                        bool* present) {
  Napi::Value v;
  if (!GetProperty(env, object, name, &v)) return false;
  *present = !v.IsUndefined();
  if (!*present) return true;
  if (!v.IsString()) {
    ThrowInvalid(env, std::string(name) + " must be a string");
    return false;
  }
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

bool ReadOptionalInt(Napi::Env env, const Napi::Object& object, const char* name, int min, int max,
                     std::optional<int>* out) {
  Napi::Value v;
  if (!GetProperty(env, object, name, &v)) return false;
  if (v.IsUndefined()) return true;
  int64_t parsed = 0;
  if (!ReadInteger(v, min, max, &parsed)) {
    ThrowCoded(env, StatusCode::kInvalidArgument,
               std::string(name) + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return false;
  }
  *out = static_cast<int>(parsed);
  return true;
}

bool ReadObjectArg(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Object* out) {
  if (info.Length() <= index || !info[index].IsObject() || info[index].IsArray() || info[index].IsFunction()) {
    ThrowCoded(info.Env(), StatusCode::kInvalidArgument, std::string(what) + " must be an object");
    return false;
  }
  *out = info[index].As<Napi::Object>();
  return true;
}

bool ReadMemberUpdate(Napi::Env env, const Napi::Value& value, MemberUpdate* update) {
  if (value.IsUndefined()) return true;
  if (!value.IsObject() || value.IsArray()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "member settings must be an object");
    return false;
  }
  const Napi::Object o = value.As<Napi::Object>();
  return ReadOptionalFlag(env, o, "mute", &update->mute) && ReadOptionalFlag(env, o, "deaf", &update->deaf) &&
         ReadOptionalFlag(env, o, "hold", &update->hold) &&
         ReadOptionalInt(env, o, "talkLevel", kMinVolumeLevel, kMaxVolumeLevel, &update->talk_level) &&
         ReadOptionalInt(env, o, "listenLevel", kMinVolumeLevel, kMaxVolumeLevel, &update->listen_level) &&
         ReadOptionalInt(env, o, "energyLevel", 0, kMaxEnergyScore, &update->energy_level) &&
         ReadOptionalFlag(env, o, "trunk", &update->trunk);
}

bool ReadConferenceOptions(Napi::Env env, const Napi::Value& value, ConferenceOptions* options,
                           MediaConferenceOptions* media) {
  if (!value.IsObject() || value.IsArray()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "conference options must be an object");
    return false;
  }
  const Napi::Object o = value.As<Napi::Object>();
  int64_t v = 0;
  if (!ReadInteger(o.Get("rate"), 0, 1e9, &v) || !IsSupportedRate(static_cast<int>(v))) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "rate must be 8000, 16000, 24000, 32000 or 48000");
    return false;
  }
  options->rate = static_cast<int>(v);
  if (!ReadInteger(o.Get("interval"), 0, 1e9, &v) || !IsSupportedIntervalMs(static_cast<int>(v))) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "interval must be 10, 20, 40 or 60 (ms)");
    return false;
  }
  options->interval_ms = static_cast<int>(v);
  std::optional<int> energy, hangover, max_active;
  if (!ReadOptionalInt(env, o, "energyLevel", 0, kMaxEnergyScore, &energy) ||
      !ReadOptionalInt(env, o, "hangoverMs", 0, kMaxHangoverMs, &hangover) ||
      !ReadOptionalInt(env, o, "maxActiveTalkers", 0, kMaxActiveTalkersLimit, &max_active))
    return false;
  if (energy) options->energy_threshold = *energy;
  if (hangover) options->hangover_ms = *hangover;
  if (max_active) options->max_active_talkers = *max_active;
  const Napi::Value noise = o.Get("comfortNoiseDbfs");
  if (noise.IsNull()) {
    options->comfort_noise_dbfs.reset();
  } else if (!noise.IsUndefined()) {
    if (!noise.IsNumber() || !IsValidComfortNoiseDbfs(noise.As<Napi::Number>().DoubleValue())) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "comfortNoiseDbfs must be a number in -100..0, or null for off");
      return false;
    }
    options->comfort_noise_dbfs = noise.As<Napi::Number>().DoubleValue();
  }
  const Napi::Value digits = o.Get("digits");
  if (!digits.IsUndefined()) {
    const std::string mode = digits.IsString() ? digits.As<Napi::String>().Utf8Value() : std::string();
    if (mode == "interpret") {
      options->digits = DigitsMode::kInterpret;
    } else if (mode == "passthru") {
      options->digits = DigitsMode::kPassthru;
    } else {
      ThrowCoded(env, StatusCode::kInvalidArgument, "digits must be 'interpret' or 'passthru'");
      return false;
    }
  }
  std::optional<bool> adaptive;
  if (!ReadOptionalFlag(env, o, "adaptiveComplexity", &adaptive)) return false;
  if (media && adaptive) media->adaptive_complexity = *adaptive;
  std::optional<bool> parallel;
  if (!ReadOptionalFlag(env, o, "parallelCodecs", &parallel)) return false;
  if (media && parallel) media->parallel_codecs = *parallel;
  std::optional<bool> skip_unvoiced;
  if (!ReadOptionalFlag(env, o, "skipUnvoiced", &skip_unvoiced)) return false;
  if (media && skip_unvoiced) media->skip_unvoiced = *skip_unvoiced;
  return true;
}

bool ReadCodecParams(Napi::Env env, const Napi::Value& value, CodecParams* params) {
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "codec options must be an object like { codec: 'opus' }");
    return false;
  }
  const Napi::Object options = value.As<Napi::Object>();
  const Napi::Value codec = options.Get("codec");
  const std::string name = codec.IsString() ? codec.As<Napi::String>().Utf8Value() : std::string();
  if (!ParseCodecName(name, &params->kind)) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "codec must be 'pcmu', 'pcma', 'l16' or 'opus'");
    return false;
  }
  params->clock_rate = params->kind == CodecKind::kOpus ? 48000 : 8000;
  if (params->kind == CodecKind::kL16 && options.Get("clockRate").IsUndefined()) {
    ThrowCoded(env, StatusCode::kInvalidArgument, "l16 needs clockRate (8000, 12000, 16000, 24000, 32000 or 48000)");
    return false;
  }
  std::optional<int> payload_type, clock_rate, pcm_rate, channels, bitrate, max_bitrate, complexity;
  std::optional<bool> fec, dtx;
  if (!ReadOptionalInt(env, options, "payloadType", 0, 127, &payload_type) ||
      !ReadOptionalInt(env, options, "clockRate", 1, 1000000, &clock_rate) ||
      !ReadOptionalInt(env, options, "pcmRate", 0, 48000, &pcm_rate) ||
      !ReadOptionalInt(env, options, "channels", 1, 255, &channels) ||
      !ReadOptionalFlag(env, options, "fec", &fec) || !ReadOptionalFlag(env, options, "dtx", &dtx) ||
      !ReadOptionalInt(env, options, "bitrate", 0, 510000, &bitrate) ||
      !ReadOptionalInt(env, options, "maxBitrate", 0, 510000, &max_bitrate) ||
      !ReadOptionalInt(env, options, "complexity", 0, 10, &complexity))
    return false;
  if (payload_type) params->payload_type = *payload_type;
  else if (params->kind == CodecKind::kPcmu) params->payload_type = 0;
  else if (params->kind == CodecKind::kPcma) params->payload_type = 8;
  else params->payload_type = params->kind == CodecKind::kOpus ? 111 : 96;
  if (clock_rate) params->clock_rate = *clock_rate;
  if (channels) params->channels = *channels;
  if (pcm_rate) params->pcm_rate = *pcm_rate;
  if (fec) params->inband_fec = *fec;
  if (dtx) params->dtx = *dtx;
  if (bitrate) params->bitrate = *bitrate;
  if (max_bitrate) params->max_bitrate = *max_bitrate;
  if (complexity) params->complexity = *complexity;
  std::string error;
  if (!ValidateCodecParams(*params, &error)) {
    ThrowCoded(env, StatusCode::kInvalidArgument, error);
    return false;
  }
  return true;
}

bool ReadCodecParamsArg(const Napi::CallbackInfo& info, CodecParams* params) {
  if (info.Length() < 1) {
    ThrowInvalid(info.Env(), "options must be an object like { codec: 'opus' }");
    return false;
  }
  return ReadCodecParams(info.Env(), info[0], params);
}

bool ReadRtpMedia(Napi::Env env, const Napi::Object& leg, MemberMediaConfig* media) {
  const Napi::Value receive = leg.Get("receive");
  if (!receive.IsUndefined()) {
    ReceiverConfig config;
    if (!ReadCodecParams(env, receive, &config.codec)) return false;
    std::optional<int> te_pt, te_clock, audio_level;
    const Napi::Object r = receive.As<Napi::Object>();
    if (!ReadOptionalInt(env, r, "telephoneEventPayloadType", 0, 127, &te_pt) ||
        !ReadOptionalInt(env, r, "telephoneEventClockRate", 8000, 48000, &te_clock) ||
        !ReadOptionalInt(env, r, "audioLevelExtensionId", 1, rtp::kMaxHeaderExtensionId, &audio_level))
      return false;
    if (te_pt) config.telephone_event_pt = *te_pt;
    if (audio_level) config.audio_level_id = *audio_level;
    config.telephone_event_clock = te_clock.value_or(config.codec.kind == CodecKind::kOpus ? 48000 : 8000);
    media->receive = config;
  }
  const Napi::Value send = leg.Get("send");
  if (!send.IsUndefined()) {
    SenderConfig config;
    if (!ReadCodecParams(env, send, &config.codec)) return false;
    std::optional<uint32_t> ssrc;
    if (!ReadOptionalNamedInteger(env, send.As<Napi::Object>().Get("ssrc"), "ssrc", 0, 4294967295.0, &ssrc))
      return false;
    config.ssrc = ssrc;
    media->send = config;
  }
  return true;
}

Napi::Object EventToObject(Napi::Env env, const MixerEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", EventTypeName(e.type));
  if (e.type == EventType::kPlaybackDone) {
    o.Set("playback", Napi::Number::New(env, e.playback));
    o.Set("member", e.targeted ? Napi::Value(Napi::Number::New(env, e.member)) : env.Null());
    o.Set("reason", PlaybackEndReasonName(e.reason));
  } else {
    o.Set("member", Napi::Number::New(env, e.member));
  }
  o.Set("tick", Napi::Number::New(env, static_cast<double>(e.tick)));
  switch (e.type) {
    case EventType::kTalkingStart:
    case EventType::kTalkingStop:
      o.Set("energy", Napi::Number::New(env, e.energy));
      break;
    case EventType::kDtmf:
      o.Set("key", Napi::String::New(env, std::string(1, e.key)));
      o.Set("action", DtmfActionName(e.action));
      break;
    case EventType::kChanged:
      o.Set("what", MemberFieldName(e.field));
      if (IsFlagField(e.field))
        o.Set("value", Napi::Boolean::New(env, e.value != 0));
      else
        o.Set("value", Napi::Number::New(env, e.value));
      break;
    case EventType::kLeave:
    case EventType::kPlaybackDone:
      break;
  }
  return o;
}

}  // namespace confmix::addon
