// The codecs for tests and benchmarks: G.711 helpers, CodecEncoder, CodecDecoder, and a raw-libopus round trip the tests compare the wrapper against. Every argument is checked;
// a bad one throws an Error with code ERR_INVALID_ARGUMENT and changes nothing.
#include <opus.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/arguments.h"
#include "addon/raw_class.h"
#include "testing/bindings.h"
#include "core/codec/codec.h"
#include "core/codec/codec_factory.h"
#include "core/codec/g711.h"
#include "core/codec/opus_codec.h"

namespace confmix::addon {

namespace {

// 'pcmu' -> false, 'pcma' -> true.
bool ReadLaw(const Napi::CallbackInfo& info, bool* alaw) {
  if (info.Length() >= 1 && info[0].IsString()) {
    const std::string law = info[0].As<Napi::String>().Utf8Value();
    if (law == "pcmu" || law == "pcma") {
      *alaw = law == "pcma";
      return true;
    }
  }
  ThrowInvalid(info.Env(), "law must be 'pcmu' or 'pcma'");
  return false;
}

// --- G.711 functions ---

Napi::Value G711Encode(const Napi::CallbackInfo& info) {
  bool alaw = false;
  Napi::Int16Array pcm;
  if (!ReadLaw(info, &alaw) || !ReadInt16Array(info, 1, "pcm", &pcm)) return info.Env().Undefined();
  Napi::Uint8Array codes = Napi::Uint8Array::New(info.Env(), pcm.ElementLength());
  if (alaw) {
    EncodePcma(pcm.Data(), pcm.ElementLength(), codes.Data());
  } else {
    EncodePcmu(pcm.Data(), pcm.ElementLength(), codes.Data());
  }
  return codes;
}

Napi::Value G711Decode(const Napi::CallbackInfo& info) {
  bool alaw = false;
  Napi::Uint8Array codes;
  if (!ReadLaw(info, &alaw) || !ReadUint8Array(info, 1, "codes", &codes)) return info.Env().Undefined();
  Napi::Int16Array pcm = Napi::Int16Array::New(info.Env(), codes.ElementLength());
  if (alaw) {
    DecodePcma(codes.Data(), codes.ElementLength(), pcm.Data());
  } else {
    DecodePcmu(codes.Data(), codes.ElementLength(), pcm.Data());
  }
  return pcm;
}

// --- CodecEncoder ---

class CodecEncoderWrap {
 public:
  static constexpr const char* kName = "CodecEncoder";
  using Class = RawClass<CodecEncoderWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&CodecEncoderWrap::Encode>("encode"),
        Class::Getter<&CodecEncoderWrap::Rate>("rate"),
        Class::Getter<&CodecEncoderWrap::Codec>("codec"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    if (!ReadCodecParamsArg(info, &params_)) return false;
    std::string error;
    encoder_ = CreateEncoder(params_, &error);
    if (!encoder_) ThrowInvalid(info.Env(), error);
    return encoder_ != nullptr;
  }

 private:
  // encode(Int16Array of mono samples) -> Uint8Array payload.
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Int16Array pcm;
    if (!encoder_ || !ReadInt16Array(info, 0, "pcm", &pcm)) return env.Undefined();
    const size_t samples = pcm.ElementLength();
    if (samples == 0) {
      ThrowInvalid(env, "pcm must hold at least one sample");
      return env.Undefined();
    }
    size_t max_bytes = 0;
    if (params_.kind == CodecKind::kOpus) {
      if (!IsOpusEncodeFrame(samples, encoder_->rate())) {
        ThrowInvalid(env, "opus encodes 2.5, 5, 10, 20, 40 or 60 ms at " + std::to_string(encoder_->rate()) +
                              " Hz (at 48000 Hz: 120, 240, 480, 960, 1920 or 2880 samples), not " + std::to_string(samples));
        return env.Undefined();
      }
      max_bytes = kOpusMaxPayloadBytes;
    } else if (params_.kind == CodecKind::kL16) {
      max_bytes = samples * 2 * static_cast<size_t>(params_.channels);
    } else {
      max_bytes = samples;
    }
    payload_.resize(max_bytes);
    const int bytes = encoder_->Encode(pcm.Data(), samples, payload_.data(), payload_.size());
    if (bytes < 0) {
      ThrowInvalid(env, std::string(CodecName(params_.kind)) + " could not encode " + std::to_string(samples) + " samples");
      return env.Undefined();
    }
    Napi::Uint8Array out = Napi::Uint8Array::New(env, static_cast<size_t>(bytes));
    if (bytes > 0) std::memcpy(out.Data(), payload_.data(), static_cast<size_t>(bytes));
    return out;
  }

  Napi::Value Rate(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), encoder_ ? encoder_->rate() : 0);
  }

  Napi::Value Codec(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), CodecName(params_.kind));
  }

  CodecParams params_;
  std::unique_ptr<Encoder> encoder_;
  std::vector<uint8_t> payload_;
};

// --- CodecDecoder ---

constexpr size_t kMaxConcealSamples = kOpusMaxPacketSamples;

