// RFC 4733 telephone-events: a stream of arbitrary event packets (event code, end bit, duration,
// timestamp, SSRC) through the detector. A key is reported only at an event's start, only once
// per event timestamp in a row, and is always a keypad key.
#include <cstring>

#include "core/rtp/telephone_event.h"
#include "fuzz_check.h"

using namespace confmix;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint32_t clock = (in.U8() & 1) ? 48000 : 8000;
  rtp::TelephoneEventDetector detector(101, clock);
  uint32_t timestamp = in.U32();
  uint32_t ssrc = in.U32();
  uint16_t sequence = in.U16();
  bool has_last_key = false;
  uint32_t last_key_timestamp = 0;
  uint32_t last_key_ssrc = 0;
  while (!in.empty()) {
    const uint8_t op = in.U8();
    if (op & 0x80) timestamp += static_cast<uint32_t>(static_cast<int16_t>(in.U16()));
    if ((op & 0x70) == 0x70) ssrc = in.U32();
    if ((op & 0x0f) == 0x0f) detector.Reset(), has_last_key = false;
    size_t payload_size = 0;
    const uint8_t* payload = in.Take(op & 0x08 ? 4 : (op & 7), &payload_size);
    rtp::RtpPacketView packet;
    packet.version = 2;
    packet.payload_type = (op & 0x40) && (op & 0x01) ? 96 : 101;
    packet.sequence = sequence++;
    packet.timestamp = timestamp;
    packet.ssrc = ssrc;
    packet.payload = payload_size ? payload : nullptr;
    packet.payload_size = payload_size;
    const char key = detector.Push(packet);
    rtp::TelephoneEventPayload event;
    const bool parsed = rtp::ParseTelephoneEvent(payload, payload_size, &event);
    // Another source's event in between starts the detector over: that key may come again.
    if (parsed && packet.payload_type == 101 && ssrc != last_key_ssrc) has_last_key = false;
    if (key != 0) {
      FUZZ_CHECK(packet.payload_type == 101 && parsed);
      FUZZ_CHECK(key == rtp::TelephoneEventKey(event.event));
      FUZZ_CHECK(rtp::TelephoneEventCode(key) == event.event);
      // The same event, repeated without anything in between, never raises its key twice.
      FUZZ_CHECK(!(has_last_key && last_key_timestamp == timestamp && last_key_ssrc == ssrc));
      has_last_key = true;
      last_key_timestamp = timestamp;
      last_key_ssrc = ssrc;
    }
  }
  // A press built here is read back as exactly that key, once.
  rtp::TelephoneEventSendOptions options;
  options.clock_rate = clock;
  uint8_t packets[64 * rtp::kTelephoneEventPacketSize];
  const char key = "0123456789*#ABCD"[size % 16];
  const size_t count = rtp::BuildTelephoneEventPackets(key, options, packets, sizeof packets);
  FUZZ_CHECK(count > 0);
  rtp::TelephoneEventDetector fresh(options.payload_type, clock);
  int raised = 0;
  for (size_t i = 0; i < count; i++) {
    rtp::RtpPacketView packet;
    FUZZ_CHECK(rtp::ParseRtp(packets + i * rtp::kTelephoneEventPacketSize, rtp::kTelephoneEventPacketSize, &packet) == rtp::RtpParseResult::kOk);
    if (fresh.Push(packet) == key) raised++;
  }
  FUZZ_CHECK(raised == 1);
  return 0;
}
