// One member's send path: a conference-rate frame -> resample (not for Opus at a rate libopus
// encodes from directly) -> encode -> RTP packet (timestamps on the RTP clock) with the
// leg's own SSRC, sequence and timestamp. Listeners who heard the same frame share one encode
// (a FrameEncoder per output group); only the 12-byte header is per leg.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/codec/codec.h"
#include "core/dsp/resampler.h"
#include "core/rtp/rtp_sender.h"

namespace confmix {

/** Largest payload an encode may produce. */
constexpr size_t kMaxPayloadBytes = 1500;

/** How a member's send path is built. */
struct SenderConfig {
  CodecParams codec;  // what the peer receives
  int conference_rate = 16000;
  int interval_ms = 20;
  std::optional<uint32_t> ssrc;  // the stream's SSRC; unset: random
};

/** True when two senders' encodes are interchangeable (payload type aside: it is in the header). */
bool SameEncoding(const CodecParams& a, const CodecParams& b);

/** A resampler and encoder from a conference-rate frame to one payload. */
class FrameEncoder {
 public:
  /** Builds one, or returns null and says why. */
  static std::unique_ptr<FrameEncoder> Create(const CodecParams& codec, int conference_rate,
                                              int interval_ms, std::string* error);
  /** Encodes one conference-rate frame into payload(); false on a codec error (empty payload). */
  bool Encode(const int16_t* frame);
  /** The last payload. */
  const uint8_t* payload() const { return payload_.data(); }
  /** Its size in bytes. */
  size_t payload_size() const { return payload_size_; }
  /** True when the last payload is a DTX frame the peer need not receive. */
  bool payload_is_dtx() const { return payload_is_dtx_; }
  /** The codec it encodes (pcm_rate: the rate the encoder runs at). */
  const CodecParams& codec() const { return codec_; }
  /** Samples per packet at the RTP clock. */
  uint32_t rtp_samples() const { return rtp_samples_; }
  /** Runs the encoder at `complexity` from the next encode (codecs without one ignore it). */
  void SetComplexity(int complexity) { encoder_->SetComplexity(complexity); }
  /** The complexity the encoder runs at, or -1 for codecs without one. */
  int complexity() const { return encoder_->complexity(); }
  /** Takes `other`'s resampler and codec history (an interchangeable encoding): a stream that
   *  was `other`'s goes on from here without a seam. False (nothing taken) when they differ. */
  bool ContinueFrom(const FrameEncoder& other);

 private:
  FrameEncoder(const CodecParams& codec, std::unique_ptr<Encoder> encoder, int conference_rate,
               int interval_ms);
  CodecParams codec_;
  std::unique_ptr<Encoder> encoder_;
  std::optional<Resampler> resampler_;
  size_t conference_samples_;
  size_t codec_samples_;
  uint32_t rtp_samples_;
  std::vector<int16_t> codec_frame_;
  std::vector<uint8_t> payload_;
  size_t payload_size_ = 0;
  bool payload_is_dtx_ = false;
};

/** A member's packetizer and private encoder. */
class MediaSender {
 public:
  /** Builds one, or returns null and says why. */
  static std::unique_ptr<MediaSender> Create(const SenderConfig& config, std::string* error);

  /** The encoder for this member's own (private) mix. */
  FrameEncoder& own_encoder() { return *own_; }
  /** The same, to read. */
  const FrameEncoder& own_encoder() const { return *own_; }
  /** Writes header + payload for this tick into `out` (capacity kMaxPayloadBytes + 12); returns
   *  the packet size, or 0 when nothing is sent (a DTX payload: the timestamp still advances and
   *  the next packet carries the marker). */
  size_t WritePacket(const FrameEncoder& encoded, uint8_t* out);
  /** A tick with nothing to send (the timestamp advances). */
  void Skip();
  /** The negotiated codec. */
  const CodecParams& codec() const { return config_.codec; }
  /** The RTP header writer (SSRC, sequence, counts). */
  const rtp::RtpSender& rtp() const { return rtp_; }
  /** RTP timestamp of the last tick's packet (sent or skipped for DTX): the SR's timestamp. */
  uint32_t last_timestamp() const { return rtp_.next_timestamp() - own_->rtp_samples(); }

 private:
  MediaSender(const SenderConfig& config, std::unique_ptr<FrameEncoder> own);
  SenderConfig config_;
  std::unique_ptr<FrameEncoder> own_;
  rtp::RtpSender rtp_;
};

}  // namespace confmix
