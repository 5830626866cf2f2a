// RTP for JavaScript: parsing, the sending side of a leg, the jitter buffer and RFC 4733
// telephone-events. Every argument is checked here; a bad one throws an Error with code
// ERR_INVALID_ARGUMENT. Malformed packets are network input, not errors: they get a result.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "addon/arguments.h"
#include "addon/raw_class.h"
#include "testing/bindings.h"
#include "core/rtp/jitter_buffer.h"
#include "core/rtp/rtp_packet.h"
#include "core/rtp/rtp_sender.h"
#include "core/rtp/rtp_stats.h"
#include "core/rtp/telephone_event.h"

namespace confmix::addon {
namespace {

constexpr double kMaxUint32 = 4294967295.0;
// Largest payload RtpSender.write takes: one UDP datagram less the header.
constexpr size_t kMaxSendPayload = 65507 - rtp::kRtpHeaderSize;


bool ReadOptions(Napi::Env env, const Napi::Value& value, const char* what, bool required,
                 Napi::Object* out) {
  if (value.IsUndefined() && !required) {
    *out = Napi::Object::New(env);
    return true;
  }
  if (!value.IsObject() || value.IsArray()) {
    ThrowInvalid(env, std::string(what) + " expects an options object");
    return false;
  }
  *out = value.As<Napi::Object>();
  return true;
}

// parseRtp(bytes) -> {ok: true, ...fields, payload} | {ok: false, reason}
Napi::Value ParseRtp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes;
  if (!ReadUint8Array(env, info[0], "parseRtp's argument", &bytes)) return env.Undefined();
  rtp::RtpPacketView packet;
  rtp::RtpParseResult result = rtp::ParseRtp(bytes.Data(), bytes.ByteLength(), &packet);
  Napi::Object out = Napi::Object::New(env);
  if (result != rtp::RtpParseResult::kOk) {
    out.Set("ok", false);
    out.Set("reason", rtp::RtpParseResultName(result));
    return out;
  }
  out.Set("ok", true);
  out.Set("version", Napi::Number::New(env, packet.version));
  out.Set("padding", Napi::Boolean::New(env, packet.padding));
  out.Set("extension", Napi::Boolean::New(env, packet.extension));
  Napi::Array csrcs = Napi::Array::New(env, packet.csrc_count);
  for (uint32_t i = 0; i < packet.csrc_count; ++i) csrcs.Set(i, Napi::Number::New(env, packet.csrcs[i]));
  out.Set("csrcs", csrcs);
  out.Set("marker", Napi::Boolean::New(env, packet.marker));
  out.Set("payloadType", Napi::Number::New(env, packet.payload_type));
  out.Set("sequence", Napi::Number::New(env, packet.sequence));
  out.Set("timestamp", Napi::Number::New(env, packet.timestamp));
  out.Set("ssrc", Napi::Number::New(env, packet.ssrc));
  if (packet.extension) {
    out.Set("extensionProfile", Napi::Number::New(env, packet.extension_profile));
    out.Set("extensionData", CopyToUint8Array(env, packet.extension_data, packet.extension_size));
  }
  out.Set("paddingSize", Napi::Number::New(env, packet.padding_size));
  out.Set("payload", CopyToUint8Array(env, packet.payload, packet.payload_size));
  return out;
}

/** RtpSender(payloadType, clockRate, ssrc?): numbers and writes one leg's outgoing headers. */
class RtpSenderWrap {
 public:
  static constexpr const char* kName = "RtpSender";
  using Class = RawClass<RtpSenderWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&RtpSenderWrap::Write>("write"),
        Class::Method<&RtpSenderWrap::Skip>("skip"),
        Class::Getter<&RtpSenderWrap::Ssrc>("ssrc"),
        Class::Getter<&RtpSenderWrap::PayloadType>("payloadType"),
        Class::Getter<&RtpSenderWrap::ClockRate>("clockRate"),
        Class::Getter<&RtpSenderWrap::Sequence>("sequence"),
        Class::Getter<&RtpSenderWrap::Timestamp>("timestamp"),
        Class::Getter<&RtpSenderWrap::PacketsSent>("packetsSent"),
        Class::Getter<&RtpSenderWrap::OctetsSent>("octetsSent"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    rtp::RtpSenderOptions options;
    if (!ReadNamedInteger(env, info[0], "payloadType", 0, 127, &options.payload_type) ||
        !ReadNamedInteger(env, info[1], "clockRate", 1000, 192000, &options.clock_rate)) {
      return false;
    }
    if (!info[2].IsUndefined()) {
      if (!ReadNamedInteger(env, info[2], "ssrc", 0, kMaxUint32, &options.ssrc)) return false;
      options.has_ssrc = true;
    }
    sender_ = std::make_unique<rtp::RtpSender>(options);
    return true;
  }

