// The jitter buffer fed arbitrary packets (sequence, timestamp, SSRC, payload size, duration,
// arrival time) and pops, checking its invariants after every step: its counters account for every
// push, no packet comes out twice, the playout clock never runs back within a stream, and what it
// holds stays within its cap.
#include <memory>
#include <algorithm>
#include <vector>

#include "core/rtp/jitter_buffer.h"
#include "fuzz_check.h"

using namespace confmix;

namespace {
constexpr uint32_t kClockRates[] = {8000, 16000, 48000};
constexpr uint32_t kIntervalsMs[] = {10, 20, 40, 60};
// Largest payload a push makes (4 + 255 * 4 bytes, or the cap of 64 + 63 * 16 plus 256).
constexpr size_t kMaxPayload = 1344;
// Pushes one input may make: more than a 512-byte input can ask for.
constexpr uint32_t kMaxPushes = 1024;

// One input; what it produced goes into `digest` when there is one.
void Run(const uint8_t* data, size_t size, fuzz::Digest* digest) {
  fuzz::Bytes in(data, size);
  rtp::JitterBufferConfig config;
  const uint8_t shape = in.U8();
  config.clock_rate = kClockRates[shape % 3];
  const uint32_t interval_ms = kIntervalsMs[(shape >> 2) & 3];
  config.frame_samples = config.clock_rate / 1000 * interval_ms;
  config.max_delay_ms = std::min<uint32_t>(rtp::kJitterMaxDelayMs, std::max<uint32_t>(interval_ms, in.U8() * 2u));
  config.max_payload_bytes = 64 + (in.U8() & 0x3f) * 16;
  FUZZ_CHECK(rtp::ValidateJitterBufferConfig(config).empty());
  rtp::JitterBuffer buffer(config);

  // Each payload carries the push's serial number, so a packet popped twice is seen. Both
  // buffers live across inputs (allocating them per input cost more than the buffer's work):
  // only the serial is written, and the serials this input pushed are cleared before it ends.
  static std::vector<uint8_t> payload(kMaxPayload, 0);
  static std::vector<bool> popped(kMaxPushes + 1, false);
  uint32_t serial = 0;
  uint16_t sequence = in.U16();
  uint32_t timestamp = in.U32();
  uint32_t ssrc = 1;
  double now_ms = 0;
  uint64_t results[8] = {};
  // The hard cap (max delay plus two packets of at most 120 ms), plus two packets' slack: the
  // level is measured to the furthest packet held, which a reordering sender may have sent early.
  const int64_t unit_cap = static_cast<int64_t>(config.clock_rate) * 120 / 1000;
  const int64_t hold_cap = static_cast<int64_t>(config.clock_rate) * config.max_delay_ms / 1000 + 4 * unit_cap +
                           config.frame_samples;
  while (!in.empty() && serial < kMaxPushes) {
    const uint8_t op = in.U8();
    if (op < 0x30) {  // pops: one tick's worth
      now_ms += interval_ms;
      const bool was_playing = buffer.playing();
      const int64_t before = buffer.playout_position();
      const rtp::JitterBufferStats earlier = buffer.stats();
      const uint64_t changes = earlier.ssrc_changes + earlier.flushed;
      for (int pops = 0; pops < 8; pops++) {
        const rtp::JitterFrame frame = buffer.Pop();
        FUZZ_CHECK(frame.samples <= config.clock_rate);  // never more than a second at once
        if (frame.kind == rtp::JitterFrameKind::kPacket && frame.payload_size >= 4) {
          uint32_t id;
          std::memcpy(&id, frame.payload, 4);
          FUZZ_CHECK(id >= 1 && id <= serial && !popped[id]);  // only what was pushed, never twice
          popped[id] = true;
          if (digest) digest->Add(id);
        }
        if (digest) {
          digest->Add(frame.kind);
          digest->Add(frame.samples);
          digest->Add(frame.payload_size);
        }
        if (frame.kind == rtp::JitterFrameKind::kUnderrun || (op & 1)) break;
      }
      const rtp::JitterBufferStats stats = buffer.stats();
      if (was_playing && buffer.playing() && stats.ssrc_changes + stats.flushed == changes) {
        FUZZ_CHECK(buffer.playout_position() >= before);  // playout never runs back
      }
      if (buffer.playing()) FUZZ_CHECK(buffer.buffered_samples() <= hold_cap);
      if (digest) digest->Add(buffer.buffered_samples());
      continue;
    }
    // A push: the op's bits say what changes from the previous packet.
    if (op & 0x01) sequence += 1;
    else sequence += static_cast<uint16_t>(static_cast<int8_t>(in.U8()));
    if (op & 0x02) timestamp += config.frame_samples;
    else if (op & 0x04) timestamp += static_cast<uint32_t>(static_cast<int16_t>(in.U16()));
    else timestamp = in.U32();
    if ((op & 0x38) == 0x38) ssrc = (op & 0x40) ? ssrc ^ 1 : in.U32();
    now_ms += (op & 0x80) ? in.U8() / 4.0 : 0.0;
    size_t payload_size = (op & 0x40) ? 4 + in.U8() * 4 : 4 + (in.U8() & 0x1f);
    if ((op & 0xc0) == 0xc0 && (in.U8() & 0x0f) == 0) payload_size = config.max_payload_bytes + 1 + in.U8();
    FUZZ_CHECK(payload_size <= kMaxPayload);
    const uint32_t samples = (op & 0x20) ? in.U16() : 0;
    ++serial;
    std::memcpy(payload.data(), &serial, 4);
    rtp::RtpPacketView packet;
    packet.version = 2;
    packet.payload_type = 111;
    packet.sequence = sequence;
    packet.timestamp = timestamp;
    packet.ssrc = ssrc;
    packet.marker = (op & 0x10) != 0;
    packet.payload = payload.data();
    packet.payload_size = payload_size;
    const rtp::JitterPushResult result = buffer.Push(packet, now_ms, samples);
    FUZZ_CHECK(static_cast<size_t>(result) < 6);
    results[static_cast<size_t>(result)]++;
    if (digest) digest->Add(result);
    const rtp::JitterBufferStats stats = buffer.stats();
    // Every push is accounted for, once, by the reason it was given.
    FUZZ_CHECK(stats.received == serial);
    FUZZ_CHECK(stats.queued == results[static_cast<size_t>(rtp::JitterPushResult::kQueued)]);
    FUZZ_CHECK(stats.duplicates == results[static_cast<size_t>(rtp::JitterPushResult::kDuplicate)]);
    FUZZ_CHECK(stats.too_big == results[static_cast<size_t>(rtp::JitterPushResult::kTooBig)]);
    FUZZ_CHECK(stats.stale_ssrc == results[static_cast<size_t>(rtp::JitterPushResult::kStaleSsrc)]);
    FUZZ_CHECK(stats.sequence_jumps == results[static_cast<size_t>(rtp::JitterPushResult::kSequenceJump)]);
    FUZZ_CHECK(stats.late == results[static_cast<size_t>(rtp::JitterPushResult::kLate)]);
    // (While starved, a push may leave more than the cap until the next pop applies it.)
  }
  std::fill(popped.begin(), popped.begin() + serial + 1, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::RunInput([&](fuzz::Digest* digest) { Run(data, size, digest); });
}
