// RTCP for JavaScript: build and parse packets, receiver statistics and the report timer.
// Every argument is checked here; a bad one throws an Error with code ERR_INVALID_ARGUMENT.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "addon/arguments.h"
#include "addon/raw_class.h"
#include "testing/bindings.h"
#include "core/rtp/rtcp.h"
#include "core/rtp/rtcp_stats.h"

namespace confmix::addon {
namespace {

using rtcp::NtpTime;

// Large enough for an SR with 31 blocks and a 255-byte CNAME.
constexpr size_t kMaxReportBytes = 8 + 20 + rtcp::kMaxCount * 24 + 8 + 260;
constexpr size_t kMaxByeBytes = 8 + 8 + 260;
constexpr double kMaxUint32 = 4294967295.0;


// Reads a wall-clock time in ms since the Unix epoch (fractions allowed).
bool ReadTimeMs(Napi::Env env, const Napi::Value& value, const char* name, double* out) {
  if (!value.IsNumber()) {
    ThrowInvalid(env, std::string(name) + " must be a number of milliseconds");
    return false;
  }
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || number < 0) {
    ThrowInvalid(env, std::string(name) + " must be a finite, non-negative number of milliseconds");
    return false;
  }
  *out = number;
  return true;
}

// Reads a string of at most 255 UTF-8 bytes; `required` forbids undefined and "".
bool ReadText(Napi::Env env, const Napi::Value& value, const char* name, bool required,
              std::string* out) {
  if (value.IsUndefined() && !required) return true;
  if (!value.IsString()) {
    ThrowInvalid(env, std::string(name) + " must be a string");
    return false;
  }
  *out = value.As<Napi::String>().Utf8Value();
  if (required && out->empty()) {
    ThrowInvalid(env, std::string(name) + " must not be empty");
    return false;
  }
  if (out->size() > rtcp::kMaxTextBytes) {
    ThrowInvalid(env, std::string(name) + " must be at most 255 UTF-8 bytes");
    return false;
  }
  return true;
}

bool ReadReportBlock(Napi::Env env, const Napi::Value& value, rtcp::ReportBlock* block) {
  if (!value.IsObject()) {
    ThrowInvalid(env, "each report block must be an object");
    return false;
  }
  Napi::Object object = value.As<Napi::Object>();
  Napi::Value field;
  double number = 0;
  if (!GetProperty(env, object, "ssrc", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].ssrc", 0, kMaxUint32, &block->ssrc)) return false;
  if (!GetProperty(env, object, "fractionLost", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].fractionLost", 0, 255, &number)) return false;
  block->fraction_lost = static_cast<uint8_t>(number);
  if (!GetProperty(env, object, "cumulativeLost", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].cumulativeLost", -0x800000, 0x7fffff, &number)) {
    return false;
  }
  block->cumulative_lost = static_cast<int32_t>(number);
  if (!GetProperty(env, object, "extendedHighestSequence", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].extendedHighestSequence", 0, kMaxUint32,
                        &block->extended_highest_sequence))
    return false;
  if (!GetProperty(env, object, "jitter", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].jitter", 0, kMaxUint32, &block->jitter)) return false;
  if (!GetProperty(env, object, "lsr", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].lsr", 0, kMaxUint32, &block->lsr)) return false;
  if (!GetProperty(env, object, "dlsr", &field) ||
      !ReadNamedInteger(env, field, "reportBlocks[].dlsr", 0, kMaxUint32, &block->dlsr)) return false;
  return true;
}

Napi::Object ReportBlockToJs(Napi::Env env, const rtcp::ReportBlock& block, bool with_ssrc) {
  Napi::Object object = Napi::Object::New(env);
  if (with_ssrc) object.Set("ssrc", Napi::Number::New(env, block.ssrc));
  object.Set("fractionLost", Napi::Number::New(env, block.fraction_lost));
  object.Set("cumulativeLost", Napi::Number::New(env, block.cumulative_lost));
  object.Set("extendedHighestSequence", Napi::Number::New(env, block.extended_highest_sequence));
  object.Set("jitter", Napi::Number::New(env, block.jitter));
  object.Set("lsr", Napi::Number::New(env, block.lsr));
  object.Set("dlsr", Napi::Number::New(env, block.dlsr));
  return object;
}

Napi::String TextToJs(Napi::Env env, std::string_view text) {
  return Napi::String::New(env, text.data(), text.size());
}

// buildRtcpReport({ssrc, ntpMs?, rtpTimestamp?, packetsSent?, octetsSent?, cname, reportBlocks?})
Napi::Value BuildRtcpReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowInvalid(env, "buildRtcpReport expects an options object");
    return env.Undefined();
  }
  Napi::Object options = info[0].As<Napi::Object>();
  rtcp::ReportInput input;
  Napi::Value field;
  if (!GetProperty(env, options, "ssrc", &field) || !ReadNamedInteger(env, field, "ssrc", 0, kMaxUint32, &input.ssrc)) {
    return env.Undefined();
  }

  // Sender info comes all together (SR) or not at all (RR).
  const char* sender_keys[] = {"ntpMs", "rtpTimestamp", "packetsSent", "octetsSent"};
  Napi::Value sender_values[4];
  int present = 0;
  for (int i = 0; i < 4; ++i) {
    if (!GetProperty(env, options, sender_keys[i], &sender_values[i])) return env.Undefined();
    if (!sender_values[i].IsUndefined()) ++present;
  }
  if (present != 0 && present != 4) {
    ThrowInvalid(env, "an SR needs all of ntpMs, rtpTimestamp, packetsSent and octetsSent; "
                      "an RR needs none of them");
    return env.Undefined();
  }
  if (present == 4) {
    input.has_sender_info = true;
    double ntp_ms = 0;
    if (!ReadTimeMs(env, sender_values[0], "ntpMs", &ntp_ms) ||
        !ReadNamedInteger(env, sender_values[1], "rtpTimestamp", 0, kMaxUint32, &input.sender.rtp_timestamp) ||
        !ReadNamedInteger(env, sender_values[2], "packetsSent", 0, kMaxUint32, &input.sender.packet_count) ||
        !ReadNamedInteger(env, sender_values[3], "octetsSent", 0, kMaxUint32, &input.sender.octet_count)) {
      return env.Undefined();
    }
    input.sender.ntp = rtcp::NtpFromUnixMs(ntp_ms);
  }

  std::string cname;
  if (!GetProperty(env, options, "cname", &field) || !ReadText(env, field, "cname", true, &cname)) {
    return env.Undefined();
  }
  input.cname = cname;

  rtcp::ReportBlock blocks[rtcp::kMaxCount];
  if (!GetProperty(env, options, "reportBlocks", &field)) return env.Undefined();
  if (!field.IsUndefined()) {
    if (!field.IsArray()) {
      ThrowInvalid(env, "reportBlocks must be an array");
      return env.Undefined();
    }
    Napi::Array array = field.As<Napi::Array>();
    if (array.Length() > rtcp::kMaxCount) {
      ThrowInvalid(env, "reportBlocks holds at most 31 blocks");
      return env.Undefined();
    }
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value element = array.Get(i);
      if (env.IsExceptionPending() || !ReadReportBlock(env, element, &blocks[i])) {
        return env.Undefined();
      }
    }
    input.blocks = blocks;
    input.block_count = array.Length();
  }

  uint8_t packet[kMaxReportBytes];
  size_t size = rtcp::BuildReport(input, packet, sizeof(packet));
  if (size == 0) {
    ThrowInvalid(env, "the report cannot be encoded");
    return env.Undefined();
  }
  return CopyToUint8Array(env, packet, size);
}

// buildRtcpBye(ssrc, reason?)
Napi::Value BuildRtcpBye(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t ssrc = 0;
  std::string reason;
  if (!ReadNamedInteger(env, info[0], "ssrc", 0, kMaxUint32, &ssrc) ||
      !ReadText(env, info[1], "reason", false, &reason)) {
    return env.Undefined();
  }
  uint8_t packet[kMaxByeBytes];
  size_t size = rtcp::BuildBye(ssrc, reason, packet, sizeof(packet));
  if (size == 0) {
    ThrowInvalid(env, "the BYE cannot be encoded");
    return env.Undefined();
  }
  return CopyToUint8Array(env, packet, size);
}

Napi::Array ReportBlocksToJs(Napi::Env env, const rtcp::ParsedRtcp& parsed,
                             const rtcp::PacketView& view) {
  Napi::Array blocks = Napi::Array::New(env, view.block_count);
  for (size_t i = 0; i < view.block_count; ++i) {
    blocks.Set(static_cast<uint32_t>(i),
               ReportBlockToJs(env, parsed.report_blocks[view.first_block + i], true));
  }
  return blocks;
}

Napi::Object PacketToJs(Napi::Env env, const rtcp::ParsedRtcp& parsed,
                        const rtcp::PacketView& view) {
  Napi::Object packet = Napi::Object::New(env);
  switch (view.type) {
    case rtcp::kTypeSr:
      packet.Set("type", "sr");
      packet.Set("ssrc", Napi::Number::New(env, view.ssrc));
      packet.Set("ntpMsw", Napi::Number::New(env, static_cast<uint32_t>(view.sender.ntp >> 32)));
      packet.Set("ntpLsw", Napi::Number::New(env, static_cast<uint32_t>(view.sender.ntp)));
      packet.Set("ntpMs", Napi::Number::New(env, rtcp::UnixMsFromNtp(view.sender.ntp)));
      packet.Set("rtpTimestamp", Napi::Number::New(env, view.sender.rtp_timestamp));
      packet.Set("packetsSent", Napi::Number::New(env, view.sender.packet_count));
      packet.Set("octetsSent", Napi::Number::New(env, view.sender.octet_count));
      packet.Set("reportBlocks", ReportBlocksToJs(env, parsed, view));
      break;
    case rtcp::kTypeRr:
      packet.Set("type", "rr");
      packet.Set("ssrc", Napi::Number::New(env, view.ssrc));
      packet.Set("reportBlocks", ReportBlocksToJs(env, parsed, view));
      break;
    case rtcp::kTypeSdes: {
      packet.Set("type", "sdes");
      // One entry per chunk that carries items, in order.
      Napi::Array chunks = Napi::Array::New(env);
      Napi::Object chunk;
      Napi::Array items;
      int current_chunk = -1;
      for (size_t i = 0; i < view.item_count; ++i) {
        const rtcp::SdesItem& item = parsed.sdes_items[view.first_item + i];
        if (item.chunk != current_chunk) {
          current_chunk = item.chunk;
          chunk = Napi::Object::New(env);
          items = Napi::Array::New(env);
          chunk.Set("ssrc", Napi::Number::New(env, item.ssrc));
          chunk.Set("items", items);
          chunks.Set(chunks.Length(), chunk);
        }
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("type", Napi::Number::New(env, item.type));
        entry.Set("text", TextToJs(env, item.text));
        items.Set(items.Length(), entry);
        if (item.type == rtcp::kSdesCname && !chunk.Has("cname")) {
          chunk.Set("cname", TextToJs(env, item.text));
        }
      }
      packet.Set("chunks", chunks);
      break;
    }
    case rtcp::kTypeBye: {
      packet.Set("type", "bye");
      Napi::Array sources = Napi::Array::New(env, view.source_count);
      for (size_t i = 0; i < view.source_count; ++i) {
        sources.Set(static_cast<uint32_t>(i),
                    Napi::Number::New(env, parsed.bye_sources[view.first_source + i]));
      }
      packet.Set("ssrcs", sources);
      if (view.has_reason) packet.Set("reason", TextToJs(env, view.reason));
      break;
    }
    default:  // APP
      packet.Set("type", "app");
      packet.Set("ssrc", Napi::Number::New(env, view.ssrc));
      packet.Set("subtype", Napi::Number::New(env, view.count));
      packet.Set("name", TextToJs(env, view.app_name));
      packet.Set("data", CopyToUint8Array(env, reinterpret_cast<const uint8_t*>(view.app_data.data()),
                                  view.app_data.size()));
      break;
  }
  return packet;
}

// parseRtcp(bytes) -> {ok: true, packets, skipped} | {ok: false, reason}
Napi::Value ParseRtcp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalid(env, "parseRtcp expects a Uint8Array");
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  rtcp::ParsedRtcp parsed;
  rtcp::ParseError error = rtcp::ParseCompound(bytes.Data(), bytes.ByteLength(), &parsed);
  Napi::Object result = Napi::Object::New(env);
  if (error != rtcp::ParseError::kNone) {
    result.Set("ok", false);
    result.Set("reason", rtcp::ParseErrorName(error));
    return result;
  }
  Napi::Array packets = Napi::Array::New(env, parsed.packets.size());
  for (size_t i = 0; i < parsed.packets.size(); ++i) {
    packets.Set(static_cast<uint32_t>(i), PacketToJs(env, parsed, parsed.packets[i]));
  }
  result.Set("ok", true);
  result.Set("packets", packets);
  result.Set("skipped", Napi::Number::New(env, static_cast<double>(parsed.skipped)));
  return result;
}

