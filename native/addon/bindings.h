// Each binding file of the product addon registers its part of the addon's exports.
#pragma once
#include <napi.h>

namespace confmix::addon {

void RegisterShardMedia(Napi::Env env, Napi::Object exports);
void RegisterDsp(Napi::Env env, Napi::Object exports);

}  // namespace confmix::addon
