// The sending side of one leg: its own SSRC, sequence and timestamp, and the 12-byte header
// written in front of each payload. The timestamp runs on the RTP clock (48000 for Opus
// whatever the conference rate) and keeps running across ticks on which nothing was sent.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/rtp/rtp_packet.h"

namespace confmix::rtp {

/** What a sender is built with; unset SSRC, sequence and timestamp are drawn at random. */
struct RtpSenderOptions {
  uint8_t payload_type = 0;     // 0..127
  uint32_t clock_rate = 8000;   // RTP clock, Hz
  bool has_ssrc = false;        // use `ssrc` instead of a random one
  uint32_t ssrc = 0;
  bool has_sequence = false;    // use `sequence` as the first sequence number
  uint16_t sequence = 0;
  bool has_timestamp = false;   // use `timestamp` as the first timestamp
  uint32_t timestamp = 0;
};

/** 32 random bits from a generator seeded once per process from std::random_device. */
uint32_t RandomRtpWord();

/** Numbers and writes the RTP headers of one outgoing stream. */
class RtpSender {
 public:
  /** A sender; options it does not set are random. */
  explicit RtpSender(const RtpSenderOptions& options);

  /** Writes the header for the next packet of `samples` (RTP clock units) into `out`
   *  (at least kRtpHeaderSize bytes); the payload is expected right after it. The marker is
   *  set on the first packet and the first after a Skip, or when `marker` asks for it. */
  void WriteHeader(uint8_t* out, uint32_t samples, size_t payload_size, bool marker = false);
  /** Writes header then `payload` into `out`; returns bytes written, or 0 (nothing changed)
   *  when `capacity` is too small. */
  size_t Write(const uint8_t* payload, size_t payload_size, uint32_t samples, uint8_t* out,
               size_t capacity, bool marker = false);
  /** A tick with nothing sent: the timestamp moves on by `samples`, the sequence does not,
   *  and the next packet carries the marker (a talkspurt start). */
  void Skip(uint32_t samples);

  /** This stream's SSRC. */
  uint32_t ssrc() const { return ssrc_; }
  /** Payload type written in every header. */
  uint8_t payload_type() const { return payload_type_; }
  /** RTP clock, Hz. */
  uint32_t clock_rate() const { return clock_rate_; }
  /** Sequence number of the next packet. */
  uint16_t next_sequence() const { return sequence_; }
  /** Timestamp of the next packet. */
  uint32_t next_timestamp() const { return timestamp_; }
  /** Packets written (for an RTCP SR). */
  uint32_t packets_sent() const { return packets_sent_; }
  /** Payload octets written (for an RTCP SR). */
  uint32_t octets_sent() const { return octets_sent_; }

 private:
  uint8_t payload_type_;
  uint32_t clock_rate_;
  uint32_t ssrc_;
  uint16_t sequence_;
  uint32_t timestamp_;
  bool talkspurt_start_ = true;  // the next packet opens a talkspurt
  uint32_t packets_sent_ = 0;
  uint32_t octets_sent_ = 0;
};

}  // namespace confmix::rtp
