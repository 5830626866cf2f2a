#include "bindings.h"

namespace confmix::addon {

void RegisterMedia(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