 private:
  // write(payload, samples, {marker?}) -> header + payload
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload;
    uint32_t samples = 0;
    Napi::Object options;
    if (!ReadUint8Array(env, info[0], "payload", &payload) ||
        !ReadNamedInteger(env, info[1], "samples", 0, kMaxUint32, &samples) ||
        !ReadOptions(env, info[2], "write", false, &options)) {
      return env.Undefined();
    }
    if (payload.ByteLength() > kMaxSendPayload) {
      ThrowInvalid(env, "payload must be at most " + std::to_string(kMaxSendPayload) + " bytes");
      return env.Undefined();
    }
    Napi::Value marker;
    if (!GetProperty(env, options, "marker", &marker)) return env.Undefined();
    if (!marker.IsUndefined() && !marker.IsBoolean()) {
      ThrowInvalid(env, "marker must be a boolean");
      return env.Undefined();
    }
    size_t size = rtp::kRtpHeaderSize + payload.ByteLength();
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, size);
    uint8_t* out = static_cast<uint8_t*>(buffer.Data());
    sender_->Write(payload.Data(), payload.ByteLength(), samples, out, size,
                   marker.IsBoolean() && marker.As<Napi::Boolean>().Value());
    return Napi::Uint8Array::New(env, size, buffer, 0);
  }

  // skip(samples): a tick with nothing sent
  Napi::Value Skip(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t samples = 0;
    if (!ReadNamedInteger(env, info[0], "samples", 0, kMaxUint32, &samples)) return env.Undefined();
    sender_->Skip(samples);
    return env.Undefined();
  }

  Napi::Value Ssrc(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->ssrc());
  }
  Napi::Value PayloadType(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->payload_type());
  }
  Napi::Value ClockRate(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->clock_rate());
  }
  Napi::Value Sequence(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->next_sequence());
  }
  Napi::Value Timestamp(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->next_timestamp());
  }
  Napi::Value PacketsSent(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->packets_sent());
  }
  Napi::Value OctetsSent(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sender_->octets_sent());
  }

  std::unique_ptr<rtp::RtpSender> sender_;
};

/** JitterBuffer({clockRate, frameSamples, maxDelayMs?, minDelayMs?, slots?, maxPayloadBytes?}). */
class JitterBufferWrap {
 public:
  static constexpr const char* kName = "JitterBuffer";
  using Class = RawClass<JitterBufferWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&JitterBufferWrap::Push>("push"),
        Class::Method<&JitterBufferWrap::Pop>("pop"),
        Class::Method<&JitterBufferWrap::Stats>("stats"),
        Class::Method<&JitterBufferWrap::Reset>("reset"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    if (!ReadOptions(env, info[0], "JitterBuffer", true, &options)) return false;
    rtp::JitterBufferConfig config;
    Napi::Value field;
    if (!GetProperty(env, options, "clockRate", &field) ||
        !ReadNamedInteger(env, field, "clockRate", 1000, 192000, &config.clock_rate) ||
        !GetProperty(env, options, "frameSamples", &field) ||
        !ReadNamedInteger(env, field, "frameSamples", 1, 23040, &config.frame_samples) ||
        !GetProperty(env, options, "maxDelayMs", &field) ||
        !ReadOptionalNamedInteger(env, field, "maxDelayMs", 1, rtp::kJitterMaxDelayMs, &config.max_delay_ms) ||
        !GetProperty(env, options, "minDelayMs", &field) ||
        !ReadOptionalNamedInteger(env, field, "minDelayMs", 0, rtp::kJitterMaxDelayMs, &config.min_delay_ms) ||
        !GetProperty(env, options, "slots", &field) ||
        !ReadOptionalNamedInteger(env, field, "slots", 8, 4096, &config.slots) ||
        !GetProperty(env, options, "maxPayloadBytes", &field) ||
        !ReadOptionalNamedInteger(env, field, "maxPayloadBytes", 1, 65535, &config.max_payload_bytes)) {
      return false;
    }
    std::string error = rtp::ValidateJitterBufferConfig(config);
    if (!error.empty()) {
      ThrowInvalid(env, error);
      return false;
    }
    buffer_ = std::make_unique<rtp::JitterBuffer>(config);
    return true;
  }

