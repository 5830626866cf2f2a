#include "core/codec/codec_factory.h"

#include <cctype>

#include "core/codec/g711.h"
#include "core/codec/l16.h"
#include "core/codec/opus_codec.h"
#include "core/dsp/resampler.h"

namespace confmix {
namespace {

constexpr int kMaxL16Channels = 8;
constexpr int kOpusMinBitrate = 6000;
constexpr int kOpusMaxBitrate = 510000;

bool Fail(std::string* error, const std::string& why) {
  if (error) *error = why;
  return false;
}

}  // namespace

const char* CodecName(CodecKind kind) {
  switch (kind) {
    case CodecKind::kPcmu: return "pcmu";
    case CodecKind::kPcma: return "pcma";
    case CodecKind::kL16: return "l16";
    case CodecKind::kOpus: return "opus";
  }
  return "unknown";
}

bool ParseCodecName(const std::string& name, CodecKind* kind) {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "pcmu") { *kind = CodecKind::kPcmu; return true; }
  if (lower == "pcma") { *kind = CodecKind::kPcma; return true; }
  if (lower == "l16") { *kind = CodecKind::kL16; return true; }
  if (lower == "opus") { *kind = CodecKind::kOpus; return true; }
  return false;
}

bool ValidateCodecParams(const CodecParams& params, std::string* error) {
  if (params.payload_type < 0 || params.payload_type > 127) {
    return Fail(error, "payload type " + std::to_string(params.payload_type) + " is outside 0..127");
  }
  const std::string name = CodecName(params.kind);
  switch (params.kind) {
    case CodecKind::kPcmu:
    case CodecKind::kPcma:
      if (params.clock_rate != 8000) {
        return Fail(error, name + " runs at 8000 Hz, not " + std::to_string(params.clock_rate));
      }
      if (params.channels != 1) {
        return Fail(error, name + " is mono; " + std::to_string(params.channels) + " channels unsupported");
      }
      return true;
    case CodecKind::kL16:
      if (!IsResamplerRate(params.clock_rate)) {
        return Fail(error, "l16 clock rate " + std::to_string(params.clock_rate) +
                               " unsupported (8000, 12000, 16000, 24000, 32000 or 48000)");
      }
      if (params.channels < 1 || params.channels > kMaxL16Channels) {
        return Fail(error, "l16 channels must be 1.." + std::to_string(kMaxL16Channels) + ", not " +
                               std::to_string(params.channels));
      }
      return true;
    case CodecKind::kOpus:
      if (params.clock_rate != kOpusRate) {
        return Fail(error, "opus RTP clock rate is 48000, not " + std::to_string(params.clock_rate));
      }
      if (params.pcm_rate != 0 && !IsOpusPcmRate(params.pcm_rate)) {
        return Fail(error, "opus PCM rate " + std::to_string(params.pcm_rate) +
                               " unsupported (0, 8000, 12000, 16000, 24000 or 48000)");
      }
      if (params.channels != 1 && params.channels != 2) {
        return Fail(error, "opus channels must be 1 or 2, not " + std::to_string(params.channels));
      }
      if (params.bitrate != 0 && (params.bitrate < kOpusMinBitrate || params.bitrate > kOpusMaxBitrate)) {
        return Fail(error, "opus bitrate must be 0 (auto) or 6000..510000, not " + std::to_string(params.bitrate));
      }
      if (params.max_bitrate != 0 && (params.max_bitrate < kOpusMinBitrate || params.max_bitrate > kOpusMaxBitrate)) {
        return Fail(error, "opus max bitrate must be 0 (none) or 6000..510000, not " + std::to_string(params.max_bitrate));
      }
      if (params.complexity < 0 || params.complexity > 10) {
        return Fail(error, "opus complexity must be 0..10, not " + std::to_string(params.complexity));
      }
      if (params.expected_loss < 0 || params.expected_loss > 100) {
        return Fail(error, "opus expected loss must be 0..100 %, not " + std::to_string(params.expected_loss));
      }
      return true;
  }
  return Fail(error, "unknown codec kind " + std::to_string(static_cast<int>(params.kind)));
}

CodecParams AtConferenceRate(const CodecParams& params, int conference_rate) {
  CodecParams result = params;
  if (params.kind == CodecKind::kOpus && params.pcm_rate == 0 && IsOpusPcmRate(conference_rate)) {
    result.pcm_rate = conference_rate;
  }
  return result;
}

std::unique_ptr<Decoder> CreateDecoder(const CodecParams& params, std::string* error) {
  if (!ValidateCodecParams(params, error)) return nullptr;
  switch (params.kind) {
    case CodecKind::kPcmu: return std::make_unique<G711Decoder>(false);
    case CodecKind::kPcma: return std::make_unique<G711Decoder>(true);
    case CodecKind::kL16: return std::make_unique<L16Decoder>(params.clock_rate, params.channels);
    case CodecKind::kOpus: return OpusCodecDecoder::Create(params, error);
  }
  return nullptr;
}

std::unique_ptr<Encoder> CreateEncoder(const CodecParams& params, std::string* error) {
  if (!ValidateCodecParams(params, error)) return nullptr;
  switch (params.kind) {
    case CodecKind::kPcmu: return std::make_unique<G711Encoder>(false);
    case CodecKind::kPcma: return std::make_unique<G711Encoder>(true);
    case CodecKind::kL16: return std::make_unique<L16Encoder>(params.clock_rate, params.channels);
    case CodecKind::kOpus: return OpusCodecEncoder::Create(params, error);
  }
  return nullptr;
}

}  // namespace confmix
