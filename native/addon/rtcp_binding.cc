#include "bindings.h"

namespace confmix::addon {

void RegisterRtcp(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
