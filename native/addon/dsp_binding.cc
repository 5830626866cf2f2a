// DSP for JS: the resampler (app legs and playbacks convert between their rate and the
// conference's) and the comfort-noise level a FreeSWITCH divisor means.
#include <memory>

#include "arguments.h"
#include "bindings.h"
#include "raw_class.h"
#include "core/dsp/comfort_noise.h"
#include "core/dsp/resampler.h"

namespace confmix::addon {

namespace {

class ResamplerWrap {
 public:
  static constexpr const char* kName = "Resampler";
  using Class = RawClass<ResamplerWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&ResamplerWrap::Process>("process"),
        Class::Method<&ResamplerWrap::Reset>("reset"),
        Class::Getter<&ResamplerWrap::InRate>("inRate"),
        Class::Getter<&ResamplerWrap::OutRate>("outRate"),
        Class::Getter<&ResamplerWrap::Delay>("delay"),
        Class::Getter<&ResamplerWrap::TapsPerPhase>("tapsPerPhase"),
    };
    return Class::Define(env, methods);
  }

  /** new Resampler(inRate, outRate, phase?); false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    int in_rate = 0;
    int out_rate = 0;
    if (info.Length() < 2 || !ReadInteger(info[0], 0, 1e6, &in_rate) || !ReadInteger(info[1], 0, 1e6, &out_rate) ||
        !IsResamplerRate(in_rate) || !IsResamplerRate(out_rate)) {
      ThrowInvalid(info.Env(), "inRate and outRate must each be 8000, 12000, 16000, 24000, 32000 or 48000");
      return false;
    }
    // Optional third argument: the filter's phase, 'minimum' (default) or 'linear'.
    ResamplerPhase phase = ResamplerPhase::kMinimum;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      const std::string name = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
      if (name != "minimum" && name != "linear") {
        ThrowInvalid(info.Env(), "phase must be 'minimum' or 'linear'");
        return false;
      }
      if (name == "linear") phase = ResamplerPhase::kLinear;
    }
    resampler_ = std::make_unique<Resampler>(in_rate, out_rate, phase);
    return true;
  }

 private:
  // process(Int16Array) -> Int16Array at outRate; history carries over to the next call.
  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Int16Array in;
    if (!ReadInt16Array(info, 0, "pcm", &in)) return env.Undefined();
    const size_t count = resampler_->OutSamples(in.ElementLength());
    Napi::Int16Array out;
    if (!NewTypedArray(env, count, &out)) return env.Undefined();
    resampler_->Process(in.Data(), in.ElementLength(), out.Data());
    return out;
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    resampler_->Reset();
    return info.Env().Undefined();
  }

  Napi::Value InRate(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), resampler_->in_rate()); }
  Napi::Value OutRate(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), resampler_->out_rate()); }
  Napi::Value Delay(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), resampler_->delay()); }
  Napi::Value TapsPerPhase(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(resampler_->taps_per_phase()));
  }

  std::unique_ptr<Resampler> resampler_;
};

// comfortNoiseDbfsFromDivisor(divisor) -> dBFS RMS, or null for 0 (off).
Napi::Value ComfortNoiseDbfsFromDivisor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t divisor = 0;
  if (info.Length() < 1 || !ReadInteger(info[0], 0, 4294967295.0, &divisor)) {
    ThrowInvalid(env, "comfort-noise divisor must be an integer in 0..4294967295");
    return env.Undefined();
  }
  const std::optional<double> dbfs = confmix::ComfortNoiseDbfsFromDivisor(static_cast<uint32_t>(divisor));
  return dbfs ? Napi::Value(Napi::Number::New(env, *dbfs)) : env.Null();
}

}  // namespace

void RegisterDsp(Napi::Env env, Napi::Object exports) {
  napi_value resampler = ResamplerWrap::Define(env);
  if (resampler != nullptr) exports.Set("Resampler", Napi::Value(env, resampler));
  exports.Set("comfortNoiseDbfsFromDivisor",
              Napi::Function::New(env, ComfortNoiseDbfsFromDivisor, "comfortNoiseDbfsFromDivisor"));
}

}  // namespace confmix::addon