/** RtcpReceiverStats(clockRate): reception statistics of one source. */
class RtcpReceiverStatsWrap {
 public:
  static constexpr const char* kName = "RtcpReceiverStats";
  using Class = RawClass<RtcpReceiverStatsWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&RtcpReceiverStatsWrap::OnRtp>("onRtp"),
        Class::Method<&RtcpReceiverStatsWrap::ReportBlock>("reportBlock"),
        Class::Method<&RtcpReceiverStatsWrap::OnSenderReport>("onSenderReport"),
        Class::Method<&RtcpReceiverStatsWrap::RttFromReportBlock>("rttFromReportBlock"),
        Class::Getter<&RtcpReceiverStatsWrap::Received>("received"),
        Class::Getter<&RtcpReceiverStatsWrap::Expected>("expected"),
        Class::Getter<&RtcpReceiverStatsWrap::CumulativeLost>("cumulativeLost"),
        Class::Getter<&RtcpReceiverStatsWrap::Jitter>("jitter"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    double clock_rate = 0;
    if (!ReadNamedInteger(info.Env(), info[0], "clockRate", 1, 1000000, &clock_rate)) return false;
    stats_ = rtcp::ReceiverStats(static_cast<uint32_t>(clock_rate));
    return true;
  }

 private:
  // onRtp(sequence, rtpTimestamp, arrivalMs)
  Napi::Value OnRtp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double sequence = 0, arrival_ms = 0;
    uint32_t timestamp = 0;
    if (!ReadNamedInteger(env, info[0], "sequence", 0, 65535, &sequence) ||
        !ReadNamedInteger(env, info[1], "rtpTimestamp", 0, kMaxUint32, &timestamp) ||
        !ReadTimeMs(env, info[2], "arrivalMs", &arrival_ms)) {
      return env.Undefined();
    }
    stats_.OnRtp(static_cast<uint16_t>(sequence), timestamp,
                 rtcp::RtpUnitsFromMs(arrival_ms, stats_.clock_rate()));
    return env.Undefined();
  }

  // reportBlock(nowNtpMs) -> the block's fields (the caller adds the source's ssrc)
  Napi::Value ReportBlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double now_ms = 0;
    if (!ReadTimeMs(env, info[0], "nowNtpMs", &now_ms)) return env.Undefined();
    return ReportBlockToJs(env, stats_.MakeReportBlock(0, rtcp::NtpFromUnixMs(now_ms)), false);
  }

  // onSenderReport(ntpMsw, ntpLsw, arrivalMs)
  Napi::Value OnSenderReport(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t msw = 0, lsw = 0;
    double arrival_ms = 0;
    if (!ReadNamedInteger(env, info[0], "ntpMsw", 0, kMaxUint32, &msw) || !ReadNamedInteger(env, info[1], "ntpLsw", 0, kMaxUint32, &lsw) ||
        !ReadTimeMs(env, info[2], "arrivalMs", &arrival_ms)) {
      return env.Undefined();
    }
    stats_.OnSenderReport((NtpTime{msw} << 32) | lsw, rtcp::NtpFromUnixMs(arrival_ms));
    return env.Undefined();
  }

  // rttFromReportBlock(lsr, dlsr, arrivalNtpMs) -> ms, or null when lsr is 0
  Napi::Value RttFromReportBlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t lsr = 0, dlsr = 0;
    double arrival_ms = 0;
    if (!ReadNamedInteger(env, info[0], "lsr", 0, kMaxUint32, &lsr) || !ReadNamedInteger(env, info[1], "dlsr", 0, kMaxUint32, &dlsr) ||
        !ReadTimeMs(env, info[2], "arrivalNtpMs", &arrival_ms)) {
      return env.Undefined();
    }
    int64_t rtt = rtcp::RoundTripTime(lsr, dlsr, rtcp::NtpFromUnixMs(arrival_ms));
    if (rtt < 0) return env.Null();
    return Napi::Number::New(env, static_cast<double>(rtt) * 1000.0 / 65536.0);
  }

  Napi::Value Received(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), stats_.received());
  }
  Napi::Value Expected(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), stats_.expected());
  }
  Napi::Value CumulativeLost(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(stats_.cumulative_lost()));
  }
  Napi::Value Jitter(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), stats_.jitter());
  }

  rtcp::ReceiverStats stats_{8000};
};