class CodecDecoderWrap {
 public:
  static constexpr const char* kName = "CodecDecoder";
  using Class = RawClass<CodecDecoderWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&CodecDecoderWrap::Decode>("decode"),
        Class::Method<&CodecDecoderWrap::Conceal>("conceal"),
        Class::Method<&CodecDecoderWrap::DecodeFec>("decodeFec"),
        Class::Method<&CodecDecoderWrap::IsDtx>("isDtx"),
        Class::Method<&CodecDecoderWrap::VoiceActivityOf>("voiceActivity"),
        Class::Getter<&CodecDecoderWrap::Rate>("rate"),
        Class::Getter<&CodecDecoderWrap::Codec>("codec"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    if (!ReadCodecParamsArg(info, &params_)) return false;
    std::string error;
    decoder_ = CreateDecoder(params_, &error);
    if (!decoder_) {
      ThrowInvalid(info.Env(), error);
      return false;
    }
    pcm_.resize(kMaxConcealSamples);
    return true;
  }

 private:
  // decode(Uint8Array payload) -> Int16Array of mono samples.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload;
    if (!decoder_ || !ReadUint8Array(info, 0, "payload", &payload)) return env.Undefined();
    const int samples = decoder_->PayloadSamples(payload.Data(), payload.ElementLength());
    if (samples < 0) {
      ThrowInvalid(env, std::string("malformed ") + CodecName(params_.kind) + " payload of " +
                            std::to_string(payload.ElementLength()) + " bytes");
      return env.Undefined();
    }
    if (pcm_.size() < static_cast<size_t>(samples)) pcm_.resize(static_cast<size_t>(samples));
    const int written = decoder_->Decode(payload.Data(), payload.ElementLength(), pcm_.data(), pcm_.size());
    if (written < 0) {
      ThrowInvalid(env, std::string("malformed ") + CodecName(params_.kind) + " payload");
      return env.Undefined();
    }
    return CopyToInt16Array(env, pcm_.data(), static_cast<size_t>(written));
  }

  // conceal(samples) -> Int16Array of `samples` concealment samples.
  Napi::Value Conceal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int samples = 0;
    if (!decoder_) return env.Undefined();
    if (info.Length() < 1 || !ReadInteger(info[0], 1, kMaxConcealSamples, &samples)) {
      ThrowInvalid(env, "samples must be an integer in 1.." + std::to_string(kMaxConcealSamples));
      return env.Undefined();
    }
    const int written = decoder_->Conceal(pcm_.data(), static_cast<size_t>(samples));
    return CopyToInt16Array(env, pcm_.data(), static_cast<size_t>(written < 0 ? 0 : written));
  }

  // decodeFec(nextPayload, samples) -> Int16Array, or null when the codec has no FEC.
  Napi::Value DecodeFec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload;
    int samples = 0;
    if (!decoder_ || !ReadUint8Array(info, 0, "nextPayload", &payload)) return env.Undefined();
    if (info.Length() < 2 || !ReadInteger(info[1], 1, kMaxConcealSamples, &samples)) {
      ThrowInvalid(env, "samples must be an integer in 1.." + std::to_string(kMaxConcealSamples));
      return env.Undefined();
    }
    if (params_.kind != CodecKind::kOpus) return env.Null();
    if (static_cast<size_t>(samples) % kOpusGranuleSamples != 0) {
      ThrowInvalid(env, "opus FEC recovers whole 2.5 ms (multiples of 120 samples), not " + std::to_string(samples));
      return env.Undefined();
    }
    if (decoder_->PayloadSamples(payload.Data(), payload.ElementLength()) < 0) {
      ThrowInvalid(env, "malformed opus payload of " + std::to_string(payload.ElementLength()) + " bytes");
      return env.Undefined();
    }
    const int written = decoder_->DecodeFec(payload.Data(), payload.ElementLength(), pcm_.data(),
                                            static_cast<size_t>(samples));
    if (written < 0) return env.Null();
    return CopyToInt16Array(env, pcm_.data(), static_cast<size_t>(written));
  }

  // isDtx(payload) -> true when the payload carries no audio to decode.
  Napi::Value IsDtx(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload;
    if (!decoder_ || !ReadUint8Array(info, 0, "payload", &payload)) return env.Undefined();
    return Napi::Boolean::New(env, decoder_->IsDtx(payload.Data(), payload.ElementLength()));
  }

  // voiceActivity(payload) -> 'active' | 'inactive' | 'unknown': the sender's VAD verdict, no decode.
  Napi::Value VoiceActivityOf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload;
    if (!decoder_ || !ReadUint8Array(info, 0, "payload", &payload)) return env.Undefined();
    switch (decoder_->PayloadVoiceActivity(payload.Data(), payload.ElementLength())) {
      case VoiceActivity::kActive: return Napi::String::New(env, "active");
      case VoiceActivity::kInactive: return Napi::String::New(env, "inactive");
      case VoiceActivity::kUnknown: break;
    }
    return Napi::String::New(env, "unknown");
  }

  Napi::Value Rate(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), decoder_ ? decoder_->rate() : 0);
  }

  Napi::Value Codec(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), CodecName(params_.kind));
  }

  CodecParams params_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<int16_t> pcm_;
};

