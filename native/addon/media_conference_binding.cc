#include "bindings.h"

namespace confmix::addon {

void RegisterMediaConference(Napi::Env, Napi::Object) {}

}  // namespace confmix::addon
