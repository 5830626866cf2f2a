// A member's whole receive path: datagrams in (raw bytes, or RTP packets shaped from the input so
// the deeper paths are reached), frames out (RFC 4733 or jitter buffer, decode, concealment, FEC,
// resampling). Its counters must add up to what each datagram was told, and no tick may cost more
// decoder calls than the tick bounds, whatever arrives.
#include <memory>
#include <string>
#include <vector>

#include "core/media/media_receiver.h"
#include "core/rtp/rtp_packet.h"
#include "fuzz_check.h"

using namespace confmix;

namespace {

constexpr int kConferenceRates[] = {8000, 16000, 24000, 32000, 48000};
constexpr int kIntervalsMs[] = {10, 20, 40, 60};
// Ticks one input may run: enough for loss, concealment and resyncs, few enough to stay fast.
constexpr int kMaxTicks = 64;

CodecParams CodecOf(uint8_t choice) {
  CodecParams codec;
  switch (choice % 5) {
    case 0: codec.kind = CodecKind::kPcmu; codec.payload_type = 0; codec.clock_rate = 8000; break;
    case 1: codec.kind = CodecKind::kPcma; codec.payload_type = 8; codec.clock_rate = 8000; break;
    case 2: codec.kind = CodecKind::kL16; codec.payload_type = 96; codec.clock_rate = 16000; break;
    case 3: codec.kind = CodecKind::kL16; codec.payload_type = 96; codec.clock_rate = 8000; codec.channels = 2; break;
    default: codec.kind = CodecKind::kOpus; codec.payload_type = 111; codec.clock_rate = 48000; codec.channels = 2; break;
  }
  return codec;
}

// One input; what it produced goes into `digest` when there is one.
void Run(const uint8_t* data, size_t size, fuzz::Digest* digest) {
  fuzz::Bytes in(data, size);
  const uint8_t shape = in.U8();
  ReceiverConfig config;
  config.codec = CodecOf(shape);
  config.conference_rate = kConferenceRates[(shape >> 3) % 5];
  config.interval_ms = kIntervalsMs[(shape >> 6) & 3];
  const uint8_t events = in.U8();
  config.telephone_event_pt = (events & 1) ? 101 : -1;
  config.telephone_event_clock = (events & 2) ? 48000 : 8000;
  std::string why;
  std::unique_ptr<MediaReceiver> receiver = MediaReceiver::Create(config, &why);
  FUZZ_CHECK(receiver != nullptr);

  // The frame is exactly one tick, so ASan sees a write past it. The packet buffer lives across
  // inputs: a shaped packet is written whole before it is offered.
  std::vector<int16_t> frame(static_cast<size_t>(config.conference_rate / 1000 * config.interval_ms));
  static std::vector<uint8_t> packet(1600);
  uint64_t valid_rtp = 0, rtcp = 0, keys = 0;
  uint64_t rejected[static_cast<size_t>(ReceiveReject::kCount)] = {};
  uint16_t sequence = in.U16();
  uint32_t timestamp = in.U32();
  double now_ms = 0;
  const int pops = MaxPopsPerTick(config.interval_ms);
  int ticks = 0;
  while (!in.empty() && ticks < kMaxTicks) {
    const uint8_t op = in.U8();
    if (op < 0x40) {  // a tick
      now_ms += config.interval_ms;
      ticks++;
      const DecodePolicy policy = static_cast<DecodePolicy>(op % 3);
      const uint64_t decodes = receiver->stats().decodes;
      const bool audio = receiver->ProduceFrame(frame.data(), policy);
      if (digest) {
        digest->Add(audio);
        digest->AddBytes(frame.data(), frame.size() * sizeof(int16_t));
      }
      // Each pop costs at most a decode and a pre-roll; the starved path one concealment more.
      FUZZ_CHECK(receiver->stats().decodes - decodes <= static_cast<uint64_t>(2 * pops + 1));
      continue;
    }
    size_t length = 0;
    const uint8_t* bytes = nullptr;
    if (op & 0x20) {  // raw bytes, as a stranger or a broken peer sends them
      bytes = in.Take(in.U8() * 8u, &length);
    } else {  // an RTP packet of the negotiated stream (or telephone-event), with a fuzzed payload
      sequence += (op & 1) ? 1 : static_cast<uint16_t>(static_cast<int8_t>(in.U8()));
      timestamp += (op & 2) ? static_cast<uint32_t>(config.codec.clock_rate / 50)
                            : static_cast<uint32_t>(static_cast<int16_t>(in.U16()));
      const bool event = (op & 4) && config.telephone_event_pt >= 0;
      const uint8_t payload_type = event ? 101 : (op & 8) ? 13 : static_cast<uint8_t>(config.codec.payload_type);
      rtp::WriteRtpHeader(packet.data(), (op & 0x10) != 0, payload_type, sequence, timestamp, 0x5eed);
      size_t payload_size = 0;
      const uint8_t* payload = in.Take(event ? 4 : in.U8() * 4u, &payload_size);
      if (payload_size) std::memcpy(packet.data() + rtp::kRtpHeaderSize, payload, payload_size);
      bytes = packet.data();
      length = rtp::kRtpHeaderSize + payload_size;
    }
    now_ms += (op & 0x80) ? 0.5 : 0.0;
    const ReceiveResult result = receiver->OnDatagram(bytes, length, now_ms);
    if (result.rtcp) rtcp++;
    else if (result.valid) valid_rtp++;
    if (result.key) keys++;
    if (digest) {
      digest->Add(result.valid);
      digest->Add(result.key);
      digest->Add(result.reject.value_or(ReceiveReject::kCount));
    }
    if (result.reject) {
      FUZZ_CHECK(static_cast<size_t>(*result.reject) < static_cast<size_t>(ReceiveReject::kCount));
      rejected[static_cast<size_t>(*result.reject)]++;
    }
    const ReceiverStats& stats = receiver->stats();
    FUZZ_CHECK(stats.packets == valid_rtp);
    FUZZ_CHECK(stats.rtcp == rtcp);
    FUZZ_CHECK(stats.dtmf_keys == keys);
    uint64_t malformed = 0;
    for (uint64_t count : stats.malformed) malformed += count;
    FUZZ_CHECK(malformed == stats.rejected[static_cast<size_t>(ReceiveReject::kMalformed)]);
    for (size_t i = 0; i < static_cast<size_t>(ReceiveReject::kCount); i++) FUZZ_CHECK(stats.rejected[i] == rejected[i]);
    // Every taken audio packet is in the jitter buffer's count.
    FUZZ_CHECK(receiver->jitter_stats().received <= stats.packets);
  }
  if (digest) {
    const ReceiverStats& stats = receiver->stats();
    for (uint64_t count : {stats.decodes, stats.concealed, stats.fec_recovered, stats.skipped_decodes,
                           stats.unvoiced_skips, stats.level_skips, stats.dtmf_dropped, stats.bytes})
      digest->Add(count);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::RunInput([&](fuzz::Digest* digest) { Run(data, size, digest); });
}
