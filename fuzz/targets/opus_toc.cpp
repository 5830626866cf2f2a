// The Opus TOC and SILK voice-activity readers, and the decoder wrapper, on any payload: durations
// are whole 2.5 ms granules up to 120 ms, a VAD verdict never reads past the payload, and a decode
// never writes more than it was given room for.
#include <memory>
#include <string>
#include <vector>

#include "core/codec/codec.h"
#include "core/codec/opus_codec.h"
#include "fuzz_check.h"

using namespace confmix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<Decoder> decoder = [] {
    CodecParams params;
    params.kind = CodecKind::kOpus;
    params.payload_type = 111;
    params.clock_rate = kOpusRate;
    params.channels = 2;
    std::string why;
    return CreateDecoder(params, &why);
  }();
  static std::vector<int16_t> pcm(kOpusMaxPacketSamples + 64);
  FUZZ_CHECK(decoder != nullptr);
  const VoiceActivity activity = OpusPacketVoiceActivity(data, size);
  FUZZ_CHECK(activity == decoder->PayloadVoiceActivity(data, size));
  const int samples = decoder->PayloadSamples(data, size);
  FUZZ_CHECK(samples <= static_cast<int>(kOpusMaxPacketSamples));
  if (samples > 0) FUZZ_CHECK(samples % static_cast<int>(kOpusGranuleSamples) == 0);
  (void)decoder->IsDtx(data, size);
  // Decoding is the slow part: only inputs whose last byte asks for it.
  if (size > 0 && (data[size - 1] & 3) == 0) {
    const size_t room = kOpusMaxPacketSamples;
    pcm[room] = 0x7ead;
    const int produced = decoder->Decode(data, size, pcm.data(), room);
    FUZZ_CHECK(produced <= static_cast<int>(room));
    FUZZ_CHECK(pcm[room] == 0x7ead);
    if (produced > 0 && samples > 0) FUZZ_CHECK(produced == samples);
  }
  return 0;
}
