// The addon's entry point. Context-aware (Napi::Addon), so each worker thread gets its own copy.
#include "bindings.h"

namespace confmix::addon {

class ConfmixAddon : public Napi::Addon<ConfmixAddon> {
 public:
  ConfmixAddon(Napi::Env env, Napi::Object exports) {
    RegisterMixer(env, exports);
    RegisterCodecs(env, exports);
    RegisterRtp(env, exports);
    RegisterMedia(env, exports);
    RegisterRtcp(env, exports);
    RegisterMediaConference(env, exports);
    RegisterShardMedia(env, exports);
  }
};

}  // namespace confmix::addon

using confmix::addon::ConfmixAddon;
NODE_API_ADDON(ConfmixAddon)
