#include "core/codec/opus_codec.h"

#include <opus.h>

#include <algorithm>
#include <cstring>

namespace confmix {
namespace {

int PcmRateOf(const CodecParams& params) { return params.pcm_rate > 0 ? params.pcm_rate : kOpusRate; }

// TOC configs 0..11 are SILK-only, 12..15 hybrid, 16..31 CELT-only (RFC 6716 3.1).
constexpr int kFirstCeltOnlyConfig = 16;
constexpr int kFirstHybridConfig = 12;
// A frame of one byte or less carries no coded audio (libopus conceals it).
constexpr opus_int16 kMinCodedFrameBytes = 2;

// The bits of a frame's first byte that hold VAD flags. The SILK encoder patches its first
// (F + 1) * C bits, MSB first: per internal channel, one VAD flag per SILK frame, then the
// LBRR flag (silk/enc_API.c writes them, silk/dec_API.c reads them in that order).
uint8_t SilkVadMask(int config, bool stereo) {
  int silk_frames = 1;  // 10 and 20 ms: one SILK frame; hybrid is never longer than 20 ms
  if (config < kFirstHybridConfig) {
    const int duration = config % 4;  // 10, 20, 40, 60 ms
    if (duration == 2) silk_frames = 2;
    if (duration == 3) silk_frames = 3;
  }
  const int channels = stereo ? 2 : 1;
  uint8_t mask = 0;
  for (int c = 0; c < channels; ++c) {
    for (int f = 0; f < silk_frames; ++f) mask |= static_cast<uint8_t>(0x80u >> (c * (silk_frames + 1) + f));
  }
  return mask;
}

}  // namespace

VoiceActivity OpusPacketVoiceActivity(const uint8_t* payload, size_t size) {
  if (payload == nullptr || size == 0 || size > 0x7FFFFFFF) return VoiceActivity::kUnknown;
  const int config = payload[0] >> 3;
  if (config >= kFirstCeltOnlyConfig) return VoiceActivity::kUnknown;
  unsigned char toc = 0;
  const unsigned char* frames[48];
  opus_int16 sizes[48];
  const int count = opus_packet_parse(payload, static_cast<opus_int32>(size), &toc, frames, sizes, nullptr);
  if (count <= 0) return VoiceActivity::kUnknown;
  const uint8_t mask = SilkVadMask(config, (payload[0] & 0x04) != 0);
  bool flagged = false;  // some frame carried flags
  for (int i = 0; i < count; ++i) {
    if (sizes[i] < kMinCodedFrameBytes) continue;
    if ((frames[i][0] & mask) != 0) return VoiceActivity::kActive;
    flagged = true;
  }
  return flagged ? VoiceActivity::kInactive : VoiceActivity::kUnknown;
}

bool IsOpusPcmRate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

bool IsOpusEncodeFrame(size_t samples, int rate) {
  if (!IsOpusPcmRate(rate)) return false;
  // Every libopus rate divides 48000, so the 48 kHz length is exact.
  switch (samples * static_cast<size_t>(kOpusRate / rate)) {
    case 120: case 240: case 480: case 960: case 1920: case 2880:
      return true;
    default:
      return false;
  }
}

// --- decoder ---

std::unique_ptr<OpusCodecDecoder> OpusCodecDecoder::Create(const CodecParams& params,
                                                           std::string* error) {
  const int rate = PcmRateOf(params);
  if (!IsOpusPcmRate(rate)) {
    if (error) *error = "opus decoder: unsupported PCM rate " + std::to_string(rate);
    return nullptr;
  }
  int status = OPUS_OK;
  // A mono decoder accepts mono and stereo payloads alike and downmixes the latter itself.
  OpusDecoder* decoder = opus_decoder_create(rate, 1, &status);
  if (decoder == nullptr || status != OPUS_OK) {
    if (decoder != nullptr) opus_decoder_destroy(decoder);
    if (error) *error = std::string("opus decoder: ") + opus_strerror(status);
    return nullptr;
  }
  return std::unique_ptr<OpusCodecDecoder>(new OpusCodecDecoder(decoder, rate));
}

OpusCodecDecoder::OpusCodecDecoder(OpusDecoder* decoder, int rate)
    : decoder_(decoder),
      rate_(rate),
      granule_samples_(static_cast<size_t>(rate) / 400),
      max_packet_samples_(static_cast<size_t>(rate) / 1000 * 120),
      scratch_(granule_samples_) {}

OpusCodecDecoder::~OpusCodecDecoder() { opus_decoder_destroy(decoder_); }

int OpusCodecDecoder::PayloadSamples(const uint8_t* payload, size_t size) const {
  if (payload == nullptr || size == 0 || size > 0x7FFFFFFF) return -1;
  const int samples = opus_packet_get_nb_samples(payload, static_cast<opus_int32>(size), kOpusRate);
  if (samples <= 0 || static_cast<size_t>(samples) > kOpusMaxPacketSamples) return -1;
  return samples;
}

int OpusCodecDecoder::Decode(const uint8_t* payload, size_t size, int16_t* out,
                             size_t max_samples) {
  if (PayloadSamples(payload, size) < 0) return -1;
  const int samples = opus_packet_get_nb_samples(payload, static_cast<opus_int32>(size), rate_);
  if (samples <= 0 || static_cast<size_t>(samples) > max_samples) return -1;
  const int written = opus_decode(decoder_, payload, static_cast<opus_int32>(size), out, samples, 0);
  return written < 0 ? -1 : written;
}

int OpusCodecDecoder::Conceal(int16_t* out, size_t samples) {
  size_t done = 0;
  while (done < samples) {
    const size_t left = samples - done;
    const size_t whole = std::min(max_packet_samples_, left - left % granule_samples_);
    if (whole > 0) {
      const int n = opus_decode(decoder_, nullptr, 0, out + done, static_cast<int>(whole), 0);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    } else {
      // Less than 2.5 ms left: conceal one granule and keep its start.
      const int n = opus_decode(decoder_, nullptr, 0, scratch_.data(),
                                static_cast<int>(granule_samples_), 0);
      if (n <= 0) break;
      std::memcpy(out + done, scratch_.data(), left * sizeof(int16_t));
      done = samples;
    }
  }
  std::fill(out + done, out + samples, int16_t{0});
  return static_cast<int>(samples);
}

int OpusCodecDecoder::DecodeFec(const uint8_t* next_payload, size_t size, int16_t* out,
                                size_t samples) {
  if (samples == 0 || samples % granule_samples_ != 0 || samples > max_packet_samples_) {
    return -1;
  }
  if (PayloadSamples(next_payload, size) < 0) return -1;
  const int n = opus_decode(decoder_, next_payload, static_cast<opus_int32>(size), out,
                            static_cast<int>(samples), 1);
  return n < 0 ? -1 : n;
}

VoiceActivity OpusCodecDecoder::PayloadVoiceActivity(const uint8_t* payload, size_t size) const {
  return OpusPacketVoiceActivity(payload, size);
}

bool OpusCodecDecoder::IsDtx(const uint8_t* payload, size_t size) const {
  (void)payload;
  return size <= 2;
}

// --- encoder ---

// Default bitrates, bits/s: per PCM rate, the lowest bitrate (of 12, 16, 20, 24, 32, 40, 48
// and 64 kbit/s) whose speech segmental SNR is within 1 dB of 64 kbit/s's and whose tones keep
// their level within 0.25 dB, mono and stereo (the benchmark report measures and checks it).
struct OpusDefaultBitrate {
  int max_rate;
  int mono;
  int stereo;
};
constexpr OpusDefaultBitrate kOpusDefaultBitrates[] = {
    {12000, 32000, 40000},
    {48000, 40000, 40000},
};

int DefaultOpusBitrate(int pcm_rate, int channels) {
  for (const OpusDefaultBitrate& entry : kOpusDefaultBitrates) {
    if (pcm_rate <= entry.max_rate) return channels > 1 ? entry.stereo : entry.mono;
  }
  return channels > 1 ? kOpusDefaultBitrates[1].stereo : kOpusDefaultBitrates[1].mono;
}

std::unique_ptr<OpusCodecEncoder> OpusCodecEncoder::Create(const CodecParams& params,
                                                           std::string* error) {
  const int rate = PcmRateOf(params);
  if (!IsOpusPcmRate(rate)) {
    if (error) *error = "opus encoder: unsupported PCM rate " + std::to_string(rate);
    return nullptr;
  }
  int status = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(rate, params.channels, OPUS_APPLICATION_VOIP, &status);
  if (encoder == nullptr || status != OPUS_OK) {
    if (encoder != nullptr) opus_encoder_destroy(encoder);
    if (error) *error = std::string("opus encoder: ") + opus_strerror(status);
    return nullptr;
  }
  const int complexity = std::clamp(params.complexity, 0, kOpusMaxComplexity);
  std::unique_ptr<OpusCodecEncoder> result(new OpusCodecEncoder(encoder, rate, params.channels, complexity));
  int bitrate = params.bitrate;
  if (bitrate <= 0) {
    bitrate = DefaultOpusBitrate(rate, params.channels);
    if (params.max_bitrate > 0) bitrate = std::min(bitrate, params.max_bitrate);
  }
  // libopus only spends bits on FEC when it expects loss, so the loss figure goes with it.
  const int loss = params.inband_fec ? params.expected_loss : 0;
  const int results[] = {
      opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitrate)),
      opus_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(complexity)),
      opus_encoder_ctl(encoder, OPUS_SET_INBAND_FEC(params.inband_fec ? 1 : 0)),
      opus_encoder_ctl(encoder, OPUS_SET_PACKET_LOSS_PERC(loss)),
      opus_encoder_ctl(encoder, OPUS_SET_DTX(params.dtx ? 1 : 0)),
  };
  for (int r : results) {
    if (r != OPUS_OK) {
      if (error) *error = std::string("opus encoder setting: ") + opus_strerror(r);
      return nullptr;
    }
  }
  return result;
}