 private:
  // push(packetBytes, arrivalMs, samples?) -> status
  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array bytes;
    if (!ReadUint8Array(env, info[0], "packet", &bytes)) return env.Undefined();
    if (!info[1].IsNumber() || !std::isfinite(info[1].As<Napi::Number>().DoubleValue())) {
      ThrowInvalid(env, "arrivalMs must be a finite number");
      return env.Undefined();
    }
    double arrival_ms = info[1].As<Napi::Number>().DoubleValue();
    uint32_t samples = 0;
    if (!ReadOptionalNamedInteger(env, info[2], "samples", 1, 23040, &samples)) return env.Undefined();
    rtp::RtpPacketView packet;
    if (rtp::ParseRtpCounted(bytes.Data(), bytes.ByteLength(), &packet, &rejects_) !=
        rtp::RtpParseResult::kOk) {
      return Napi::String::New(env, "invalid");
    }
    return Napi::String::New(env,
                             rtp::JitterPushResultName(buffer_->Push(packet, arrival_ms, samples)));
  }

  // pop() -> {kind, timestamp, samples, ...}
  Napi::Value Pop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    rtp::JitterFrame frame = buffer_->Pop();
    Napi::Object out = Napi::Object::New(env);
    out.Set("kind", rtp::JitterFrameKindName(frame.kind));
    out.Set("timestamp", Napi::Number::New(env, frame.timestamp));
    out.Set("samples", Napi::Number::New(env, frame.samples));
    if (frame.kind == rtp::JitterFrameKind::kUnderrun) {
      out.Set("cause", rtp::UnderrunCauseName(frame.cause));
    }
    if (frame.payload != nullptr) {
      out.Set("sequence", Napi::Number::New(env, frame.sequence));
      out.Set("marker", Napi::Boolean::New(env, frame.marker));
      out.Set("payloadType", Napi::Number::New(env, frame.payload_type));
      out.Set("payload", CopyToUint8Array(env, frame.payload, frame.payload_size));
    }
    if (frame.next_payload != nullptr) {
      out.Set("nextPayload", CopyToUint8Array(env, frame.next_payload, frame.next_payload_size));
    }
    return out;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    rtp::JitterBufferStats s = buffer_->stats();
    Napi::Object out = Napi::Object::New(env);
    auto set = [&](const char* key, double value) { out.Set(key, Napi::Number::New(env, value)); };
    set("received", static_cast<double>(s.received));
    set("queued", static_cast<double>(s.queued));
    set("lost", static_cast<double>(s.lost));
    set("late", static_cast<double>(s.late));
    set("duplicates", static_cast<double>(s.duplicates));
    set("reordered", static_cast<double>(s.reordered));
    set("tooBig", static_cast<double>(s.too_big));
    set("staleSsrc", static_cast<double>(s.stale_ssrc));
    set("sequenceJumps", static_cast<double>(s.sequence_jumps));
    set("droppedDrift", static_cast<double>(s.dropped_drift));
    set("droppedOverflow", static_cast<double>(s.dropped_overflow));
    set("inserted", static_cast<double>(s.inserted));
    set("underruns", static_cast<double>(s.underruns));
    set("flushed", static_cast<double>(s.flushed));
    set("ssrcChanges", static_cast<double>(s.ssrc_changes));
    set("timestampJumps", static_cast<double>(s.timestamp_jumps));
    set("resyncs", static_cast<double>(s.resyncs));
    set("packetsPlayed", static_cast<double>(s.packets_played));
    set("lostFrames", static_cast<double>(s.lost_frames));
    set("dtxFrames", static_cast<double>(s.dtx_frames));
    set("delayMs", s.delay_ms);
    set("targetDelayMs", s.target_delay_ms);
    set("bufferedMs", s.buffered_ms);
    set("jitterMs", s.jitter_ms);
    Napi::Object rejected = Napi::Object::New(env);
    for (size_t i = 1; i < rtp::kRtpParseResultCount; ++i) {
      auto reason = static_cast<rtp::RtpParseResult>(i);
      rejected.Set(rtp::RtpParseResultName(reason),
                   Napi::Number::New(env, static_cast<double>(rejects_[reason])));
    }
    out.Set("rejected", rejected);
    return out;
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    buffer_->Reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<rtp::JitterBuffer> buffer_;
  rtp::RtpRejectCounters rejects_;
};

/** TelephoneEventDetector(payloadType, clockRate): each RFC 4733 key once, at its start. */
class TelephoneEventDetectorWrap {
 public:
  static constexpr const char* kName = "TelephoneEventDetector";
  using Class = RawClass<TelephoneEventDetectorWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&TelephoneEventDetectorWrap::Push>("push"),
        Class::Method<&TelephoneEventDetectorWrap::Reset>("reset"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint8_t payload_type = 0;
    uint32_t clock_rate = 0;
    if (!ReadNamedInteger(env, info[0], "payloadType", 0, 127, &payload_type) ||
        !ReadNamedInteger(env, info[1], "clockRate", 1000, 192000, &clock_rate)) {
      return false;
    }
    detector_ = std::make_unique<rtp::TelephoneEventDetector>(payload_type, clock_rate);
    return true;
  }

