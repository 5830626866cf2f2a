// The product addon's entry point: what a shard's worker uses in production. Context-aware
// (Napi::Addon), so each worker thread gets its own copy.
#include "bindings.h"

namespace confmix::addon {

class ConfmixAddon : public Napi::Addon<ConfmixAddon> {
 public:
  ConfmixAddon(Napi::Env env, Napi::Object exports) {
    RegisterShardMedia(env, exports);
    RegisterDsp(env, exports);
  }
};

}  // namespace confmix::addon

using confmix::addon::ConfmixAddon;
NODE_API_ADDON(ConfmixAddon)