OpusCodecEncoder::OpusCodecEncoder(OpusEncoder* encoder, int rate, int channels, int complexity)
    : encoder_(encoder),
      rate_(rate),
      channels_(channels),
      complexity_(complexity),
      interleaved_(channels > 1 ? kOpusMaxPacketSamples * static_cast<size_t>(channels) : 0) {}

OpusCodecEncoder::~OpusCodecEncoder() { opus_encoder_destroy(encoder_); }

int OpusCodecEncoder::Encode(const int16_t* pcm, size_t samples, uint8_t* out, size_t max_bytes) {
  if (pcm == nullptr || out == nullptr || !IsOpusEncodeFrame(samples, rate_) || max_bytes == 0) return -1;
  const opus_int32 limit = static_cast<opus_int32>(std::min(max_bytes, kOpusMaxPayloadBytes));
  const int16_t* input = pcm;
  if (channels_ == 2) {
    int16_t* both = interleaved_.data();
    for (size_t i = 0; i < samples; ++i) {
      both[2 * i] = pcm[i];
      both[2 * i + 1] = pcm[i];
    }
    input = both;
  }
  const opus_int32 bytes = opus_encode(encoder_, input, static_cast<int>(samples), out, limit);
  return bytes < 0 ? -1 : static_cast<int>(bytes);
}

bool OpusCodecEncoder::ContinueFrom(const Encoder& other) {
  const auto* opus = dynamic_cast<const OpusCodecEncoder*>(&other);
  if (opus == nullptr || opus->rate_ != rate_ || opus->channels_ != channels_) return false;
  if (opus == this) return true;
  std::memcpy(static_cast<void*>(encoder_), opus->encoder_, static_cast<size_t>(opus_encoder_get_size(channels_)));
  // The copy brought the other's complexity; this encoder's own stays.
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(complexity_));
  return true;
}

void OpusCodecEncoder::SetComplexity(int complexity) {
  const int clamped = std::clamp(complexity, 0, kOpusMaxComplexity);
  if (clamped == complexity_) return;
  // In range, so libopus cannot refuse it.
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(clamped));
  complexity_ = clamped;
}

int OpusCodecEncoder::complexity() const {
  opus_int32 value = -1;
  if (opus_encoder_ctl(encoder_, OPUS_GET_COMPLEXITY(&value)) != OPUS_OK) return -1;
  return static_cast<int>(value);
}

}  // namespace confmix
