// The testing addon's entry point: bindings that only tests and benchmarks use (the mixer alone,
// RTP and RTCP packets, codecs, a media conference without a thread, the media thread with test
// jobs, the load generator). Never part of a consumer's install.
#include "testing/bindings.h"

namespace confmix::addon {

class ConfmixTestingAddon : public Napi::Addon<ConfmixTestingAddon> {
 public:
  ConfmixTestingAddon(Napi::Env env, Napi::Object exports) {
    RegisterMixer(env, exports);
    RegisterCodecs(env, exports);
    RegisterRtp(env, exports);
    RegisterMedia(env, exports);
    RegisterRtcp(env, exports);
    RegisterMediaConference(env, exports);
  }
};

}  // namespace confmix::addon

using confmix::addon::ConfmixTestingAddon;
NODE_API_ADDON(ConfmixTestingAddon)
