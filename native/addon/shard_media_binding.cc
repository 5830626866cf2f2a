// ShardMedia: one shard's media plane for JS, a thin skin over shard::ShardController. It reads
// arguments into the controller's types, throws a failed Status as a coded error, and turns the
// controller's drains and counters into plain objects. Events and app frames are pulled with
// drain() after onNotify fires; external legs' datagrams with takeOutgoing().
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arguments.h"
#include "bindings.h"
#include "notifier.h"
#include "raw_class.h"
#include "core/shard/shard_controller.h"

namespace confmix::addon {

namespace {

struct ShardShared {
  Notifier notifier;
  std::unique_ptr<shard::ShardController> controller;
};

// Options of an RTP leg's RTCP: {rtcpMux?, remoteRtcpPort?, rtcpIntervalMs?}.
bool ReadRtcpLegSettings(Napi::Env env, const Napi::Object& o, shard::RtcpLegSettings* out) {
  return ReadOptionalFlag(env, o, "rtcpMux", &out->mux) &&
         ReadOptionalInt(env, o, "remoteRtcpPort", 1, 65535, &out->remote_port) &&
         ReadOptionalInt(env, o, "rtcpIntervalMs", 100, 600000, &out->interval_ms);
}

// An optional remote {remoteAddress, remotePort}; both or neither.
bool ReadRemote(Napi::Env env, const Napi::Object& o, std::optional<io::SocketAddress>* out) {
  const Napi::Value address = o.Get("remoteAddress");
  const Napi::Value port = o.Get("remotePort");
  if (address.IsUndefined() && port.IsUndefined()) return true;
  int64_t p = 0;
  io::SocketAddress parsed;
  if (!address.IsString() || !ReadInteger(port, 1, 65535, &p) ||
      !io::SocketAddress::Parse(address.As<Napi::String>().Utf8Value(), static_cast<int>(p), &parsed)) {
    ThrowInvalid(env, "remoteAddress must be a numeric IP address and remotePort 1..65535");
    return false;
  }
  *out = parsed;
  return true;
}

// leg: {kind: 'none'} | {kind: 'app'} | {kind: 'rtp', receive?, send?, remoteAddress?,
//      remotePort?, symmetricLatching?, timeoutMs?, ipv6?, localAddress?, rtcpMux?,
//      remoteRtcpPort?, rtcpIntervalMs?} | {kind: 'external', receive?, send?, timeoutMs?,
//      rtcpIntervalMs?}
bool ReadLegSpec(Napi::Env env, const Napi::Object& leg, shard::MemberLegSpec* out) {
  const Napi::Value kind_value = leg.Get("kind");
  const std::string kind = kind_value.IsString() ? kind_value.As<Napi::String>().Utf8Value() : "";
  if (kind == "none") {
    out->kind = shard::LegKind::kNone;
    return true;
  }
  if (kind == "app") {
    out->kind = shard::LegKind::kApp;
    return true;
  }
  if (kind != "rtp" && kind != "external") {
    ThrowInvalid(env, "leg.kind must be 'none', 'app', 'rtp' or 'external'");
    return false;
  }
  out->kind = kind == "rtp" ? shard::LegKind::kRtp : shard::LegKind::kExternal;
  if (!ReadRtpMedia(env, leg, &out->media) || !ReadOptionalInt(env, leg, "timeoutMs", 0, 86400000, &out->timeout_ms) ||
      !ReadRtcpLegSettings(env, leg, &out->rtcp))
    return false;
  if (out->kind == shard::LegKind::kExternal) return true;
  if (!ReadRemote(env, leg, &out->remote) || !ReadOptionalFlag(env, leg, "symmetricLatching", &out->symmetric_latching) ||
      !ReadOptionalFlag(env, leg, "ipv6", &out->ipv6))
    return false;
  const Napi::Value local = leg.Get("localAddress");
  if (local.IsString()) out->local_address = local.As<Napi::String>().Utf8Value();
  return true;
}

Napi::Object LegStatsToObject(Napi::Env env, const io::LegStats& leg) {
  Napi::Object l = Napi::Object::New(env);
  l.Set("legId", leg.id);
  l.Set("port", leg.port);
  l.Set("packetsIn", static_cast<double>(leg.packets_in));
  l.Set("bytesIn", static_cast<double>(leg.bytes_in));
  l.Set("packetsOut", static_cast<double>(leg.packets_out));
  l.Set("bytesOut", static_cast<double>(leg.bytes_out));
  l.Set("droppedStranger", static_cast<double>(leg.dropped_stranger));
  l.Set("droppedInvalid", static_cast<double>(leg.dropped_invalid));
  l.Set("latched", leg.latched);
  l.Set("connected", leg.connected);
  l.Set("timedOut", leg.timed_out);
  return l;
}

Napi::Object RtcpStatsToObject(Napi::Env env, const RtcpSessionStats& s) {
  Napi::Object o = Napi::Object::New(env);
  auto nullable = [&](bool known, double value) { return known ? Napi::Number::New(env, value) : env.Null(); };
  o.Set("localSsrc", s.local_ssrc);
  o.Set("remoteSsrc", nullable(s.has_remote_ssrc, s.remote_ssrc));
  o.Set("packetsReceived", static_cast<double>(s.packets_received));
  o.Set("bytesReceived", static_cast<double>(s.bytes_received));
  o.Set("packetsSent", static_cast<double>(s.packets_sent));
  o.Set("bytesSent", static_cast<double>(s.bytes_sent));
  o.Set("fractionLost", s.fraction_lost / 256.0);
  o.Set("cumulativeLost", static_cast<double>(s.cumulative_lost));
  o.Set("extendedHighestSequence", s.extended_highest_sequence);
  o.Set("jitter", s.jitter);
  o.Set("jitterMs", s.jitter_ms);
  o.Set("rttMs", nullable(s.rtt_ms >= 0, s.rtt_ms));
  o.Set("remoteFractionLost", nullable(s.has_remote_report, s.remote_fraction_lost / 256.0));
  o.Set("remoteCumulativeLost", nullable(s.has_remote_report, s.remote_cumulative_lost));
  o.Set("remoteJitterMs", nullable(s.has_remote_report, s.remote_jitter_ms));
  o.Set("peerPacketsSent", nullable(s.has_sender_report, s.peer_packets_sent));
  o.Set("peerOctetsSent", nullable(s.has_sender_report, s.peer_octets_sent));
  o.Set("reportsSent", static_cast<double>(s.reports_sent));
  o.Set("reportsReceived", static_cast<double>(s.reports_received));
  o.Set("rtcpReceived", static_cast<double>(s.rtcp_received));
  o.Set("rtcpMalformed", static_cast<double>(s.rtcp_malformed));
  if (s.rtcp_malformed) o.Set("lastMalformedReason", rtcp::ParseErrorName(s.last_malformed));
  o.Set("bye", s.bye);
  o.Set("byeReason", s.bye ? Napi::Value(Napi::String::New(env, std::string(s.bye_reason_text()))) : env.Null());
  return o;
}

// A leg event as JS sees it, or an empty value for kinds it does not report.
Napi::Value LegEventToObject(Napi::Env env, const io::MediaEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("leg", e.leg);
  switch (e.type) {
    case io::MediaEventType::kTimeout:
      o.Set("type", "timeout");
      o.Set("reason", io::TimeoutReasonName(static_cast<io::TimeoutReason>(e.reason)));
      break;
    case io::MediaEventType::kLatched:
      o.Set("type", "latched");
      o.Set("address", e.address.ip());
      o.Set("port", e.address.port());
      break;
    case io::MediaEventType::kDropped:
      o.Set("type", "dropped");
      o.Set("reason", io::DropReasonName(static_cast<io::DropReason>(e.reason)));
      o.Set("count", static_cast<double>(e.count));
      o.Set("total", static_cast<double>(e.total));
      break;
    case io::MediaEventType::kLegClosed:
      o.Set("type", "leg-closed");
      break;
    case io::MediaEventType::kJobRemoved:
      o.Set("type", "job-removed");
      break;
    case io::MediaEventType::kEventsLost:
      o.Set("type", "events-lost");
      o.Set("count", static_cast<double>(e.count));
      break;
    default:
      return Napi::Value();
  }
  return o;
}

// A recording: {format: 'wav' | 'ogg-opus', opusBitrate?, bufferMs?, tracks: [{source: 'mix' |
// 'hears' | 'says', member?, path}]}.
bool ReadRecordingSpec(Napi::Env env, const Napi::Object& o, record::RecordingSpec* out) {
  const Napi::Value format = o.Get("format");
  const std::string name = format.IsString() ? format.As<Napi::String>().Utf8Value() : "";
  if (name != "wav" && name != "ogg-opus") {
    ThrowInvalid(env, "recording format must be 'wav' or 'ogg-opus'");
    return false;
  }
  out->format = name == "wav" ? record::RecordingFormat::kWav : record::RecordingFormat::kOggOpus;
  std::optional<int> bitrate, buffer_ms;
  if (!ReadOptionalInt(env, o, "opusBitrate", 6000, 510000, &bitrate) ||
      !ReadOptionalInt(env, o, "bufferMs", 200, 60000, &buffer_ms))
    return false;
  if (bitrate) out->opus_bitrate = *bitrate;
  if (buffer_ms) out->buffer_ms = *buffer_ms;
  const Napi::Value tracks = o.Get("tracks");
  if (!tracks.IsArray() || tracks.As<Napi::Array>().Length() == 0 ||
      tracks.As<Napi::Array>().Length() > record::kMaxRecordingTracks) {
    ThrowInvalid(env, "recording tracks must be an array of 1..256 tracks");
    return false;
  }
  const Napi::Array list = tracks.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value item = list.Get(i);
    if (!item.IsObject()) {
      ThrowInvalid(env, "each recording track must be an object");
      return false;
    }
    const Napi::Object t = item.As<Napi::Object>();
    record::TrackSpec track;
    const Napi::Value source = t.Get("source");
    const std::string kind = source.IsString() ? source.As<Napi::String>().Utf8Value() : "";
    if (kind == "mix") track.source = record::TrackSource::kMix;
    else if (kind == "hears") track.source = record::TrackSource::kHears;
    else if (kind == "says") track.source = record::TrackSource::kSays;
    else {
      ThrowInvalid(env, "a track's source must be 'mix', 'hears' or 'says'");
      return false;
    }
    const Napi::Value path = t.Get("path");
    if (!path.IsString() || path.As<Napi::String>().Utf8Value().empty()) {
      ThrowInvalid(env, "each recording track needs a path");
      return false;
    }
    track.path = path.As<Napi::String>().Utf8Value();
    if (track.source != record::TrackSource::kMix) {
      int64_t member = 0;
      if (!ReadInteger(t.Get("member"), 0, 4294967295.0, &member)) {
        ThrowInvalid(env, "a member's track needs its member id");
        return false;
      }
      track.member = static_cast<uint32_t>(member);
    }
    out->tracks.push_back(std::move(track));
  }
  return true;
}

Napi::Object RecordingEventToObject(Napi::Env env, const shard::ConferenceRecordingEvent& entry) {
  const record::RecordingEvent& e = entry.event;
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", "recording");
  o.Set("conference", entry.conference);
  o.Set("recording", e.recording);
  o.Set("status", record::RecordingEventKindName(e.kind));
  if (e.kind == record::RecordingEventKind::kStarted) return o;
  if (e.kind == record::RecordingEventKind::kFailed) {
    o.Set("reason", record::RecordingFailureName(e.failure.reason));
    o.Set("message", e.failure.message);
  }
  o.Set("frames", static_cast<double>(e.frames));
  o.Set("durationMs", e.duration_ms);
  Napi::Array bytes = Napi::Array::New(env, e.track_bytes.size());
  for (size_t i = 0; i < e.track_bytes.size(); ++i) bytes.Set(static_cast<uint32_t>(i), static_cast<double>(e.track_bytes[i]));
  o.Set("trackBytes", bytes);
  return o;
}

class ShardMediaWrap {
 public:
  static constexpr const char* kName = "ShardMedia";
  using Class = RawClass<ShardMediaWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&ShardMediaWrap::Start>("start"),
        Class::Method<&ShardMediaWrap::Stop>("stop"),
        Class::Method<&ShardMediaWrap::CreateConference>("createConference"),
        Class::Method<&ShardMediaWrap::DestroyConference>("destroyConference"),
        Class::Method<&ShardMediaWrap::SetConference>("setConference"),
        Class::Method<&ShardMediaWrap::AddMember>("addMember"),
        Class::Method<&ShardMediaWrap::RemoveMember>("removeMember"),
        Class::Method<&ShardMediaWrap::SetMember>("setMember"),
        Class::Method<&ShardMediaWrap::UpdateLeg>("updateLeg"),
        Class::Method<&ShardMediaWrap::PushPcm>("pushPcm"),
        Class::Method<&ShardMediaWrap::PushPacket>("pushPacket"),
        Class::Method<&ShardMediaWrap::PushPackets>("pushPackets"),
        Class::Method<&ShardMediaWrap::TakeOutgoing>("takeOutgoing"),
        Class::Method<&ShardMediaWrap::StartPlayback>("startPlayback"),
        Class::Method<&ShardMediaWrap::StopPlayback>("stopPlayback"),
        Class::Method<&ShardMediaWrap::PressKey>("pressKey"),
        Class::Method<&ShardMediaWrap::Relate>("relate"),
        Class::Method<&ShardMediaWrap::StartRecording>("startRecording"),
        Class::Method<&ShardMediaWrap::StopRecording>("stopRecording"),
        Class::Method<&ShardMediaWrap::SetVoice>("setVoice"),
        Class::Method<&ShardMediaWrap::Drain>("drain"),
        Class::Method<&ShardMediaWrap::Stats>("stats"),
        Class::Method<&ShardMediaWrap::Lateness>("lateness"),
        Class::Method<&ShardMediaWrap::ConferenceLateness>("conferenceLateness"),
        Class::Method<&ShardMediaWrap::LegStats>("legStats"),
        Class::Method<&ShardMediaWrap::ResetLateness>("resetLateness"),
        Class::Method<&ShardMediaWrap::MemberStats>("memberStats"),
    };
    return Class::Define(env, methods);
  }

  ~ShardMediaWrap() {
    if (!shared_) return;
    shared_->controller->Stop();
    shared_->notifier.Release();
  }

  /** Reads the options and sets up; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ReadObjectArg(info, 0, "shard media options", &o)) return false;
    io::MediaThreadOptions options;
    std::optional<int> port_min, port_max, realtime_priority;
    if (!ReadOptionalInt(env, o, "portMin", 1024, 65535, &port_min) ||
        !ReadOptionalInt(env, o, "portMax", 1024, 65535, &port_max) ||
        !ReadOptionalInt(env, o, "realtimePriority", 0, 99, &realtime_priority))
      return false;
    if (port_min) options.port_min = *port_min;
    if (port_max) options.port_max = *port_max;
    if (realtime_priority) options.realtime_priority = *realtime_priority;
    const Napi::Value on_notify = o.Get("onNotify");
    if (!on_notify.IsFunction()) {
      ThrowInvalid(env, "onNotify must be a function");
      return false;
    }
    if (ThrowIfFailed(env, shard::ShardController::ValidateOptions(options))) return false;
    auto shared = std::make_shared<ShardShared>();
    ShardShared* raw = shared.get();
    options.notify = [raw] { raw->notifier.Notify(); };
    if (!CreateNotifier(env, on_notify, "confmix.shard.notify", shared, CallWithoutArguments)) return false;
    shared->controller = std::make_unique<shard::ShardController>(std::move(options));
    shared_ = std::move(shared);
    return true;
  }

 private:
  shard::ShardController& controller() { return *shared_->controller; }

  // Argument 0 (the conference handle) and, with `member`, argument 1 (the member id).
  bool ReadIds(const Napi::CallbackInfo& info, uint32_t* handle, uint32_t* member = nullptr) {
    return ReadUint32Arg(info, 0, "conference handle", handle) &&
           (member == nullptr || ReadUint32Arg(info, 1, "member id", member));
  }

  Napi::Value Done(Napi::Env env, const Status& status) {
    ThrowIfFailed(env, status);
    return env.Undefined();
  }

  Napi::Value Start(const Napi::CallbackInfo& info) { return Done(info.Env(), controller().Start()); }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    controller().Stop();
    shared_->notifier.Release();
    return info.Env().Undefined();
  }

  Napi::Value CreateConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    ConferenceOptions options;
    MediaConferenceOptions media;
    if (!ReadIds(info, &handle)) return env.Undefined();
    if (info.Length() < 2 || !ReadConferenceOptions(env, info[1], &options, &media)) {
      if (!env.IsExceptionPending()) ThrowInvalid(env, "conference options must be an object");
      return env.Undefined();
    }
    return Done(env, controller().CreateConference(handle, options, media));
  }

  Napi::Value DestroyConference(const Napi::CallbackInfo& info) {
    uint32_t handle = 0;
    if (!ReadIds(info, &handle)) return info.Env().Undefined();
    return Done(info.Env(), controller().DestroyConference(handle));
  }

  Napi::Value SetConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    Napi::Object o;
    std::optional<bool> mute, hold;
    if (!ReadIds(info, &handle) || !ReadObjectArg(info, 1, "conference settings", &o) ||
        !ReadOptionalFlag(env, o, "mute", &mute) || !ReadOptionalFlag(env, o, "hold", &hold))
      return env.Undefined();
    return Done(env, controller().SetConference(handle, mute, hold));
  }

  // addMember(handle, member, settings, leg) -> {legId?, port?, rtcpPort?}
  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    MemberUpdate initial;
    Napi::Object leg;
    shard::MemberLegSpec spec;
    if (!ReadIds(info, &handle, &member) ||
        !ReadMemberUpdate(env, info.Length() > 2 ? info[2] : env.Undefined(), &initial) ||
        !ReadObjectArg(info, 3, "leg", &leg) || !ReadLegSpec(env, leg, &spec))
      return env.Undefined();
    shard::MemberLegInfo opened;
    if (ThrowIfFailed(env, controller().AddMember(handle, member, initial, spec, &opened))) return env.Undefined();
    Napi::Object result = Napi::Object::New(env);
    if (opened.leg) result.Set("legId", opened.leg);
    if (opened.port) result.Set("port", opened.port);
    if (opened.rtcp_port) result.Set("rtcpPort", opened.rtcp_port);
    return result;
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    uint32_t handle = 0, member = 0;
    if (!ReadIds(info, &handle, &member)) return info.Env().Undefined();
    return Done(info.Env(), controller().RemoveMember(handle, member));
  }

  Napi::Value SetMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    MemberUpdate update;
    if (!ReadIds(info, &handle, &member) || !ReadMemberUpdate(env, info.Length() > 2 ? info[2] : env.Undefined(), &update))
      return env.Undefined();
    return Done(env, controller().SetMember(handle, member, update));
  }

  // updateLeg(handle, member, {remoteAddress?, remotePort?, receive?, send?, symmetricLatching?,
  //           rtcpMux?, remoteRtcpPort?}) -> {rtcpPort?} (rtcpPort while a separate RTCP leg exists)
  Napi::Value UpdateLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    Napi::Object o;
    shard::RtpLegUpdate update;
    if (!ReadIds(info, &handle, &member) || !ReadObjectArg(info, 2, "leg update", &o) ||
        !ReadRtpMedia(env, o, &update.media) || !ReadRemote(env, o, &update.remote) ||
        !ReadOptionalFlag(env, o, "symmetricLatching", &update.symmetric_latching) ||
        !ReadRtcpLegSettings(env, o, &update.rtcp))
      return env.Undefined();
    shard::MemberLegInfo now;
    if (ThrowIfFailed(env, controller().UpdateLeg(handle, member, update, &now))) return env.Undefined();
    Napi::Object result = Napi::Object::New(env);
    if (now.rtcp_port) result.Set("rtcpPort", now.rtcp_port);
    return result;
  }

  Napi::Value PushPcm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    Napi::Int16Array pcm;
    if (!ReadIds(info, &handle, &member) || !ReadInt16Array(info, 2, "pcm", &pcm)) return env.Undefined();
    return Done(env, controller().PushPcm(handle, member, pcm.Data(), pcm.ElementLength()));
  }

  // pushPacket(handle, member, packet: Uint8Array) -> accepted (false: the leg's queue was full)
  Napi::Value PushPacket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    Napi::Uint8Array packet;
    if (!ReadIds(info, &handle, &member) || !ReadUint8Array(info, 2, "packet", &packet)) return env.Undefined();
    bool accepted = false;
    if (ThrowIfFailed(env, controller().PushPacket(handle, member, packet.Data(), packet.ByteLength(), &accepted)))
      return env.Undefined();
    return Napi::Boolean::New(env, accepted);
  }

  // pushPackets(index: Uint32Array (conference, member, offset, size), bytes: Uint8Array) -> accepted.
  // One crossing for a whole batch of external legs' datagrams, in the layout takeOutgoing returns.
  // A datagram whose member has gone, or whose leg's queue is full, is dropped and not counted.
  Napi::Value PushPackets(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "index must be a Uint32Array");
      return env.Undefined();
    }
    Napi::Uint32Array index = info[0].As<Napi::Uint32Array>();
    Napi::Uint8Array bytes;
    if (!ReadUint8Array(info, 1, "bytes", &bytes)) return env.Undefined();
    if (index.ElementLength() % 4 != 0) {
      ThrowCoded(env, StatusCode::kInvalidArgument, "index must hold (conference, member, offset, size) quadruples");
      return env.Undefined();
    }
    // Checked whole before any is pushed: a bad batch changes nothing.
    for (size_t i = 0; i < index.ElementLength(); i += 4) {
      const size_t offset = index[i + 2], size = index[i + 3];
      if (offset > bytes.ByteLength() || size > bytes.ByteLength() - offset) {
        ThrowCoded(env, StatusCode::kInvalidArgument, "a datagram of index lies outside bytes");
        return env.Undefined();
      }
    }
    uint32_t accepted_count = 0;
    for (size_t i = 0; i < index.ElementLength(); i += 4) {
      bool accepted = false;
      if (controller().PushPacket(index[i], index[i + 1], bytes.Data() + index[i + 2], index[i + 3], &accepted).ok() && accepted) ++accepted_count;
    }
    return Napi::Number::New(env, accepted_count);
  }

  // takeOutgoing() -> {bytes: Uint8Array, index: Uint32Array (conference, member, offset, size)}
  Napi::Value TakeOutgoing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    controller().TakeOutgoing(outgoing_, &outgoing_index_);
    Napi::Uint8Array bytes = CopyToUint8Array(env, outgoing_.arena(), outgoing_.bytes());
    Napi::Uint32Array index;
    if (bytes.IsEmpty() || !NewTypedArray(env, outgoing_index_.size() * 4, &index)) {
      outgoing_.Clear();
      return env.Undefined();
    }
    for (size_t i = 0; i < outgoing_index_.size(); i++) {
      index[i * 4] = outgoing_index_[i].conference;
      index[i * 4 + 1] = outgoing_index_[i].member;
      index[i * 4 + 2] = static_cast<uint32_t>(outgoing_index_[i].offset);
      index[i * 4 + 3] = static_cast<uint32_t>(outgoing_index_[i].size);
    }
    outgoing_.Clear();
    Napi::Object out = Napi::Object::New(env);
    out.Set("bytes", bytes);
    out.Set("index", index);
    return out;
  }

  // startPlayback(handle, playback, pcm, {loop?, member?})
  Napi::Value StartPlayback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, playback = 0;
    Napi::Int16Array pcm;
    if (!ReadIds(info, &handle) || !ReadUint32Arg(info, 1, "playback id", &playback) ||
        !ReadInt16Array(info, 2, "pcm", &pcm))
      return env.Undefined();
    std::optional<bool> loop;
    std::optional<uint32_t> target;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      Napi::Object o;
      if (!ReadObjectArg(info, 3, "playback options", &o) || !ReadOptionalFlag(env, o, "loop", &loop)) return env.Undefined();
      const Napi::Value member = o.Get("member");
      if (!member.IsUndefined() && !member.IsNull()) {
        int64_t id = 0;
        if (!ReadInteger(member, 0, 4294967295.0, &id)) {
          ThrowCoded(env, StatusCode::kNotFound, "playback target is not a member of the conference");
          return env.Undefined();
        }
        target = static_cast<uint32_t>(id);
      }
    }
    auto samples = std::make_shared<const std::vector<int16_t>>(pcm.Data(), pcm.Data() + pcm.ElementLength());
    return Done(env, controller().StartPlayback(handle, playback, std::move(samples), loop.value_or(false), target));
  }

  Napi::Value StopPlayback(const Napi::CallbackInfo& info) {
    uint32_t handle = 0, playback = 0;
    if (!ReadIds(info, &handle) || !ReadUint32Arg(info, 1, "playback id", &playback)) return info.Env().Undefined();
    return Done(info.Env(), controller().StopPlayback(handle, playback));
  }

  Napi::Value PressKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    if (!ReadIds(info, &handle, &member)) return env.Undefined();
    const std::string key = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    return Done(env, controller().PressKey(handle, member, key.size() == 1 ? key[0] : '\0'));
  }

  // relate(handle, member, other, relationship): 'deaf', 'mute' or 'clear' (see core/mix/relate.h).
  Napi::Value Relate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0, other = 0;
    Relationship relationship;
    if (!ReadIds(info, &handle, &member) || !ReadUint32Arg(info, 2, "other member id", &other) ||
        !ReadRelationship(info, 3, &relationship))
      return env.Undefined();
    return Done(env, controller().Relate(handle, member, other, relationship));
  }

  // startRecording(handle, recording, spec): see ReadRecordingSpec.
  Napi::Value StartRecording(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    record::RecordingSpec spec;
    Napi::Object o;
    if (!ReadIds(info, &handle) || !ReadUint32Arg(info, 1, "recording id", &spec.id) ||
        !ReadObjectArg(info, 2, "recording", &o) || !ReadRecordingSpec(env, o, &spec))
      return env.Undefined();
    return Done(env, controller().StartRecording(handle, spec));
  }

  Napi::Value StopRecording(const Napi::CallbackInfo& info) {
    uint32_t handle = 0, recording = 0;
    if (!ReadIds(info, &handle) || !ReadUint32Arg(info, 1, "recording id", &recording)) return info.Env().Undefined();
    return Done(info.Env(), controller().StopRecording(handle, recording));
  }

  // setVoice(handle, member, {noiseSuppression?, noiseSuppressionDb?, agc?, agcTargetDbfs?} | null)
  Napi::Value SetVoice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    if (!ReadIds(info, &handle, &member)) return env.Undefined();
    std::optional<VoiceOptions> options;
    if (info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined()) {
      Napi::Object o;
      std::optional<bool> denoise, agc;
      std::optional<int> suppress_db, target_dbfs;
      if (!ReadObjectArg(info, 2, "voice options", &o) || !ReadOptionalFlag(env, o, "noiseSuppression", &denoise) ||
          !ReadOptionalFlag(env, o, "agc", &agc) || !ReadOptionalInt(env, o, "noiseSuppressionDb", -60, -1, &suppress_db) ||
          !ReadOptionalInt(env, o, "agcTargetDbfs", -40, -3, &target_dbfs))
        return env.Undefined();
      VoiceOptions voice;
      voice.noise_suppression = denoise.value_or(true);
      voice.agc = agc.value_or(true);
      if (suppress_db) voice.noise_suppression_db = *suppress_db;
      if (target_dbfs) voice.agc_target_dbfs = *target_dbfs;
      options = voice;
    }
    return Done(env, controller().SetVoiceProcessing(handle, member, options));
  }

  // drain() -> {events: [...], frames: Int16Array, frameIndex: Uint32Array (conference, member,
  //             offset, samples), media: [...]}
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    controller().Drain(&drained_);
    const shard::OutboxBatch& outbox = drained_.outbox;
    Napi::Object out = Napi::Object::New(env);
    Napi::Array events = Napi::Array::New(env, outbox.events.size());
    for (size_t i = 0; i < outbox.events.size(); i++) {
      Napi::Object event = EventToObject(env, outbox.events[i].event);
      event.Set("conference", outbox.events[i].conference);
      events.Set(static_cast<uint32_t>(i), event);
    }
    out.Set("events", events);
    out.Set("frames", CopyToInt16Array(env, outbox.pcm.data(), outbox.pcm.size()));
    Napi::Uint32Array index;
    if (!NewTypedArray(env, outbox.frames.size() * 4, &index)) return env.Undefined();
    for (size_t i = 0; i < outbox.frames.size(); i++) {
      index[i * 4] = outbox.frames[i].conference;
      index[i * 4 + 1] = outbox.frames[i].member;
      index[i * 4 + 2] = static_cast<uint32_t>(outbox.frames[i].offset);
      index[i * 4 + 3] = static_cast<uint32_t>(outbox.frames[i].samples);
    }
    out.Set("frameIndex", index);
    Napi::Array media = Napi::Array::New(env);
    uint32_t n = 0;
    for (const shard::LegEvent& e : drained_.legs) {
      Napi::Value event = LegEventToObject(env, e.event);
      if (!event.IsEmpty()) media.Set(n++, event);
    }
    for (const shard::RtcpBye& bye : drained_.byes) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", "rtcp-bye");
      o.Set("leg", bye.leg);
      o.Set("conference", bye.conference);
      o.Set("member", bye.member);
      o.Set("reason", bye.reason);
      media.Set(n++, o);
    }
    for (const shard::CommandFailure& failure : outbox.failures) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", "command-failed");
      o.Set("conference", failure.conference);
      o.Set("member", failure.member);
      if (failure.playback) o.Set("playback", *failure.playback);
      o.Set("code", StatusCodeName(failure.status.code));
      o.Set("message", failure.status.message);
      media.Set(n++, o);
    }
    for (const shard::ConferenceRecordingEvent& entry : outbox.recordings) media.Set(n++, RecordingEventToObject(env, entry));
    out.Set("media", media);
    return out;
  }

  Napi::Value ResetLateness(const Napi::CallbackInfo& info) {
    controller().ResetLateness();
    return info.Env().Undefined();
  }

  // lateness() -> {p50Ms, p99Ms, maxMs, cdf: [fraction, ms][], buckets: [edge ms, count][], count, sumMs}
  Napi::Value Lateness(const Napi::CallbackInfo& info) {
    return LatencyToObject(info.Env(), controller().Lateness().Summarize());
  }

  // conferenceLateness(handle) -> {tick, flush}, each as lateness() shapes it
  Napi::Value ConferenceLateness(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    io::LatencySummary tick, flush;
    if (!ReadIds(info, &handle) || ThrowIfFailed(env, controller().ConferenceLateness(handle, &tick, &flush)))
      return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("tick", LatencyToObject(env, tick));
    o.Set("flush", LatencyToObject(env, flush));
    return o;
  }

  static Napi::Object LatencyToObject(Napi::Env env, const io::LatencySummary& summary) {
    const auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
    const auto pairs = [&env](const auto& points, auto first, auto second) {
      Napi::Array list = Napi::Array::New(env, points.size());
      for (uint32_t i = 0; i < points.size(); ++i) {
        Napi::Array point = Napi::Array::New(env, 2);
        point.Set(0u, first(points[i].first));
        point.Set(1u, second(points[i].second));
        list.Set(i, point);
      }
      return list;
    };
    const auto same = [](auto value) { return static_cast<double>(value); };
    Napi::Object lateness = Napi::Object::New(env);
    lateness.Set("p50Ms", ms(summary.p50_ns));
    lateness.Set("p99Ms", ms(summary.p99_ns));
    lateness.Set("maxMs", ms(summary.max_ns));
    lateness.Set("cdf", pairs(summary.cdf, same, ms));
    lateness.Set("buckets", pairs(summary.buckets, ms, same));
    lateness.Set("count", static_cast<double>(summary.count));
    lateness.Set("sumMs", ms(summary.sum_ns));
    return lateness;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    // The load report asks for this on every join, so it lists no legs (see legStats()) and no
    // lateness (see lateness()).
    const shard::ShardCounters counters = controller().Counters();
    const io::ThreadStats& thread = counters.thread;
    Napi::Object o = Napi::Object::New(env);
    o.Set("ticks", static_cast<double>(thread.ticks));
    o.Set("wakes", static_cast<double>(thread.wakes));
    o.Set("drains", static_cast<double>(thread.drains));
    o.Set("overruns", static_cast<double>(thread.overruns));
    o.Set("tickCpuMs", static_cast<double>(thread.tick_cpu_ns) / 1e6);
    o.Set("threadCpuMs", static_cast<double>(thread.thread_cpu_ns) / 1e6);
    o.Set("load", thread.load);
    o.Set("realtime", thread.realtime);
    Napi::Array per_conference = Napi::Array::New(env, counters.per_conference.size());
    for (size_t i = 0; i < counters.per_conference.size(); i++) {
      const shard::ConferenceCounters& conference = counters.per_conference[i];
      Napi::Object c = Napi::Object::New(env);
      c.Set("handle", conference.handle);
      c.Set("ticks", static_cast<double>(conference.ticks));
      c.Set("lastDeadlineMs", static_cast<double>(conference.last_deadline_ns) / 1e6);
      c.Set("encodesPerTick", conference.encodes_per_tick);
      c.Set("decodesPerTick", conference.decodes_per_tick);
      c.Set("complexityShed", conference.complexity_shed);
      per_conference.Set(static_cast<uint32_t>(i), c);
    }
    o.Set("perConference", per_conference);
    o.Set("conferences", counters.conferences);
    o.Set("members", counters.members);
    o.Set("encodesPerTick", counters.encodes_per_tick);
    o.Set("decodesPerTick", counters.decodes_per_tick);
    return o;
  }

  // legStats() -> every leg's counters (one entry per open socket).
  Napi::Value LegStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<io::LegStats> legs = controller().LegCounters();
    Napi::Array out = Napi::Array::New(env, legs.size());
    for (size_t i = 0; i < legs.size(); i++) out.Set(static_cast<uint32_t>(i), LegStatsToObject(env, legs[i]));
    return out;
  }

  // memberStats(handle, member) -> {legId, port, rtcpPort, leg, rtcpLeg, rtcp}: the legs' counters
  // (null without a leg) and the RTCP session's last snapshot (null until the first, or without one).
  Napi::Value MemberStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    shard::MemberCounters counters;
    if (!ReadIds(info, &handle, &member) || ThrowIfFailed(env, controller().MemberStats(handle, member, &counters)))
      return env.Undefined();
    auto number_or_null = [&](double value) { return value ? Napi::Value(Napi::Number::New(env, value)) : env.Null(); };
    Napi::Object o = Napi::Object::New(env);
    o.Set("legId", number_or_null(counters.legs.leg));
    o.Set("rtcpPort", number_or_null(counters.legs.rtcp_port));
    o.Set("port", counters.legs.leg ? Napi::Value(Napi::Number::New(env, counters.leg ? counters.leg->port : 0)) : env.Null());
    o.Set("leg", counters.leg ? Napi::Value(LegStatsToObject(env, *counters.leg)) : env.Null());
    o.Set("rtcpLeg", counters.rtcp_leg ? Napi::Value(LegStatsToObject(env, *counters.rtcp_leg)) : env.Null());
    o.Set("rtcp", counters.rtcp ? Napi::Value(RtcpStatsToObject(env, *counters.rtcp)) : env.Null());
    o.Set("jitterTargetMs", counters.jitter_target_ms ? Napi::Value(Napi::Number::New(env, *counters.jitter_target_ms)) : env.Null());
    return o;
  }

  std::shared_ptr<ShardShared> shared_;
  shard::ShardDrain drained_;
  io::DatagramBatch outgoing_{8192, 4 << 20};
  std::vector<shard::ExternalDatagram> outgoing_index_;
};

}  // namespace

void RegisterShardMedia(Napi::Env env, Napi::Object exports) {
  exports.Set("ShardMedia", Napi::Value(env, ShardMediaWrap::Define(env)));
}

}  // namespace confmix::addon
