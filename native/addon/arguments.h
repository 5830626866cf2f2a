// Argument readers and error throwing shared by every binding. Each reader either fills its
// output and returns true, or throws a JS error with a stable `code` and returns false.
#pragma once
#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/codec/codec.h"
#include "core/media/media_conference.h"
#include "core/mix/conference.h"
#include "core/status.h"

namespace confmix::addon {

/** Throws an Error whose `code` is the status code's stable name. */
void ThrowCoded(Napi::Env env, StatusCode code, const std::string& message);
/** Throws an ERR_INVALID_ARGUMENT Error. */
inline void ThrowInvalid(Napi::Env env, const std::string& message) {
  ThrowCoded(env, StatusCode::kInvalidArgument, message);
}
/** Throws for a failed core status (prefixing `context`); returns true when it threw. */
bool ThrowIfFailed(Napi::Env env, const Status& status, const std::string& context = "");

/** An integral JS number in [min, max] (no throw). */
bool ReadInteger(const Napi::Value& value, double min, double max, int64_t* out);
/** An integral JS number in [min, max] as a double (no throw). */
bool ReadInteger(const Napi::Value& value, double min, double max, double* out);
/** An integral JS number in [min, max] as an int (no throw). */
bool ReadInteger(const Napi::Value& value, double min, double max, int* out);
/** An integral number in [min, max] named `name` in the error it throws otherwise. */
bool ReadNamedInteger(Napi::Env env, const Napi::Value& value, const char* name, double min, double max,
                      double* out);
/** An integral number in [min, max] named `name`, stored as T. */
template <typename T>
bool ReadNamedInteger(Napi::Env env, const Napi::Value& value, const char* name, double min, double max, T* out) {
  double number = 0;
  if (!ReadNamedInteger(env, value, name, min, max, &number)) return false;
  *out = static_cast<T>(number);
  return true;
}
/** The same, optional: undefined keeps `*out`. */
template <typename T>
bool ReadOptionalNamedInteger(Napi::Env env, const Napi::Value& value, const char* name, double min, double max,
                              T* out) {
  return value.IsUndefined() || ReadNamedInteger(env, value, name, min, max, out);
}
/** True for an Int16Array. */
bool IsInt16Array(const Napi::Value& value);
/** True for a Uint8Array. */
bool IsUint8Array(const Napi::Value& value);
/** Argument `index` as an Int16Array, or throws naming it `what`. */
bool ReadInt16Array(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Int16Array* out);
/** Argument `index` as a Uint8Array, or throws naming it `what`. */
bool ReadUint8Array(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Uint8Array* out);
/** A value as a Uint8Array, or throws naming it `what`. */
bool ReadUint8Array(Napi::Env env, const Napi::Value& value, const char* what, Napi::Uint8Array* out);
/**
 * A new typed array of `length` elements in `*out`; false when none could be made (a worker being
 * terminated refuses new JavaScript values), and then nothing may be written through it.
 */
template <typename T>
bool NewTypedArray(Napi::Env env, size_t length, Napi::TypedArrayOf<T>* out) {
  *out = Napi::TypedArrayOf<T>::New(env, length);
  return !out->IsEmpty() && (length == 0 || out->Data() != nullptr);
}
/** A copy of `count` samples as a new Int16Array (empty when none could be made). */
Napi::Int16Array CopyToInt16Array(Napi::Env env, const int16_t* samples, size_t count);
/** A copy of `size` bytes as a new Uint8Array (empty when none could be made). */
Napi::Uint8Array CopyToUint8Array(Napi::Env env, const uint8_t* data, size_t size);
/** A required uint32 argument `info[index]` named `what`. */
bool ReadUint32Arg(const Napi::CallbackInfo& info, size_t index, const char* what, uint32_t* out);
/** A property, read with plain N-API: false when a getter threw (its exception stays pending) or
 *  the environment is shutting down, where node-addon-api's Get would abort the process. */
bool GetProperty(Napi::Env env, const Napi::Object& object, const char* name, Napi::Value* out);
/** Argument `index` as a relationship: 'deaf', 'mute' or 'clear'. */
bool ReadRelationship(const Napi::CallbackInfo& info, size_t index, Relationship* out);
/** An optional boolean field: absent or undefined leaves `out` empty. */
bool ReadOptionalFlag(Napi::Env env, const Napi::Object& object, const char* name, std::optional<bool>* out);
/** The same into a default: absent keeps `*out`; `present` (optional) says whether it was given. */
bool ReadOptionalFlag(Napi::Env env, const Napi::Object& object, const char* name, bool* out,
                      bool* present = nullptr);
/** An optional integer field in [min, max]: absent or undefined leaves `out` empty. */
bool ReadOptionalInt(Napi::Env env, const Napi::Object& object, const char* name, int min, int max,
                     std::optional<int>* out);
/** The same into a default: absent keeps `*out`. */
bool ReadOptionalInt(Napi::Env env, const Napi::Object& object, const char* name, int min, int max, int* out);
/** An optional string field: absent keeps `*out`; `present` says whether it was given. */
bool ReadOptionalString(Napi::Env env, const Napi::Object& object, const char* name, std::string* out,
                        bool* present);
/** A plain object argument (not an array or function). */
bool ReadObjectArg(const Napi::CallbackInfo& info, size_t index, const char* what, Napi::Object* out);

/** Member settings {mute, deaf, hold, talkLevel, listenLevel, energyLevel, trunk}; undefined is empty. */
bool ReadMemberUpdate(Napi::Env env, const Napi::Value& value, MemberUpdate* update);
/** Conference options {rate, interval, energyLevel?, hangoverMs?, comfortNoiseDbfs?, digits?,
 *  maxActiveTalkers?, adaptiveComplexity?}; the media ones fill `media` when given (mixers without media skip them). */
bool ReadConferenceOptions(Napi::Env env, const Napi::Value& value, ConferenceOptions* options,
                           MediaConferenceOptions* media = nullptr);
/** Codec options {codec, payloadType?, clockRate?, channels?, fec?, dtx?, bitrate?, complexity?}. */
bool ReadCodecParams(Napi::Env env, const Napi::Value& value, CodecParams* params);
/** The codec options in argument 0. */
bool ReadCodecParamsArg(const Napi::CallbackInfo& info, CodecParams* params);

/** An RTP member's {receive?, send?}: codec options, receive adding telephoneEventPayloadType and
 *  telephoneEventClockRate. */
bool ReadRtpMedia(Napi::Env env, const Napi::Object& leg, MemberMediaConfig* media);

/** A mixer event as a plain object ({type, member, tick, ...}). */
Napi::Object EventToObject(Napi::Env env, const MixerEvent& event);

}  // namespace confmix::addon