// defaultOpusBitrate(pcmRate, channels) -> bits/s: the encoder's bitrate when none is asked for.
Napi::Value DefaultOpusBitrateJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int rate = 0;
  int channels = 0;
  if (info.Length() < 2 || !ReadInteger(info[0], 0, 48000, &rate) || !IsOpusPcmRate(rate) ||
      !ReadInteger(info[1], 1, 2, &channels)) {
    ThrowInvalid(env, "pcmRate must be 8000, 12000, 16000, 24000 or 48000 and channels 1 or 2");
    return env.Undefined();
  }
  return Napi::Number::New(env, DefaultOpusBitrate(rate, channels));
}

// --- raw libopus round trip ---

struct OpusEncoderCloser {
  void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
};
struct OpusDecoderCloser {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};

// opusReferenceRoundTrip(Int16Array pcm48k, {bitrate, complexity, frameMs}) -> Int16Array:
// libopus called directly (VOIP, mono), whole frames only, as the yardstick for the wrapper.
Napi::Value OpusReferenceRoundTrip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int16Array pcm;
  if (!ReadInt16Array(info, 0, "pcm48k", &pcm)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsObject()) {
    ThrowInvalid(env, "options must be an object { bitrate, complexity, frameMs }");
    return env.Undefined();
  }
  const Napi::Object options = info[1].As<Napi::Object>();
  int bitrate = 0;
  int complexity = 0;
  int frame_ms = 0;
  if (!ReadInteger(options.Get("bitrate"), 6000, 510000, &bitrate)) {
    ThrowInvalid(env, "bitrate must be an integer in 6000..510000");
    return env.Undefined();
  }
  if (!ReadInteger(options.Get("complexity"), 0, 10, &complexity)) {
    ThrowInvalid(env, "complexity must be an integer in 0..10");
    return env.Undefined();
  }
  if (!ReadInteger(options.Get("frameMs"), 10, 60, &frame_ms) ||
      (frame_ms != 10 && frame_ms != 20 && frame_ms != 40 && frame_ms != 60)) {
    ThrowInvalid(env, "frameMs must be 10, 20, 40 or 60");
    return env.Undefined();
  }
  int status = OPUS_OK;
  std::unique_ptr<OpusEncoder, OpusEncoderCloser> encoder(
      opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &status));
  if (!encoder || status != OPUS_OK) {
    ThrowInvalid(env, std::string("opus_encoder_create: ") + opus_strerror(status));
    return env.Undefined();
  }
  std::unique_ptr<OpusDecoder, OpusDecoderCloser> decoder(opus_decoder_create(48000, 1, &status));
  if (!decoder || status != OPUS_OK) {
    ThrowInvalid(env, std::string("opus_decoder_create: ") + opus_strerror(status));
    return env.Undefined();
  }
  opus_encoder_ctl(encoder.get(), OPUS_SET_BITRATE(bitrate));
  opus_encoder_ctl(encoder.get(), OPUS_SET_COMPLEXITY(complexity));

  const size_t frame = static_cast<size_t>(48 * frame_ms);
  const size_t frames = pcm.ElementLength() / frame;
  std::vector<int16_t> decoded(frames * frame);
  std::vector<unsigned char> packet(4000);
  for (size_t f = 0; f < frames; ++f) {
    const opus_int32 bytes = opus_encode(encoder.get(), pcm.Data() + f * frame, static_cast<int>(frame),
                                         packet.data(), static_cast<opus_int32>(packet.size()));
    if (bytes < 0) {
      ThrowInvalid(env, std::string("opus_encode: ") + opus_strerror(bytes));
      return env.Undefined();
    }
    const int samples = opus_decode(decoder.get(), packet.data(), bytes, decoded.data() + f * frame,
                                    static_cast<int>(frame), 0);
    if (samples != static_cast<int>(frame)) {
      ThrowInvalid(env, std::string("opus_decode: ") + opus_strerror(samples < 0 ? samples : OPUS_INTERNAL_ERROR));
      return env.Undefined();
    }
  }
  return CopyToInt16Array(env, decoded.data(), decoded.size());
}

}  // namespace

void RegisterCodecs(Napi::Env env, Napi::Object exports) {
  exports.Set("g711Encode", Napi::Function::New(env, G711Encode, "g711Encode"));
  exports.Set("g711Decode", Napi::Function::New(env, G711Decode, "g711Decode"));
  if (napi_value c = CodecEncoderWrap::Define(env)) exports.Set("CodecEncoder", Napi::Value(env, c));
  if (napi_value c = CodecDecoderWrap::Define(env)) exports.Set("CodecDecoder", Napi::Value(env, c));
  exports.Set("defaultOpusBitrate", Napi::Function::New(env, DefaultOpusBitrateJs, "defaultOpusBitrate"));
  exports.Set("opusReferenceRoundTrip", Napi::Function::New(env, OpusReferenceRoundTrip, "opusReferenceRoundTrip"));
}

}  // namespace confmix::addon
