#include "bindings.h"

namespace confmix::addon {

void RegisterMixer(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
