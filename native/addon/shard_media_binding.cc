// ShardMedia: one shard's media plane for JS. It owns a native media thread (clock, sockets)
// whose jobs are the shard's conferences. Calls are checked here against a control-side mirror,
// so errors are synchronous; the change itself reaches the conference as a command applied on
// the media thread. Events and app frames are pulled with drain() after onNotify fires.
//
// Every RTP member has an RTCP session (RFC 3550). With rtcp-mux (the default) RTCP shares the
// RTP leg; without it a second leg carries it. When the caller does not say rtcpMux, the peer
// may not have negotiated it (RFC 5761 forbids muxing towards such a peer), so our reports wait
// for the peer's first RTCP on the RTP port; rtcpMux: true sends them from the start. The media thread cannot bind exactly RTP port + 1
// (it hands out ports from its allocator), so that second leg takes any free port of the range
// and addMember reports it as rtcpPort (for SDP's a=rtcp).
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "arguments.h"
#include "bindings.h"
#include "notifier.h"
#include "core/io/media_thread.h"
#include "core/shard/conference_job.h"
#include "core/shard/shard_outbox.h"

namespace confmix::addon {

namespace {

struct ShardShared {
  Notifier notifier;
  shard::ShardOutbox outbox;
  std::unique_ptr<io::MediaThread> thread;  // last: destroyed (joined) first
};

struct MemberControl {
  io::LegId leg = 0;  // 0: no socket
  bool app = false;
  io::LegOptions rtp_options;           // how the RTP leg was opened, remote and latching kept current
  io::LegId rtcp_leg = 0;               // a separate RTCP leg (no rtcp-mux); 0: none
  int rtcp_port = 0;                    // its local port
  std::optional<int> remote_rtcp_port;  // the peer's RTCP port when not RTP port + 1
};

// Options of an RTP leg's RTCP: {rtcpMux?, remoteRtcpPort?, rtcpIntervalMs?}.
struct RtcpLegOptions {
  std::optional<bool> mux;
  std::optional<int> remote_port;
  std::optional<int> interval_ms;
};

bool ReadRtcpLegOptions(Napi::Env env, const Napi::Object& o, RtcpLegOptions* out) {
  return ReadOptionalFlag(env, o, "rtcpMux", &out->mux) &&
         ReadOptionalInt(env, o, "remoteRtcpPort", 1, 65535, &out->remote_port) &&
         ReadOptionalInt(env, o, "rtcpIntervalMs", 100, 600000, &out->interval_ms);
}

// Where RTCP goes without rtcp-mux: the RTP remote's address at the given port, else RTP port + 1.
bool RtcpRemote(Napi::Env env, const io::SocketAddress& rtp_remote, std::optional<int> port, io::SocketAddress* out) {
  const int rtcp_port = port ? *port : rtp_remote.port() + 1;
  if (rtcp_port > 65535) {
    ThrowCoded(env, kInvalidArgument, "remoteRtcpPort is needed when remotePort is 65535");
    return false;
  }
  *out = rtp_remote.WithPort(rtcp_port);
  return true;
}

// A CNAME stable for the shard's life and unique enough across shards and hosts (RFC 7022).
std::string MakeCname() {
  std::random_device device;
  const uint64_t token = (uint64_t{device()} << 32) | device();
  char text[32];
  std::snprintf(text, sizeof(text), "confmix@%016llx", static_cast<unsigned long long>(token));
  return text;
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

struct ConferenceControl {
  shard::ConferenceJob* job = nullptr;  // owned by the media thread until RemoveJob
  io::JobId job_id = 0;
  int rate = 0;
  int interval_ms = 0;
  std::unordered_map<uint32_t, MemberControl> members;
  std::unordered_set<uint32_t> playbacks;
};

bool ThrowIfIoFailed(Napi::Env env, const io::Status& status, const std::string& context) {
  if (status.ok()) return false;
  ThrowCoded(env, io::ErrorCodeName(status.code), context + status.message);
  return true;
}

// Builds the paths once on this thread to report a bad codec now rather than on the media thread.
bool CheckMedia(Napi::Env env, const MemberMediaConfig& media, int rate, int interval_ms) {
  std::string error;
  if (media.receive) {
    ReceiverConfig config = *media.receive;
    config.conference_rate = rate;
    config.interval_ms = interval_ms;
    if (!MediaReceiver::Create(config, &error)) {
      ThrowCoded(env, kInvalidArgument, "receive codec: " + error);
      return false;
    }
  }
  if (media.send) {
    SenderConfig config = *media.send;
    config.conference_rate = rate;
    config.interval_ms = interval_ms;
    if (!MediaSender::Create(config, &error)) {
      ThrowCoded(env, kInvalidArgument, "send codec: " + error);
      return false;
    }
  }
  return true;
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
    ThrowCoded(env, kInvalidArgument, "remoteAddress must be a numeric IP address and remotePort 1..65535");
    return false;
  }
  *out = parsed;
  return true;
}

class ShardMedia : public Napi::ObjectWrap<ShardMedia> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ShardMedia",
                       {
                           InstanceMethod<&ShardMedia::Start>("start"),
                           InstanceMethod<&ShardMedia::Stop>("stop"),
                           InstanceMethod<&ShardMedia::CreateConference>("createConference"),
                           InstanceMethod<&ShardMedia::DestroyConference>("destroyConference"),
                           InstanceMethod<&ShardMedia::SetConference>("setConference"),
                           InstanceMethod<&ShardMedia::AddMember>("addMember"),
                           InstanceMethod<&ShardMedia::RemoveMember>("removeMember"),
                           InstanceMethod<&ShardMedia::SetMember>("setMember"),
                           InstanceMethod<&ShardMedia::UpdateLeg>("updateLeg"),
                           InstanceMethod<&ShardMedia::PushPcm>("pushPcm"),
                           InstanceMethod<&ShardMedia::StartPlayback>("startPlayback"),
                           InstanceMethod<&ShardMedia::StopPlayback>("stopPlayback"),
                           InstanceMethod<&ShardMedia::PressKey>("pressKey"),
                           InstanceMethod<&ShardMedia::Relate>("relate"),
                           InstanceMethod<&ShardMedia::Drain>("drain"),
                           InstanceMethod<&ShardMedia::Stats>("stats"),
                           InstanceMethod<&ShardMedia::LegStats>("legStats"),
                           InstanceMethod<&ShardMedia::ResetLateness>("resetLateness"),
                           InstanceMethod<&ShardMedia::MemberStats>("memberStats"),
                       });
  }

  explicit ShardMedia(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ShardMedia>(info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ReadObjectArg(info, 0, "shard media options", &o)) return;
    io::MediaThreadOptions options;
    std::optional<int> port_min, port_max, realtime_priority;
    if (!ReadOptionalInt(env, o, "portMin", 1024, 65535, &port_min) ||
        !ReadOptionalInt(env, o, "portMax", 1024, 65535, &port_max) ||
        !ReadOptionalInt(env, o, "realtimePriority", 0, 99, &realtime_priority))
      return;
    if (port_min) options.port_min = *port_min;
    if (port_max) options.port_max = *port_max;
    if (realtime_priority) options.realtime_priority = *realtime_priority;
    const Napi::Value on_notify = o.Get("onNotify");
    if (!on_notify.IsFunction()) {
      ThrowCoded(env, kInvalidArgument, "onNotify must be a function");
      return;
    }
    if (ThrowIfIoFailed(env, io::MediaThread::ValidateOptions(options), "")) return;
    auto shared = std::make_shared<ShardShared>();
    ShardShared* raw = shared.get();
    options.notify = [raw] { raw->notifier.Notify(); };
    if (!CreateNotifier(env, on_notify, "confmix.shard.notify", shared, CallWithoutArguments)) return;
    shared->thread = std::make_unique<io::MediaThread>(std::move(options));
    shared_ = std::move(shared);
    cname_ = MakeCname();
  }

  ~ShardMedia() override {
    if (!shared_) return;
    shared_->thread->Stop();
    shared_->notifier.Release();
  }

 private:
  bool Ready(Napi::Env env) {
    if (shared_ && !stopped_) return true;
    ThrowCoded(env, kInvalidState, "the shard's media plane is stopped");
    return false;
  }
  io::MediaThread& thread() { return *shared_->thread; }

  ConferenceControl* FindConference(const Napi::CallbackInfo& info, uint32_t* handle) {
    if (!Ready(info.Env()) || !ReadUint32Arg(info, 0, "conference handle", handle)) return nullptr;
    auto it = conferences_.find(*handle);
    if (it == conferences_.end()) {
      ThrowCoded(info.Env(), kNotFound, "conference " + std::to_string(*handle) + " is not on this shard");
      return nullptr;
    }
    return &it->second;
  }

  MemberControl* FindMember(const Napi::CallbackInfo& info, ConferenceControl& conference, uint32_t* member) {
    if (!ReadUint32Arg(info, 1, "member id", member)) return nullptr;
    auto it = conference.members.find(*member);
    if (it == conference.members.end()) {
      ThrowCoded(info.Env(), kNotFound, "member " + std::to_string(*member) + " is not in the conference");
      return nullptr;
    }
    return &it->second;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (Ready(info.Env())) ThrowIfIoFailed(info.Env(), thread().Start(), "");
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (shared_ && !stopped_) {
      stopped_ = true;
      thread().Stop();
      shared_->notifier.Release();
      conferences_.clear();
    }
    return info.Env().Undefined();
  }

  Napi::Value CreateConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    ConferenceOptions options;
    MediaConferenceOptions media;
    if (!Ready(env) || !ReadUint32Arg(info, 0, "conference handle", &handle)) return env.Undefined();
    if (info.Length() < 2 || !ReadConferenceOptions(env, info[1], &options, &media)) {
      if (!env.IsExceptionPending()) ThrowCoded(env, kInvalidArgument, "conference options must be an object");
      return env.Undefined();
    }
    if (conferences_.count(handle)) {
      ThrowCoded(env, kInvalidState, "conference " + std::to_string(handle) + " already exists");
      return env.Undefined();
    }
    Status status;
    auto conference = MediaConference::Create(options, &status, media);
    if (ThrowIfFailed(env, status, "")) return env.Undefined();
    auto job = std::make_unique<shard::ConferenceJob>(handle, std::move(conference), shared_->outbox);
    ConferenceControl control;
    control.job = job.get();
    control.rate = options.rate;
    control.interval_ms = options.interval_ms;
    if (ThrowIfIoFailed(env, thread().AddJob(std::move(job), options.interval_ms, &control.job_id), ""))
      return env.Undefined();
    conferences_.emplace(handle, std::move(control));
    return env.Undefined();
  }

  Napi::Value DestroyConference(const Napi::CallbackInfo& info) {
    uint32_t handle = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    if (!conference) return info.Env().Undefined();
    for (auto& [member, control] : conference->members) {
      if (control.leg) thread().CloseLeg(control.leg);
      if (control.rtcp_leg) thread().CloseLeg(control.rtcp_leg);
    }
    thread().RemoveJob(conference->job_id);
    conferences_.erase(handle);
    return info.Env().Undefined();
  }

  Napi::Value SetConference(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    Napi::Object o;
    std::optional<bool> mute, hold;
    if (!conference || !ReadObjectArg(info, 1, "conference settings", &o) ||
        !ReadOptionalFlag(env, o, "mute", &mute) || !ReadOptionalFlag(env, o, "hold", &hold))
      return env.Undefined();
    conference->job->Post([mute, hold](shard::ConferenceJob& job) {
      if (mute) job.conference().mixer().SetMute(*mute);
      if (hold) job.conference().mixer().SetHold(*hold);
    });
    return env.Undefined();
  }

  // Opens a member's separate RTCP leg like its RTP leg (family, local address, latching), towards
  // the peer's RTCP address; no inactivity timeout (the RTP leg has one). Throws on failure.
  bool OpenRtcpLeg(Napi::Env env, const io::LegOptions& rtp_options, std::optional<int> remote_rtcp_port,
                   io::LegInfo* opened) {
    io::LegOptions options = rtp_options;
    options.timeout_ms = 0;
    options.reserve_rtcp = false;
    if (!rtp_options.remote.empty() && !RtcpRemote(env, rtp_options.remote, remote_rtcp_port, &options.remote))
      return false;
    return !ThrowIfIoFailed(env, thread().OpenLeg(options, opened), "RTCP leg: ");
  }

  // addMember(handle, member, settings, leg) -> {legId?, port?, rtcpPort?}
  // leg: {kind: 'none'} | {kind: 'app'} | {kind: 'rtp', receive?, send?, remoteAddress?,
  //       remotePort?, symmetricLatching?, timeoutMs?, ipv6?, localAddress?, rtcpMux?,
  //       remoteRtcpPort?, rtcpIntervalMs?}
  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    if (!conference || !ReadUint32Arg(info, 1, "member id", &member)) return env.Undefined();
    if (conference->members.count(member)) {
      ThrowCoded(env, kInvalidState, "member " + std::to_string(member) + " is already in the conference");
      return env.Undefined();
    }
    if (conference->members.size() >= kMaxMembers) {
      ThrowCoded(env, kInvalidState, "the conference is full");
      return env.Undefined();
    }
    MemberUpdate initial;
    Napi::Object leg;
    if (!ReadMemberUpdate(env, info.Length() > 2 ? info[2] : env.Undefined(), &initial) ||
        !ReadObjectArg(info, 3, "leg", &leg))
      return env.Undefined();
    const Napi::Value kind_value = leg.Get("kind");
    const std::string kind = kind_value.IsString() ? kind_value.As<Napi::String>().Utf8Value() : "";
    MemberMediaConfig media;
    MemberControl control;
    Napi::Object result = Napi::Object::New(env);
    if (kind == "app") {
      media.app = true;
      control.app = true;
    } else if (kind == "rtp") {
      std::optional<io::SocketAddress> remote;
      std::optional<bool> latching, ipv6;
      std::optional<int> timeout;
      RtcpLegOptions rtcp;
      if (!ReadRtpMedia(env, leg, &media) || !CheckMedia(env, media, conference->rate, conference->interval_ms) ||
          !ReadRemote(env, leg, &remote) || !ReadOptionalFlag(env, leg, "symmetricLatching", &latching) ||
          !ReadOptionalFlag(env, leg, "ipv6", &ipv6) || !ReadOptionalInt(env, leg, "timeoutMs", 0, 86400000, &timeout) ||
          !ReadRtcpLegOptions(env, leg, &rtcp))
        return env.Undefined();
      const bool rtcp_mux = rtcp.mux.value_or(true);
      io::SocketAddress rtcp_remote;
      if (!rtcp_mux && remote && !RtcpRemote(env, *remote, rtcp.remote_port, &rtcp_remote)) return env.Undefined();
      if (rtcp_mux && rtcp.remote_port) {
        ThrowCoded(env, kInvalidArgument, "remoteRtcpPort applies only with rtcpMux: false");
        return env.Undefined();
      }
      RtcpSessionConfig session;
      session.cname = cname_;
      if (rtcp.interval_ms) session.interval_ms = *rtcp.interval_ms;
      session.wait_for_peer_rtcp = !rtcp.mux.has_value();
      media.rtcp = session;
      io::LegOptions options;
      options.ipv6 = ipv6.value_or(remote ? remote->is_ipv6() : false);
      const Napi::Value local = leg.Get("localAddress");
      if (local.IsString()) options.local_address = local.As<Napi::String>().Utf8Value();
      if (remote) options.remote = *remote;
      options.symmetric_latching = latching.value_or(false);
      if (timeout) options.timeout_ms = *timeout;
      io::LegInfo opened;
      if (ThrowIfIoFailed(env, thread().OpenLeg(options, &opened), "")) return env.Undefined();
      if (!rtcp_mux) {
        io::LegInfo rtcp_opened;
        if (!OpenRtcpLeg(env, options, rtcp.remote_port, &rtcp_opened)) {
          thread().CloseLeg(opened.id);
          return env.Undefined();
        }
        control.rtcp_leg = rtcp_opened.id;
        control.rtcp_port = rtcp_opened.port;
        result.Set("rtcpPort", rtcp_opened.port);
      }
      control.leg = opened.id;
      control.rtp_options = options;
      control.remote_rtcp_port = rtcp.remote_port;
      result.Set("legId", opened.id);
      result.Set("port", opened.port);
    } else if (kind != "none") {
      ThrowCoded(env, kInvalidArgument, "leg.kind must be 'none', 'app' or 'rtp'");
      return env.Undefined();
    }
    const io::LegId leg_id = control.leg;
    const io::LegId rtcp_leg_id = control.rtcp_leg;
    conference->job->Post([member, initial, media, leg_id, rtcp_leg_id](shard::ConferenceJob& job) {
      std::string error;
      if (!job.conference().AddMember(member, initial, media, &error).ok()) return;
      if (leg_id) job.BindLeg(member, leg_id);
      if (rtcp_leg_id) job.BindRtcpLeg(member, rtcp_leg_id);
    });
    if (leg_id) thread().AttachSink(leg_id, conference->job, conference->job_id);
    if (rtcp_leg_id) thread().AttachSink(rtcp_leg_id, conference->job, conference->job_id);
    conference->members.emplace(member, control);
    return result;
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    if (!control) return info.Env().Undefined();
    if (control->leg) thread().CloseLeg(control->leg);
    if (control->rtcp_leg) thread().CloseLeg(control->rtcp_leg);
    conference->job->Post([member](shard::ConferenceJob& job) {
      job.UnbindMember(member);
      job.conference().RemoveMember(member);
    });
    conference->members.erase(member);
    return info.Env().Undefined();
  }

  Napi::Value SetMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    MemberUpdate update;
    if (!control || !ReadMemberUpdate(env, info.Length() > 2 ? info[2] : env.Undefined(), &update))
      return env.Undefined();
    conference->job->Post([member, update](shard::ConferenceJob& job) { job.conference().mixer().UpdateMember(member, update); });
    return env.Undefined();
  }

  // updateLeg(handle, member, {remoteAddress?, remotePort?, receive?, send?, symmetricLatching?,
  //           rtcpMux?, remoteRtcpPort?}) -> {rtcpPort?} (rtcpPort while a separate RTCP leg exists)
  Napi::Value UpdateLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    Napi::Object o;
    if (!control || !ReadObjectArg(info, 2, "leg update", &o)) return env.Undefined();
    if (!control->leg) {
      ThrowCoded(env, kInvalidState, "member " + std::to_string(member) + " has no RTP leg");
      return env.Undefined();
    }
    MemberMediaConfig media;
    std::optional<io::SocketAddress> remote;
    std::optional<bool> latching;
    RtcpLegOptions rtcp;
    if (!ReadRtpMedia(env, o, &media) || !CheckMedia(env, media, conference->rate, conference->interval_ms) ||
        !ReadRemote(env, o, &remote) || !ReadOptionalFlag(env, o, "symmetricLatching", &latching) ||
        !ReadRtcpLegOptions(env, o, &rtcp))
      return env.Undefined();
    if (rtcp.interval_ms) {
      ThrowCoded(env, kInvalidArgument, "rtcpIntervalMs is set when the member is added");
      return env.Undefined();
    }
    const bool rtcp_mux = rtcp.mux.value_or(control->rtcp_leg == 0);
    if (rtcp_mux && rtcp.remote_port) {
      ThrowCoded(env, kInvalidArgument, "remoteRtcpPort applies only with rtcpMux: false");
      return env.Undefined();
    }
    io::LegOptions& current = control->rtp_options;
    if (remote && remote->is_ipv6() != current.ipv6) {
      ThrowCoded(env, kInvalidArgument, "the remote address is not of the leg's address family");
      return env.Undefined();
    }
    if (!rtcp_mux && rtcp.remote_port && !remote && current.remote.empty()) {
      ThrowCoded(env, kInvalidArgument, "remoteRtcpPort needs the peer's remoteAddress");
      return env.Undefined();
    }
    // What the RTP leg becomes; a new remote without remoteRtcpPort means RTCP on its port + 1.
    io::LegOptions wanted = current;
    if (remote) wanted.remote = *remote;
    if (latching) wanted.symmetric_latching = *latching;
    const std::optional<int> remote_rtcp_port = rtcp.remote_port ? rtcp.remote_port
                                                : remote         ? std::nullopt
                                                                 : control->remote_rtcp_port;
    io::SocketAddress rtcp_remote;
    if (!rtcp_mux && !wanted.remote.empty() && !RtcpRemote(env, wanted.remote, remote_rtcp_port, &rtcp_remote))
      return env.Undefined();
    // The one step that can fail for want of ports goes first, so a failure changes nothing.
    io::LegInfo rtcp_opened;
    if (!rtcp_mux && control->rtcp_leg == 0 && !OpenRtcpLeg(env, wanted, remote_rtcp_port, &rtcp_opened))
      return env.Undefined();
    if (remote) thread().SetRemote(control->leg, *remote);
    if (latching) thread().SetLatching(control->leg, *latching);
    const bool rtcp_remote_changed = remote.has_value() || rtcp.remote_port.has_value();
    current = wanted;
    control->remote_rtcp_port = remote_rtcp_port;
    if (rtcp_mux && control->rtcp_leg) {
      thread().CloseLeg(control->rtcp_leg);
      control->rtcp_leg = 0;
      control->rtcp_port = 0;
      conference->job->Post([member](shard::ConferenceJob& job) { job.UnbindRtcpLeg(member); });
    } else if (rtcp_opened.id) {
      control->rtcp_leg = rtcp_opened.id;
      control->rtcp_port = rtcp_opened.port;
      const io::LegId rtcp_leg_id = rtcp_opened.id;
      conference->job->Post([member, rtcp_leg_id](shard::ConferenceJob& job) { job.BindRtcpLeg(member, rtcp_leg_id); });
      thread().AttachSink(rtcp_leg_id, conference->job, conference->job_id);
    } else if (control->rtcp_leg) {
      if (rtcp_remote_changed && !rtcp_remote.empty()) thread().SetRemote(control->rtcp_leg, rtcp_remote);
      if (latching) thread().SetLatching(control->rtcp_leg, *latching);
    }
    if (rtcp.mux) {
      // Said explicitly now: reports go out without waiting for the peer's.
      conference->job->Post([member](shard::ConferenceJob& job) {
        if (RtcpSession* session = job.conference().mutable_rtcp(member)) session->set_wait_for_peer_rtcp(false);
      });
    }
    if (media.receive || media.send) {
      conference->job->Post([member, media](shard::ConferenceJob& job) {
        std::string error;
        job.conference().UpdateMedia(member, media, &error);
      });
    }
    Napi::Object result = Napi::Object::New(env);
    if (control->rtcp_leg) result.Set("rtcpPort", control->rtcp_port);
    return result;
  }

  Napi::Value PushPcm(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    Napi::Int16Array pcm;
    if (!control || !ReadInt16Array(info, 2, "pcm", &pcm)) return env.Undefined();
    if (!control->app) {
      ThrowCoded(env, kInvalidState, "member " + std::to_string(member) + " has no app leg");
      return env.Undefined();
    }
    std::vector<int16_t> samples(pcm.Data(), pcm.Data() + pcm.ElementLength());
    conference->job->Post([member, samples = std::move(samples)](shard::ConferenceJob& job) {
      job.conference().PushAppPcm(member, samples.data(), samples.size());
    });
    return env.Undefined();
  }

  // startPlayback(handle, playback, pcm, {loop?, member?})
  Napi::Value StartPlayback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, playback = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    Napi::Int16Array pcm;
    if (!conference || !ReadUint32Arg(info, 1, "playback id", &playback) || !ReadInt16Array(info, 2, "pcm", &pcm))
      return env.Undefined();
    std::optional<bool> loop;
    std::optional<uint32_t> target;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      Napi::Object o;
      if (!ReadObjectArg(info, 3, "playback options", &o) || !ReadOptionalFlag(env, o, "loop", &loop)) return env.Undefined();
      const Napi::Value member = o.Get("member");
      if (!member.IsUndefined() && !member.IsNull()) {
        int64_t id = 0;
        if (!ReadInteger(member, 0, 4294967295.0, &id) || !conference->members.count(static_cast<uint32_t>(id))) {
          ThrowCoded(env, kNotFound, "playback target is not a member of the conference");
          return env.Undefined();
        }
        target = static_cast<uint32_t>(id);
      }
    }
    if (pcm.ElementLength() == 0) {
      ThrowCoded(env, kInvalidArgument, "pcm must hold at least one sample");
      return env.Undefined();
    }
    if (!conference->playbacks.insert(playback).second) {
      ThrowCoded(env, kInvalidState, "playback " + std::to_string(playback) + " is already playing");
      return env.Undefined();
    }
    auto samples = std::make_shared<const std::vector<int16_t>>(pcm.Data(), pcm.Data() + pcm.ElementLength());
    const bool looping = loop.value_or(false);
    conference->job->Post([playback, samples, looping, target](shard::ConferenceJob& job) {
      job.conference().mixer().StartPlayback(playback, samples, looping, target);
    });
    return env.Undefined();
  }

  Napi::Value StopPlayback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, playback = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    if (!conference || !ReadUint32Arg(info, 1, "playback id", &playback)) return env.Undefined();
    if (!conference->playbacks.count(playback)) {
      ThrowCoded(env, kNotFound, "playback " + std::to_string(playback) + " is not playing");
      return env.Undefined();
    }
    conference->job->Post([playback](shard::ConferenceJob& job) { job.conference().mixer().StopPlayback(playback); });
    return env.Undefined();
  }

  Napi::Value PressKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    if (!control) return env.Undefined();
    const std::string key = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    if (key.size() != 1 || !IsDtmfKey(key[0])) {
      ThrowCoded(env, kInvalidArgument, "key must be one of 0-9, * and #");
      return env.Undefined();
    }
    const char k = key[0];
    conference->job->Post([member, k](shard::ConferenceJob& job) { job.conference().mixer().PressKey(member, k); });
    return env.Undefined();
  }

  // relate(handle, member, other, relationship): 'deaf', 'mute' or 'clear' (see core/mix/relate.h).
  Napi::Value Relate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0, other = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    if (!control || !ReadUint32Arg(info, 2, "other member id", &other)) return env.Undefined();
    if (!conference->members.count(other)) {
      ThrowCoded(env, kNotFound, "member " + std::to_string(other) + " is not in the conference");
      return env.Undefined();
    }
    Relationship relationship;
    if (!ReadRelationship(info, 3, &relationship)) return env.Undefined();
    if (member == other) {
      ThrowCoded(env, kInvalidArgument, "a member cannot be related to itself");
      return env.Undefined();
    }
    conference->job->Post([member, other, relationship](shard::ConferenceJob& job) {
      job.conference().mixer().Relate(member, other, relationship);
    });
    return env.Undefined();
  }

  // drain() -> {events: [...], frames: Int16Array, frameIndex: Uint32Array (conference, member,
  //             offset, samples), media: [...]}
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    if (!shared_) return out;
    shared_->outbox.Take(batch_);
    Napi::Array events = Napi::Array::New(env, batch_.events.size());
    for (size_t i = 0; i < batch_.events.size(); i++) {
      const shard::ConferenceEvent& record = batch_.events[i];
      Napi::Object event = EventToObject(env, record.event);
      event.Set("conference", record.conference);
      if (record.event.type == EventType::kPlaybackDone) {
        auto it = conferences_.find(record.conference);
        if (it != conferences_.end()) it->second.playbacks.erase(record.event.playback);
      }
      events.Set(static_cast<uint32_t>(i), event);
    }
    out.Set("events", events);
    out.Set("frames", CopyToInt16Array(env, batch_.pcm.data(), batch_.pcm.size()));
    Napi::Uint32Array index = Napi::Uint32Array::New(env, batch_.frames.size() * 4);
    for (size_t i = 0; i < batch_.frames.size(); i++) {
      index[i * 4] = batch_.frames[i].conference;
      index[i * 4 + 1] = batch_.frames[i].member;
      index[i * 4 + 2] = static_cast<uint32_t>(batch_.frames[i].offset);
      index[i * 4 + 3] = static_cast<uint32_t>(batch_.frames[i].samples);
    }
    out.Set("frameIndex", index);
    thread().TakeEvents(media_events_);
    Napi::Array media = Napi::Array::New(env);
    uint32_t n = 0;
    for (const io::MediaEvent& e : media_events_) {
      if (e.type == io::MediaEventType::kOutgoing) continue;
      if (e.type == io::MediaEventType::kJob &&
          e.reason != static_cast<uint8_t>(shard::JobEventCode::kRtcpBye))
        continue;  // only a wake-up: the outbox was drained above
      Napi::Object o = Napi::Object::New(env);
      o.Set("leg", e.leg);
      switch (e.type) {
        case io::MediaEventType::kJob: {
          const ConferenceControl* conference = nullptr;
          uint32_t handle = 0;
          for (const auto& [h, c] : conferences_) {
            if (c.job_id != e.job) continue;
            conference = &c;
            handle = h;
          }
          const uint32_t member = static_cast<uint32_t>(e.count);
          if (!conference || !conference->members.count(member)) continue;  // already gone
          RtcpSessionStats stats;
          const bool known = conference->job->MemberRtcpStats(member, &stats);
          o.Set("type", "rtcp-bye");
          o.Set("conference", handle);
          o.Set("member", member);
          o.Set("reason", known ? std::string(stats.bye_reason_text()) : std::string());
          break;
        }
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
          continue;
      }
      media.Set(n++, o);
    }
    media_events_.clear();
    out.Set("media", media);
    return out;
  }

  Napi::Value ResetLateness(const Napi::CallbackInfo& info) {
    if (shared_) thread().ResetLateness();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_) return env.Undefined();
    // The load report asks for this on every join, so it lists no legs: see legStats().
    const io::ThreadStats counters = thread().Counters();
    Napi::Object o = Napi::Object::New(env);
    o.Set("ticks", static_cast<double>(counters.ticks));
    o.Set("wakes", static_cast<double>(counters.wakes));
    o.Set("drains", static_cast<double>(counters.drains));
    o.Set("overruns", static_cast<double>(counters.overruns));
    Napi::Object lateness = Napi::Object::New(env);
    lateness.Set("p50Ms", static_cast<double>(counters.lateness_p50_ns) / 1e6);
    lateness.Set("p99Ms", static_cast<double>(counters.lateness_p99_ns) / 1e6);
    lateness.Set("maxMs", static_cast<double>(counters.lateness_max_ns) / 1e6);
    // Its distribution for plots: [fraction, ms] at fixed quantiles.
    static constexpr double kCdfFractions[] = {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
                                               0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0};
    Napi::Array cdf = Napi::Array::New(env);
    uint32_t at = 0;
    for (double fraction : kCdfFractions) {
      Napi::Array point = Napi::Array::New(env, 2);
      point.Set(0u, fraction);
      point.Set(1u, static_cast<double>(thread().LatenessQuantileNs(fraction)) / 1e6);
      cdf.Set(at++, point);
    }
    lateness.Set("cdf", cdf);
    o.Set("lateness", lateness);
    o.Set("tickCpuMs", static_cast<double>(counters.tick_cpu_ns) / 1e6);
    o.Set("threadCpuMs", static_cast<double>(counters.thread_cpu_ns) / 1e6);
    o.Set("load", counters.load);
    o.Set("realtime", counters.realtime);
    uint32_t encodes = 0, decodes = 0, members = 0;
    for (const auto& [handle, conference] : conferences_) {
      encodes += conference.job->last_encodes();
      decodes += conference.job->last_decodes();
      members += static_cast<uint32_t>(conference.members.size());
    }
    Napi::Array per_conference = Napi::Array::New(env, conferences_.size());
    uint32_t i_conference = 0;
    for (const auto& [handle, conference] : conferences_) {
      Napi::Object c = Napi::Object::New(env);
      c.Set("handle", handle);
      c.Set("ticks", static_cast<double>(conference.job->ticks()));
      c.Set("lastDeadlineMs", static_cast<double>(conference.job->last_deadline_ns()) / 1e6);
      c.Set("encodesPerTick", conference.job->last_encodes());
      c.Set("decodesPerTick", conference.job->last_decodes());
      c.Set("complexityShed", conference.job->complexity_shed());
      per_conference.Set(i_conference++, c);
    }
    o.Set("perConference", per_conference);
    o.Set("conferences", static_cast<double>(conferences_.size()));
    o.Set("members", members);
    o.Set("encodesPerTick", encodes);
    o.Set("decodesPerTick", decodes);
    return o;
  }

  // legStats() -> every leg's counters (one entry per open socket).
  Napi::Value LegStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!shared_) return env.Undefined();
    const io::MediaThreadStats stats = thread().Stats();
    Napi::Array legs = Napi::Array::New(env, stats.legs.size());
    for (size_t i = 0; i < stats.legs.size(); i++) legs.Set(static_cast<uint32_t>(i), LegStatsToObject(env, stats.legs[i]));
    return legs;
  }

  // memberStats(handle, member) -> {legId, port, rtcpPort, leg, rtcpLeg, rtcp}: the legs' counters
  // (null without a leg) and the RTCP session's last snapshot (null until the first, or without one).
  Napi::Value MemberStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t handle = 0, member = 0;
    ConferenceControl* conference = FindConference(info, &handle);
    MemberControl* control = conference ? FindMember(info, *conference, &member) : nullptr;
    if (!control) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("legId", control->leg ? Napi::Value(Napi::Number::New(env, control->leg)) : env.Null());
    o.Set("rtcpPort", control->rtcp_leg ? Napi::Value(Napi::Number::New(env, control->rtcp_port)) : env.Null());
    Napi::Value leg = env.Null(), rtcp_leg = env.Null();
    int port = 0;
    if (control->leg) {
      const io::MediaThreadStats stats = thread().Stats();
      for (const io::LegStats& l : stats.legs) {
        if (l.id == control->leg) {
          leg = LegStatsToObject(env, l);
          port = l.port;
        }
        if (control->rtcp_leg && l.id == control->rtcp_leg) rtcp_leg = LegStatsToObject(env, l);
      }
    }
    o.Set("port", control->leg ? Napi::Value(Napi::Number::New(env, port)) : env.Null());
    o.Set("leg", leg);
    o.Set("rtcpLeg", rtcp_leg);
    RtcpSessionStats rtcp;
    o.Set("rtcp", conference->job->MemberRtcpStats(member, &rtcp) ? Napi::Value(RtcpStatsToObject(env, rtcp)) : env.Null());
    double jitter_target_ms = 0;
    o.Set("jitterTargetMs", conference->job->MemberJitterTargetMs(member, &jitter_target_ms)
                                ? Napi::Value(Napi::Number::New(env, jitter_target_ms))
                                : env.Null());
    return o;
  }

  std::shared_ptr<ShardShared> shared_;
  bool stopped_ = false;
  std::unordered_map<uint32_t, ConferenceControl> conferences_;
  std::string cname_;  // every RTCP report of this shard carries it
  shard::OutboxBatch batch_;
  std::vector<io::MediaEvent> media_events_;
};

}  // namespace

void RegisterShardMedia(Napi::Env env, Napi::Object exports) {
  exports.Set("ShardMedia", ShardMedia::Define(env));
}

}  // namespace confmix::addon
