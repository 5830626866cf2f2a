#include "bindings.h"

namespace confmix::addon {

void RegisterRtp(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
