#include "core/media/media_sender.h"

#include <cstring>

#include "core/codec/codec_factory.h"
#include "core/frame.h"
#include "core/rtp/rtp_packet.h"

namespace confmix {

bool SameEncoding(const CodecParams& a, const CodecParams& b) {
  return a.kind == b.kind && a.clock_rate == b.clock_rate && a.pcm_rate == b.pcm_rate &&
         a.channels == b.channels && a.inband_fec == b.inband_fec && a.dtx == b.dtx && a.bitrate == b.bitrate &&
         a.complexity == b.complexity && a.expected_loss == b.expected_loss;
}

std::unique_ptr<FrameEncoder> FrameEncoder::Create(const CodecParams& codec, int conference_rate,
                                                   int interval_ms, std::string* error) {
  if (!IsSupportedRate(conference_rate) || !IsSupportedIntervalMs(interval_ms)) {
    if (error) *error = "unsupported conference rate or interval";
    return nullptr;
  }
  // Opus encodes straight from the conference rate when libopus can: no resampler then.
  const CodecParams resolved = AtConferenceRate(codec, conference_rate);
  auto encoder = CreateEncoder(resolved, error);
  if (!encoder) return nullptr;
  if (!IsResamplerRate(encoder->rate())) {
    if (error) *error = "codec rate cannot be resampled";
    return nullptr;
  }
  return std::unique_ptr<FrameEncoder>(new FrameEncoder(resolved, std::move(encoder), conference_rate, interval_ms));
}

FrameEncoder::FrameEncoder(const CodecParams& codec, std::unique_ptr<Encoder> encoder,
                           int conference_rate, int interval_ms)
    : codec_(codec),
      encoder_(std::move(encoder)),
      conference_samples_(FrameSamples(conference_rate, interval_ms)),
      codec_samples_(FrameSamples(encoder_->rate(), interval_ms)),
      rtp_samples_(static_cast<uint32_t>(FrameSamples(codec.clock_rate, interval_ms))),
      codec_frame_(codec_samples_),
      payload_(kMaxPayloadBytes) {
  if (encoder_->rate() != conference_rate) resampler_.emplace(conference_rate, encoder_->rate());
}

bool FrameEncoder::ContinueFrom(const FrameEncoder& other) {
  if (&other == this) return true;
  if (!SameEncoding(codec_, other.codec_) || resampler_.has_value() != other.resampler_.has_value()) return false;
  if (!encoder_->ContinueFrom(*other.encoder_)) return false;
  if (resampler_) *resampler_ = *other.resampler_;  // same sizes: a copy, no allocation
  return true;
}

bool FrameEncoder::Encode(const int16_t* frame) {
  const int16_t* pcm = frame;
  if (resampler_) {
    resampler_->Process(frame, conference_samples_, codec_frame_.data());
    pcm = codec_frame_.data();
  }
  const int written = encoder_->Encode(pcm, codec_samples_, payload_.data(), payload_.size());
  payload_size_ = written > 0 ? static_cast<size_t>(written) : 0;
  // libopus marks a frame it would not send under DTX with a payload of 2 bytes or less.
  payload_is_dtx_ = codec_.kind == CodecKind::kOpus && codec_.dtx && payload_size_ <= 2;
  return written >= 0;
}

std::unique_ptr<MediaSender> MediaSender::Create(const SenderConfig& config, std::string* error) {
  auto own = FrameEncoder::Create(config.codec, config.conference_rate, config.interval_ms, error);
  if (!own) return nullptr;
  if (config.codec.payload_type < 0 || config.codec.payload_type > 127) {
    if (error) *error = "payload type must be 0..127";
    return nullptr;
  }
  return std::unique_ptr<MediaSender>(new MediaSender(config, std::move(own)));
}

namespace {
rtp::RtpSenderOptions SenderOptions(const SenderConfig& config) {
  rtp::RtpSenderOptions options;
  options.payload_type = static_cast<uint8_t>(config.codec.payload_type);
  options.clock_rate = static_cast<uint32_t>(config.codec.clock_rate);
  options.has_ssrc = config.ssrc.has_value();
  options.ssrc = config.ssrc.value_or(0);
  return options;
}
}  // namespace

MediaSender::MediaSender(const SenderConfig& config, std::unique_ptr<FrameEncoder> own)
    : config_(config), own_(std::move(own)), rtp_(SenderOptions(config)) {}

size_t MediaSender::WritePacket(const FrameEncoder& encoded, uint8_t* out) {
  if (encoded.payload_size() == 0 || encoded.payload_is_dtx()) {
    Skip();
    return 0;
  }
  return rtp_.Write(encoded.payload(), encoded.payload_size(), own_->rtp_samples(), out,
                    kMaxPayloadBytes + rtp::kRtpHeaderSize);
}

void MediaSender::Skip() { rtp_.Skip(own_->rtp_samples()); }

}  // namespace confmix
