#include "core/rtp/telephone_event.h"

namespace confmix::rtp {
namespace {

constexpr char kKeys[] = "0123456789*#ABCD";
constexpr uint8_t kKeyCount = 16;

uint64_t DurationUnits(uint32_t ms, uint32_t clock_rate) {
  return static_cast<uint64_t>(ms) * clock_rate / 1000;
}

}  // namespace

bool ParseTelephoneEvent(const uint8_t* payload, size_t size, TelephoneEventPayload* out) {
  if (payload == nullptr || size < kTelephoneEventPayloadSize) return false;
  out->event = payload[0];
  out->end = (payload[1] & 0x80) != 0;
  out->volume = payload[1] & 0x3f;
  out->duration = static_cast<uint16_t>((payload[2] << 8) | payload[3]);
  return true;
}

char TelephoneEventKey(uint8_t event) { return event < kKeyCount ? kKeys[event] : 0; }

int TelephoneEventCode(char key) {
  if (key >= 'a' && key <= 'd') key = static_cast<char>(key - 'a' + 'A');
  for (int i = 0; i < kKeyCount; ++i) {
    if (kKeys[i] == key) return i;
  }
  return -1;
}

TelephoneEventDetector::TelephoneEventDetector(uint8_t payload_type, uint32_t clock_rate)
    : payload_type_(payload_type), clock_rate_(clock_rate) {}

void TelephoneEventDetector::Reset() {
  has_ssrc_ = false;
  recent_count_ = 0;
  recent_next_ = 0;
  has_last_ = false;
}

bool TelephoneEventDetector::Remembered(uint32_t timestamp) const {
  for (size_t i = 0; i < recent_count_; ++i) {
    if (recent_[i] == timestamp) return true;
  }
  return false;
}

char TelephoneEventDetector::Push(const RtpPacketView& packet) {
  TelephoneEventPayload event;
  if (packet.payload_type != payload_type_ ||
      !ParseTelephoneEvent(packet.payload, packet.payload_size, &event)) {
    return 0;
  }
  if (!has_ssrc_ || packet.ssrc != ssrc_) {
    Reset();
    has_ssrc_ = true;
    ssrc_ = packet.ssrc;
  }
  if (has_last_ && packet.timestamp == last_timestamp_) {
    // Another packet of the current event: only its state moves on.
    if (event.end) last_ended_ = true;
    if (event.duration > last_duration_) last_duration_ = event.duration;
    return 0;
  }
  if (Remembered(packet.timestamp)) return 0;  // a late copy of an earlier event

  // RFC 4733: an event longer than the 16-bit duration continues as a new segment
  // whose timestamp is the old one plus the old duration. That is the same press.
  bool continuation = has_last_ && !last_ended_ && event.event == last_event_ &&
                      last_duration_ >= 0xffff - clock_rate_ / 10 &&
                      packet.timestamp - last_timestamp_ <=
                          static_cast<uint32_t>(last_duration_) + clock_rate_ / 2;

  recent_[recent_next_] = packet.timestamp;
  recent_next_ = (recent_next_ + 1) % kRemembered;
  if (recent_count_ < kRemembered) ++recent_count_;
  has_last_ = true;
  last_timestamp_ = packet.timestamp;
  last_event_ = event.event;
  last_ended_ = event.end;
  last_duration_ = event.duration;
  return continuation ? 0 : TelephoneEventKey(event.event);
}

size_t TelephoneEventPacketCount(const TelephoneEventSendOptions& options) {
  if (options.interval_ms == 0 || options.duration_ms == 0 || options.end_packets == 0 ||
      options.clock_rate == 0 || DurationUnits(options.duration_ms, options.clock_rate) > 0xffff) {
    return 0;
  }
  // Start copies at one interval, an update each further interval, then the end copies.
  uint32_t steps = (options.duration_ms + options.interval_ms - 1) / options.interval_ms;
  size_t updates = steps > 2 ? steps - 2 : 0;
  size_t starts = steps >= 2 ? options.start_packets : 0;
  return starts + updates + options.end_packets;
}

size_t BuildTelephoneEventPackets(char key, const TelephoneEventSendOptions& options,
                                  uint8_t* out, size_t capacity) {
  int code = TelephoneEventCode(key);
  size_t count = TelephoneEventPacketCount(options);
  if (code < 0 || count == 0 || out == nullptr || capacity / kTelephoneEventPacketSize < count) {
    return 0;
  }
  uint32_t total = static_cast<uint32_t>(DurationUnits(options.duration_ms, options.clock_rate));
  uint32_t interval = static_cast<uint32_t>(DurationUnits(options.interval_ms, options.clock_rate));
  uint32_t steps = (options.duration_ms + options.interval_ms - 1) / options.interval_ms;
  size_t starts = steps >= 2 ? options.start_packets : 0;
  uint16_t sequence = options.sequence;
  size_t written = 0;

  auto emit = [&](bool marker, bool end, uint32_t duration) {
    uint8_t* p = out + written * kTelephoneEventPacketSize;
    WriteRtpHeader(p, marker, options.payload_type, sequence++, options.timestamp, options.ssrc);
    p[kRtpHeaderSize] = static_cast<uint8_t>(code);
    p[kRtpHeaderSize + 1] = static_cast<uint8_t>((end ? 0x80 : 0) | (options.volume & 0x3f));
    p[kRtpHeaderSize + 2] = static_cast<uint8_t>(duration >> 8);
    p[kRtpHeaderSize + 3] = static_cast<uint8_t>(duration);
    ++written;
  };
  for (size_t i = 0; i < starts; ++i) emit(true, false, interval);
  for (uint32_t step = 2; step < steps; ++step) emit(false, false, step * interval);
  // A press shorter than one interval is all end packets; the first still marks the start.
  for (size_t i = 0; i < options.end_packets; ++i) emit(starts == 0 && i == 0, true, total);
  return written;
}

}  // namespace confmix::rtp
