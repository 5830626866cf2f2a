// RFC 4733 telephone-events (DTMF over RTP). The detector reports each key once, when its
// event starts, however often the sender retransmits start or end packets; a new press is a
// new event timestamp. The builder makes the packets a sender emits for one press.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/rtp/rtp_packet.h"

namespace confmix::rtp {

/** Bytes of a telephone-event payload. */
constexpr size_t kTelephoneEventPayloadSize = 4;
/** Bytes of one telephone-event RTP packet as built here. */
constexpr size_t kTelephoneEventPacketSize = kRtpHeaderSize + kTelephoneEventPayloadSize;

/** One telephone-event payload (RFC 4733 2.3). */
struct TelephoneEventPayload {
  uint8_t event = 0;      // 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D', others non-keys
  bool end = false;       // E bit: the last packets of the event
  uint8_t volume = 0;     // -dBm0, 0..63
  uint16_t duration = 0;  // RTP units since the event's timestamp
};

/** Parses a payload; false when it is shorter than 4 bytes. */
bool ParseTelephoneEvent(const uint8_t* payload, size_t size, TelephoneEventPayload* out);
/** The key of an event code ('0'-'9', '*', '#', 'A'-'D'), or 0 if it is not a key. */
char TelephoneEventKey(uint8_t event);
/** The event code of a key (lower-case a-d accepted), or -1 if it is not a key. */
int TelephoneEventCode(char key);

/** Reports the key of each new telephone-event once, at its start. */
class TelephoneEventDetector {
 public:
  /** Recent event timestamps remembered, so late retransmissions of old events stay silent. */
  static constexpr size_t kRemembered = 8;

  /** A detector for events of `payload_type` on a `clock_rate` Hz RTP clock. */
  TelephoneEventDetector(uint8_t payload_type, uint32_t clock_rate);

  /** Offers a packet; returns the key when it starts a new event, otherwise 0 (also for
   *  other payload types, malformed payloads and non-key events). */
  char Push(const RtpPacketView& packet);
  /** Forgets every event seen. */
  void Reset();

  /** Payload type it listens to. */
  uint8_t payload_type() const { return payload_type_; }
  /** RTP clock, Hz. */
  uint32_t clock_rate() const { return clock_rate_; }

 private:
  bool Remembered(uint32_t timestamp) const;

  uint8_t payload_type_;
  uint32_t clock_rate_;
  bool has_ssrc_ = false;
  uint32_t ssrc_ = 0;
  std::array<uint32_t, kRemembered> recent_{};
  size_t recent_count_ = 0;
  size_t recent_next_ = 0;
  bool has_last_ = false;
  uint32_t last_timestamp_ = 0;
  uint8_t last_event_ = 0;
  bool last_ended_ = false;
  uint16_t last_duration_ = 0;
};

/** How a key press is sent. */
struct TelephoneEventSendOptions {
  uint8_t payload_type = 101;
  uint32_t clock_rate = 8000;
  uint32_t ssrc = 0;
  uint16_t sequence = 0;       // of the first packet; each packet takes the next
  uint32_t timestamp = 0;      // the event's timestamp, shared by all its packets
  uint32_t duration_ms = 100;  // how long the key is held
  uint32_t interval_ms = 20;   // between updates
  uint8_t volume = 10;         // -dBm0
  uint8_t start_packets = 3;   // copies of the first packet (marker set)
  uint8_t end_packets = 3;     // copies of the final packet (E bit set)
};

/** Packets BuildTelephoneEventPackets makes for `options`, or 0 if the options are invalid
 *  (zero interval, no end packet, or a duration past the 16-bit field). */
size_t TelephoneEventPacketCount(const TelephoneEventSendOptions& options);
/** Writes the packets of one press of `key`, kTelephoneEventPacketSize bytes each, back to
 *  back into `out`; returns the packet count, or 0 (nothing written) for a bad key or options
 *  or too small a `capacity`. */
size_t BuildTelephoneEventPackets(char key, const TelephoneEventSendOptions& options,
                                  uint8_t* out, size_t capacity);

}  // namespace confmix::rtp
