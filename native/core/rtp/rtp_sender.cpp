#include "core/rtp/rtp_sender.h"

#include <cstring>
#include <mutex>
#include <random>

namespace confmix::rtp {

uint32_t RandomRtpWord() {
  // One seed from the OS, then a fast generator; senders are built on the control path.
  static std::mutex mutex;
  static std::mt19937 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937(seed);
  }();
  std::lock_guard<std::mutex> lock(mutex);
  return static_cast<uint32_t>(generator());
}

RtpSender::RtpSender(const RtpSenderOptions& options)
    : payload_type_(options.payload_type & 0x7f),
      clock_rate_(options.clock_rate),
      ssrc_(options.has_ssrc ? options.ssrc : RandomRtpWord()),
      sequence_(options.has_sequence ? options.sequence : static_cast<uint16_t>(RandomRtpWord())),
      timestamp_(options.has_timestamp ? options.timestamp : RandomRtpWord()) {}

void RtpSender::WriteHeader(uint8_t* out, uint32_t samples, size_t payload_size, bool marker) {
  WriteRtpHeader(out, marker || talkspurt_start_, payload_type_, sequence_, timestamp_, ssrc_);
  talkspurt_start_ = false;
  ++sequence_;
  timestamp_ += samples;
  ++packets_sent_;
  octets_sent_ += static_cast<uint32_t>(payload_size);
}

size_t RtpSender::Write(const uint8_t* payload, size_t payload_size, uint32_t samples,
                        uint8_t* out, size_t capacity, bool marker) {
  if (capacity < kRtpHeaderSize || capacity - kRtpHeaderSize < payload_size) return 0;
  if (payload_size > 0) std::memmove(out + kRtpHeaderSize, payload, payload_size);
  WriteHeader(out, samples, payload_size, marker);
  return kRtpHeaderSize + payload_size;
}

void RtpSender::Skip(uint32_t samples) {
  timestamp_ += samples;
  talkspurt_start_ = true;
}

}  // namespace confmix::rtp