/** RtcpReportTimer(seed?, nominalMs?): when our next report is due. */
class RtcpReportTimerWrap {
 public:
  static constexpr const char* kName = "RtcpReportTimer";
  using Class = RawClass<RtcpReportTimerWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&RtcpReportTimerWrap::Start>("start"),
        Class::Method<&RtcpReportTimerWrap::OnReportSent>("onReportSent"),
        Class::Method<&RtcpReportTimerWrap::IsDue>("isDue"),
        Class::Getter<&RtcpReportTimerWrap::NextDueMs>("nextDueMs"),
    };
    return Class::Define(env, methods);
  }

  /** Reads the constructor's arguments; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t seed = 0;
    double nominal_ms = 5000;
    if (!info[0].IsUndefined() && !ReadNamedInteger(env, info[0], "seed", 0, kMaxUint32, &seed)) return false;
    if (!info[1].IsUndefined() && !ReadNamedInteger(env, info[1], "nominalMs", 1, 3600000, &nominal_ms)) {
      return false;
    }
    timer_ = rtcp::ReportTimer(seed, nominal_ms);
    return true;
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    double now_ms = 0;
    if (!ReadTimeMs(info.Env(), info[0], "nowMs", &now_ms)) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), timer_.Start(now_ms));
  }
  Napi::Value OnReportSent(const Napi::CallbackInfo& info) {
    double now_ms = 0;
    if (!ReadTimeMs(info.Env(), info[0], "nowMs", &now_ms)) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), timer_.OnReportSent(now_ms));
  }
  Napi::Value IsDue(const Napi::CallbackInfo& info) {
    double now_ms = 0;
    if (!ReadTimeMs(info.Env(), info[0], "nowMs", &now_ms)) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), timer_.IsDue(now_ms));
  }
  Napi::Value NextDueMs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), timer_.next_due_ms());
  }

  rtcp::ReportTimer timer_{0};
};

}  // namespace

void RegisterRtcp(Napi::Env env, Napi::Object exports) {
  exports.Set("buildRtcpReport", Napi::Function::New<BuildRtcpReport>(env, "buildRtcpReport"));
  exports.Set("buildRtcpBye", Napi::Function::New<BuildRtcpBye>(env, "buildRtcpBye"));
  exports.Set("parseRtcp", Napi::Function::New<ParseRtcp>(env, "parseRtcp"));
  if (napi_value c = RtcpReceiverStatsWrap::Define(env)) exports.Set("RtcpReceiverStats", Napi::Value(env, c));
  if (napi_value c = RtcpReportTimerWrap::Define(env)) exports.Set("RtcpReportTimer", Napi::Value(env, c));
}

}  // namespace confmix::addon
