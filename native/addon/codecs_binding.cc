#include "bindings.h"

namespace confmix::addon {

void RegisterCodecs(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