 private:
  // push(packetBytes) -> key | null
  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array bytes;
    if (!ReadUint8Array(env, info[0], "packet", &bytes)) return env.Undefined();
    rtp::RtpPacketView packet;
    if (rtp::ParseRtp(bytes.Data(), bytes.ByteLength(), &packet) != rtp::RtpParseResult::kOk) {
      return env.Null();
    }
    char key = detector_->Push(packet);
    if (key == 0) return env.Null();
    return Napi::String::New(env, std::string(1, key));
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    detector_->Reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<rtp::TelephoneEventDetector> detector_;
};

// telephoneEventPackets(key, {payloadType, clockRate, ssrc, sequence, timestamp, durationMs,
//                             intervalMs?, volume?, startPackets?, endPackets?}) -> Uint8Array[]
Napi::Value TelephoneEventPackets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    ThrowInvalid(env, "key must be one of 0-9, *, #, A-D");
    return env.Undefined();
  }
  std::string key = info[0].As<Napi::String>().Utf8Value();
  if (key.size() != 1 || rtp::TelephoneEventCode(key[0]) < 0) {
    ThrowInvalid(env, "key must be one of 0-9, *, #, A-D");
    return env.Undefined();
  }
  Napi::Object options;
  if (!ReadOptions(env, info[1], "telephoneEventPackets", true, &options)) return env.Undefined();
  rtp::TelephoneEventSendOptions send;
  Napi::Value field;
  if (!GetProperty(env, options, "payloadType", &field) ||
      !ReadNamedInteger(env, field, "payloadType", 0, 127, &send.payload_type) ||
      !GetProperty(env, options, "clockRate", &field) ||
      !ReadNamedInteger(env, field, "clockRate", 1000, 192000, &send.clock_rate) ||
      !GetProperty(env, options, "ssrc", &field) ||
      !ReadNamedInteger(env, field, "ssrc", 0, kMaxUint32, &send.ssrc) ||
      !GetProperty(env, options, "sequence", &field) ||
      !ReadNamedInteger(env, field, "sequence", 0, 65535, &send.sequence) ||
      !GetProperty(env, options, "timestamp", &field) ||
      !ReadNamedInteger(env, field, "timestamp", 0, kMaxUint32, &send.timestamp) ||
      !GetProperty(env, options, "durationMs", &field) ||
      !ReadNamedInteger(env, field, "durationMs", 1, 60000, &send.duration_ms) ||
      !GetProperty(env, options, "intervalMs", &field) ||
      !ReadOptionalNamedInteger(env, field, "intervalMs", 1, 1000, &send.interval_ms) ||
      !GetProperty(env, options, "volume", &field) ||
      !ReadOptionalNamedInteger(env, field, "volume", 0, 63, &send.volume) ||
      !GetProperty(env, options, "startPackets", &field) ||
      !ReadOptionalNamedInteger(env, field, "startPackets", 0, 10, &send.start_packets) ||
      !GetProperty(env, options, "endPackets", &field) ||
      !ReadOptionalNamedInteger(env, field, "endPackets", 1, 10, &send.end_packets)) {
    return env.Undefined();
  }
  size_t count = rtp::TelephoneEventPacketCount(send);
  if (count == 0) {
    ThrowInvalid(env, "durationMs is longer than the 16-bit duration field holds at this clockRate");
    return env.Undefined();
  }
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, count * rtp::kTelephoneEventPacketSize);
  uint8_t* data = static_cast<uint8_t*>(buffer.Data());
  rtp::BuildTelephoneEventPackets(key[0], send, data, buffer.ByteLength());
  Napi::Array packets = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) {
    packets.Set(static_cast<uint32_t>(i),
                CopyToUint8Array(env, data + i * rtp::kTelephoneEventPacketSize,
                         rtp::kTelephoneEventPacketSize));
  }
  return packets;
}

}  // namespace

void RegisterRtp(Napi::Env env, Napi::Object exports) {
  exports.Set("parseRtp", Napi::Function::New<ParseRtp>(env, "parseRtp"));
  if (napi_value c = RtpSenderWrap::Define(env)) exports.Set("RtpSender", Napi::Value(env, c));
  if (napi_value c = JitterBufferWrap::Define(env)) exports.Set("JitterBuffer", Napi::Value(env, c));
  if (napi_value c = TelephoneEventDetectorWrap::Define(env)) exports.Set("TelephoneEventDetector", Napi::Value(env, c));
  exports.Set("telephoneEventPackets",
              Napi::Function::New<TelephoneEventPackets>(env, "telephoneEventPackets"));
}

}  // namespace confmix::addon
