// Each binding file of the testing addon registers its part of the addon's exports.
#pragma once
#include <napi.h>

namespace confmix::addon {

void RegisterMixer(Napi::Env env, Napi::Object exports);
void RegisterCodecs(Napi::Env env, Napi::Object exports);
void RegisterRtp(Napi::Env env, Napi::Object exports);
void RegisterMedia(Napi::Env env, Napi::Object exports);
void RegisterRtcp(Napi::Env env, Napi::Object exports);
void RegisterMediaConference(Napi::Env env, Napi::Object exports);

}  // namespace confmix::addon
