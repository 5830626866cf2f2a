// What the media benchmark's members send: test signals, encoded once into loops of payloads,
// and the RTP packets built from them ahead of the ticks that consume them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/codec/codec.h"
#include "core/rtp/rtp_sender.h"

namespace confmix::bench {

/** Speech-like audio at `rate`: voiced syllables (harmonics of a gliding pitch under two
 *  formant bumps), fricative noise bursts and pauses shorter than the gate's hangover. */
std::vector<int16_t> SpeechLikeSignal(int rate, double seconds, uint32_t seed);

/** White (Gaussian) noise of `dbfs` RMS at `rate`. */
std::vector<int16_t> NoiseSignal(int rate, double seconds, double dbfs, uint32_t seed);

/** Digital silence at `rate`. */
std::vector<int16_t> SilenceSignal(int rate, double seconds);

/** One payload per frame, replayed in a loop by the members that send it. */
struct PayloadLoop {
  std::vector<std::vector<uint8_t>> payloads;
  /** Mean payload size in bytes. */
  double MeanBytes() const;
};

/** Encodes `pcm` (mono at the codec's rate) frame by frame with `codec`; frames from
 *  `skip_frames` on form the loop. False and `error` set on a codec error. */
bool EncodeLoop(const CodecParams& codec, const std::vector<int16_t>& pcm, int interval_ms,
                size_t skip_frames, PayloadLoop* loop, std::string* error);

/** Index of the first payload of `size_limit` bytes or less (a DTX frame), or the loop's size. */
size_t FirstSmallPayload(const PayloadLoop& loop, size_t size_limit);

/** One member's outgoing stream: its loop, where in it the member starts, its RTP numbering. */
struct MemberStream {
  /** A stream of `loop` from frame `offset`, packets of `rtp_samples` numbered per `rtp_options`. */
  MemberStream(const PayloadLoop* loop, size_t offset, const rtp::RtpSenderOptions& rtp_options, uint32_t rtp_samples)
      : loop(loop), offset(offset), rtp(rtp_options), rtp_samples(rtp_samples) {}
  const PayloadLoop* loop;
  size_t offset;
  rtp::RtpSender rtp;
  uint32_t rtp_samples;  // per packet, at the RTP clock
};

/** The packets of a run of ticks for every member, in one buffer allocated once. */
class PacketBatch {
 public:
  /** Room for `ticks` ticks of `members` packets of at most `max_payload` bytes. */
  PacketBatch(size_t members, size_t ticks, size_t max_payload);
  /** Writes the packets of ticks `first_tick` .. `first_tick + ticks()` (each stream's next ones). */
  void Build(std::vector<MemberStream>& streams, uint64_t first_tick);
  /** Ticks per batch. */
  size_t ticks() const { return ticks_; }
  /** The packet of `member` in the batch's tick `tick`. */
  const uint8_t* packet(size_t tick, size_t member, size_t* size) const {
    const size_t k = tick * members_ + member;
    *size = offsets_[k + 1] - offsets_[k];
    return bytes_.data() + offsets_[k];
  }

 private:
  size_t members_;
  size_t ticks_;
  std::vector<uint8_t> bytes_;
  std::vector<size_t> offsets_;  // members_ * ticks_ + 1 packet starts
};

}  // namespace confmix::bench
