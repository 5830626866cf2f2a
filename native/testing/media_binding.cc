// N-API glue for the native media thread: a MediaThread class whose events reach JavaScript
// through an unref'd thread-safe function, test-only jobs (relay, counter) to drive it alone,
// and the LoadGenerator for benchmarks.
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "addon/arguments.h"
#include "testing/bindings.h"
#include "addon/raw_class.h"
#include "addon/notifier.h"
#include "testing/io/load_generator.h"
#include "core/io/media_thread.h"
#include "testing/io/test_jobs.h"

namespace confmix::addon {

namespace {

// ---------------------------------------------------------------------------------------------
// Argument checks: each returns false with a JS exception pending.

// The options object of a call (absent means {}).
bool OptionsArg(const Napi::CallbackInfo& info, size_t index, Napi::Object* out) {
  if (info.Length() <= index || info[index].IsUndefined()) {
    *out = Napi::Object::New(info.Env());
    return true;
  }
  if (!info[index].IsObject() || info[index].IsArray()) {
    ThrowInvalid(info.Env(), "options must be an object");
    return false;
  }
  *out = info[index].As<Napi::Object>();
  return true;
}

bool IdArg(const Napi::CallbackInfo& info, size_t index, const char* name, uint32_t* out) {
  double number = 0;
  if (info.Length() <= index || !ReadInteger(info[index], 1, 4294967295.0, &number)) {
    ThrowInvalid(info.Env(), std::string(name) + " must be a positive integer");
    return false;
  }
  *out = static_cast<uint32_t>(number);
  return true;
}

bool IdProperty(Napi::Env env, const Napi::Object& object, const char* name, uint32_t* out) {
  Napi::Value value;
  if (!GetProperty(env, object, name, &value)) return false;
  double number = 0;
  if (!ReadInteger(value, 1, 4294967295.0, &number)) {
    ThrowInvalid(env, std::string(name) + " must be a positive integer");
    return false;
  }
  *out = static_cast<uint32_t>(number);
  return true;
}

bool IntervalProperty(Napi::Env env, const Napi::Object& object, int* out) {
  Napi::Value value;
  if (!GetProperty(env, object, "intervalMs", &value)) return false;
  double number = 0;
  if (value.IsUndefined()) {
    *out = 20;
    return true;
  }
  if (!ReadInteger(value, 0, 1000, &number) || (number != 10 && number != 20 && number != 40 && number != 60)) {
    ThrowInvalid(env, "intervalMs must be 10, 20, 40 or 60");
    return false;
  }
  *out = static_cast<int>(number);
  return true;
}

bool AddressArgs(Napi::Env env, const Napi::Value& address, const Napi::Value& port, io::SocketAddress* out) {
  double port_number = 0;
  if (!address.IsString()) {
    ThrowInvalid(env, "the remote address must be a string");
    return false;
  }
  if (!ReadInteger(port, 1, 65535, &port_number)) {
    ThrowInvalid(env, "the remote port must be an integer in 1..65535");
    return false;
  }
  const std::string text = address.As<Napi::String>().Utf8Value();
  if (!io::SocketAddress::Parse(text, static_cast<int>(port_number), out)) {
    ThrowInvalid(env, "not a numeric IPv4 or IPv6 address: " + text);
    return false;
  }
  return true;
}

double NsToMs(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// ---------------------------------------------------------------------------------------------
// Events: the media thread notifies through a ThreadSafeFunction; its callback takes the events.

// Shared by the JS object, the thread-safe function's context and the native thread's notify
// hook, so whichever of the object and the function goes first, the other never dangles.
struct MediaShared {
  Notifier notifier;
  std::vector<io::MediaEvent> taken;      // JS thread only
  std::unique_ptr<io::MediaThread> core;  // last: destroyed (thread joined) first
};

struct GeneratorShared {
  Notifier notifier;
  bool referenced = false;                  // JS thread only: onDone keeps the process up
  std::unique_ptr<io::LoadGenerator> core;  // last: destroyed (thread joined) first

  /** From start() until onDone, the process waits for the generator (JS thread). */
  void Ref(napi_env env) {
    std::lock_guard<std::mutex> lock(notifier.mutex);
    if (notifier.function == nullptr || referenced) return;
    referenced = napi_ref_threadsafe_function(env, notifier.function) == napi_ok;
  }
  void Unref(napi_env env) {
    std::lock_guard<std::mutex> lock(notifier.mutex);
    if (notifier.function == nullptr || !referenced) return;
    napi_unref_threadsafe_function(env, notifier.function);
    referenced = false;
  }
};

JsRecord EventToJs(napi_env env, const io::MediaEvent& event) {
  JsRecord out(env);
  switch (event.type) {
    case io::MediaEventType::kTimeout:
      out.Text("type", "timeout")
          .Number("legId", event.leg)
          .Text("reason", io::TimeoutReasonName(static_cast<io::TimeoutReason>(event.reason)))
          .Number("timeoutMs", static_cast<double>(event.count));
      break;
    case io::MediaEventType::kLatched:
      out.Text("type", "latched").Number("legId", event.leg).Address(event.address);
      break;
    case io::MediaEventType::kDropped:
      out.Text("type", "dropped")
          .Number("legId", event.leg)
          .Text("reason", io::DropReasonName(static_cast<io::DropReason>(event.reason)))
          .Number("count", static_cast<double>(event.count))
          .Number("total", static_cast<double>(event.total))
          .Address(event.address);
      break;
    case io::MediaEventType::kLegClosed:
      out.Text("type", "leg-closed").Number("legId", event.leg).Number("port", static_cast<double>(event.count));
      break;
    case io::MediaEventType::kJobRemoved:
      out.Text("type", "job-removed").Number("jobId", event.job).Number("ticks", static_cast<double>(event.count));
      break;
    case io::MediaEventType::kOutgoing:
      out.Text("type", "outgoing").Number("packets", static_cast<double>(event.count));
      break;
    case io::MediaEventType::kEventsLost:
      out.Text("type", "events-lost").Number("count", static_cast<double>(event.count));
      break;
    case io::MediaEventType::kJob:
      out.Text("type", "job")
          .Number("jobId", event.job)
          .Number("code", event.reason)
          .Number("count", static_cast<double>(event.count))
          .Number("total", static_cast<double>(event.total));
      break;
  }
  return out;
}

// Runs on the JS thread for each notify: takes the waiting events and calls onEvents once.
void DeliverEvents(napi_env env, napi_value callback, void* context, void*) {
  if (env == nullptr || callback == nullptr || context == nullptr) return;
  MediaShared& shared = **static_cast<std::shared_ptr<MediaShared>*>(context);
  shared.core->TakeEvents(shared.taken);
  if (shared.taken.empty()) return;
  JsList events(env, shared.taken.size());
  for (size_t i = 0; i < shared.taken.size(); ++i) {
    const JsRecord record = EventToJs(env, shared.taken[i]);
    events.Set(static_cast<uint32_t>(i), record.value(), record.ok());
  }
  shared.taken.clear();
  // Fails only while the environment shuts down: nobody is listening any more.
  if (!events.ok()) return;
  napi_value argument = events.value();
  napi_value receiver = nullptr;
  napi_get_undefined(env, &receiver);
  // A listener that throws surfaces as an uncaught exception, like an EventEmitter's.
  napi_call_function(env, receiver, callback, 1, &argument, nullptr);
}

// ---------------------------------------------------------------------------------------------

class MediaThreadWrap {
 public:
  static constexpr const char* kName = "MediaThread";
  using Class = RawClass<MediaThreadWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&MediaThreadWrap::Start>("start"),
        Class::Method<&MediaThreadWrap::Stop>("stop"),
        Class::Method<&MediaThreadWrap::OpenLeg>("openLeg"),
        Class::Method<&MediaThreadWrap::CloseLeg>("closeLeg"),
        Class::Method<&MediaThreadWrap::SetRemote>("setRemote"),
        Class::Method<&MediaThreadWrap::SetLatching>("setLatching"),
        Class::Method<&MediaThreadWrap::SetTimeout>("setTimeout"),
        Class::Method<&MediaThreadWrap::AddRelayJob>("addRelayJob"),
        Class::Method<&MediaThreadWrap::AddCounterJob>("addCounterJob"),
        Class::Method<&MediaThreadWrap::RemoveJob>("removeJob"),
        Class::Method<&MediaThreadWrap::Stats>("stats"),
        Class::Method<&MediaThreadWrap::PushPacket>("pushPacket"),
        Class::Method<&MediaThreadWrap::TakeOutgoing>("takeOutgoing"),
    };
    return Class::Define(env, methods);
  }

  ~MediaThreadWrap() {
    if (!shared_) return;
    shared_->core->Stop();
    shared_->notifier.Release();
  }

  /** Reads the options and sets up; false with a JS exception pending when they are bad. */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    if (!OptionsArg(info, 0, &options)) return false;
    io::MediaThreadOptions core_options;
    if (!ReadOptionalInt(env, options, "portMin", 1, 65535, &core_options.port_min) ||
        !ReadOptionalInt(env, options, "portMax", 1, 65535, &core_options.port_max) ||
        !ReadOptionalFlag(env, options, "evenPorts", &core_options.even_ports) ||
        !ReadOptionalInt(env, options, "idleWakeMs", 1, 1000, &core_options.idle_wake_ms) ||
        !ReadOptionalInt(env, options, "realtimePriority", 0, 99, &core_options.realtime_priority) ||
        !ReadOptionalInt(env, options, "dropReportIntervalMs", 0, 3'600'000, &core_options.drop_report_interval_ms)) {
      return false;
    }
    Napi::Value on_events;
    if (!GetProperty(env, options, "onEvents", &on_events)) return false;
    if (!on_events.IsFunction()) {
      ThrowInvalid(env, "onEvents must be a function");
      return false;
    }
    if (ThrowIfFailed(env, io::MediaThread::ValidateOptions(core_options))) return false;

    auto shared = std::make_shared<MediaShared>();
    MediaShared* raw = shared.get();
    core_options.notify = [raw] { raw->notifier.Notify(); };
    if (!CreateNotifier(env, on_events, "confmix.media.events", shared, DeliverEvents)) return false;
    shared->core = std::make_unique<io::MediaThread>(std::move(core_options));
    shared_ = std::move(shared);
    return true;
  }

 private:
  bool Ready(Napi::Env env) {
    if (shared_) return true;
    ThrowCoded(env, StatusCode::kInvalidState, "the media thread was not constructed");
    return false;
  }
  io::MediaThread& core() { return *shared_->core; }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env) || ThrowIfFailed(env, core().Start())) return env.Undefined();
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    core().Stop();
    // Events already queued are still delivered; then the function finalizes.
    shared_->notifier.Release();
    return env.Undefined();
  }

  Napi::Value OpenLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    if (!Ready(env) || !OptionsArg(info, 0, &options)) return env.Undefined();
    io::LegOptions leg;
    std::string transport = "udp";
    std::string remote_address;
    bool has_transport = false;
    bool has_local = false;
    bool has_remote = false;
    bool has_ipv6 = false;
    Napi::Value remote_port;
    if (!ReadOptionalString(env, options, "transport", &transport, &has_transport) ||
        !ReadOptionalFlag(env, options, "ipv6", &leg.ipv6, &has_ipv6) ||
        !ReadOptionalString(env, options, "localAddress", &leg.local_address, &has_local) ||
        !ReadOptionalString(env, options, "remoteAddress", &remote_address, &has_remote) ||
        !GetProperty(env, options, "remotePort", &remote_port) ||
        !ReadOptionalFlag(env, options, "symmetricLatching", &leg.symmetric_latching) ||
        !ReadOptionalInt(env, options, "timeoutMs", 0, 86'400'000, &leg.timeout_ms) ||
        !ReadOptionalFlag(env, options, "reserveRtcp", &leg.reserve_rtcp)) {
      return env.Undefined();
    }
    const bool has_remote_port = !remote_port.IsUndefined();
    if (transport == "js") {
      leg.transport = io::LegTransport::kExternal;
      if (has_remote || has_local || has_remote_port) {
        ThrowInvalid(env, "a leg fed from JavaScript has no socket: no local or remote address");
        return env.Undefined();
      }
    } else if (transport != "udp") {
      ThrowInvalid(env, "transport must be 'udp' or 'js'");
      return env.Undefined();
    }
    if (has_remote || has_remote_port) {
      if (!has_remote) {
        ThrowInvalid(env, "remotePort needs a remoteAddress");
        return env.Undefined();
      }
      if (!AddressArgs(env, Napi::String::New(env, remote_address), remote_port, &leg.remote)) return env.Undefined();
      // The family follows the remote unless given.
      if (!has_ipv6) leg.ipv6 = leg.remote.is_ipv6();
    }
    io::LegInfo opened;
    if (ThrowIfFailed(env, core().OpenLeg(leg, &opened))) return env.Undefined();
    JsRecord out(env);
    out.Number("legId", opened.id);
    if (leg.transport == io::LegTransport::kUdp) {
      out.Number("port", opened.port);
    } else {
      out.Null("port");
    }
    return out.Result();
  }

  Napi::Value CloseLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t leg = 0;
    if (!Ready(env) || !IdArg(info, 0, "legId", &leg)) return env.Undefined();
    ThrowIfFailed(env, core().CloseLeg(leg));
    return env.Undefined();
  }

  Napi::Value SetRemote(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t leg = 0;
    io::SocketAddress remote;
    if (!Ready(env) || !IdArg(info, 0, "legId", &leg) ||
        !AddressArgs(env, info.Length() > 1 ? info[1] : env.Undefined(), info.Length() > 2 ? info[2] : env.Undefined(),
                     &remote)) {
      return env.Undefined();
    }
    ThrowIfFailed(env, core().SetRemote(leg, remote));
    return env.Undefined();
  }

  Napi::Value SetLatching(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t leg = 0;
    if (!Ready(env) || !IdArg(info, 0, "legId", &leg)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsBoolean()) {
      ThrowInvalid(env, "symmetricLatching must be a boolean");
      return env.Undefined();
    }
    ThrowIfFailed(env, core().SetLatching(leg, info[1].As<Napi::Boolean>().Value()));
    return env.Undefined();
  }

  Napi::Value SetTimeout(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t leg = 0;
    double timeout = 0;
    if (!Ready(env) || !IdArg(info, 0, "legId", &leg)) return env.Undefined();
    if (info.Length() < 2 || !ReadInteger(info[1], 0, 86'400'000, &timeout)) {
      ThrowInvalid(env, "timeoutMs must be an integer in 0..86400000");
      return env.Undefined();
    }
    ThrowIfFailed(env, core().SetTimeout(leg, static_cast<int>(timeout)));
    return env.Undefined();
  }

  Napi::Value AddRelayJob(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    int interval = 20;
    uint32_t from = 0;
    uint32_t to = 0;
    if (!Ready(env) || !OptionsArg(info, 0, &options) || !IntervalProperty(env, options, &interval) ||
        !IdProperty(env, options, "fromLeg", &from) || !IdProperty(env, options, "toLeg", &to)) {
      return env.Undefined();
    }
    for (const uint32_t leg : {from, to}) {
      if (!core().HasLeg(leg)) {
        ThrowCoded(env, StatusCode::kNotFound, "no leg " + std::to_string(leg));
        return env.Undefined();
      }
    }
    auto relay = std::make_unique<io::RelayJob>(to);
    io::RelayJob* sink = relay.get();
    io::JobId job = 0;
    if (ThrowIfFailed(env, core().AddJob(std::move(relay), interval, &job))) return env.Undefined();
    const Status attached = core().AttachSink(from, sink, job);
    if (!attached.ok()) {
      core().RemoveJob(job);
      ThrowIfFailed(env, attached);
      return env.Undefined();
    }
    return Napi::Number::New(env, job);
  }

  Napi::Value AddCounterJob(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    int interval = 20;
    int stall_ms = 0;
    int stall_every = 0;
    if (!Ready(env) || !OptionsArg(info, 0, &options) || !IntervalProperty(env, options, &interval) ||
        !ReadOptionalInt(env, options, "stallMs", 0, 1000, &stall_ms) ||
        !ReadOptionalInt(env, options, "stallEveryTicks", 0, 1'000'000, &stall_every)) {
      return env.Undefined();
    }
    auto counter = std::make_unique<io::CounterJob>(static_cast<int64_t>(stall_ms) * 1'000'000,
                                                    static_cast<uint64_t>(stall_every));
    io::JobId job = 0;
    if (ThrowIfFailed(env, core().AddJob(std::move(counter), interval, &job))) return env.Undefined();
    return Napi::Number::New(env, job);
  }

  Napi::Value RemoveJob(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t job = 0;
    if (!Ready(env) || !IdArg(info, 0, "jobId", &job)) return env.Undefined();
    ThrowIfFailed(env, core().RemoveJob(job));
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    const io::MediaThreadStats stats = core().Stats();
    const io::ThreadStats& thread = stats.thread;
    const io::LatencySummary summary = core().Lateness().Summarize();
    JsRecord lateness(env);
    lateness.Number("p50Ms", NsToMs(summary.p50_ns))
        .Number("p99Ms", NsToMs(summary.p99_ns))
        .Number("maxMs", NsToMs(summary.max_ns));
    JsList jobs(env, stats.jobs.size());
    for (size_t i = 0; i < stats.jobs.size(); ++i) {
      JsRecord job(env);
      job.Number("jobId", stats.jobs[i].id)
          .Number("intervalMs", stats.jobs[i].interval_ms)
          .Number("ticks", static_cast<double>(stats.jobs[i].ticks));
      jobs.Set(static_cast<uint32_t>(i), job.value(), job.ok());
    }
    JsList legs(env, stats.legs.size());
    for (size_t i = 0; i < stats.legs.size(); ++i) {
      const io::LegStats& leg = stats.legs[i];
      const bool udp = leg.transport == io::LegTransport::kUdp;
      JsRecord entry(env);
      entry.Number("legId", leg.id).Text("transport", udp ? "udp" : "js");
      if (udp) {
        entry.Number("port", leg.port);
      } else {
        entry.Null("port");
      }
      entry.Number("packetsIn", static_cast<double>(leg.packets_in))
          .Number("bytesIn", static_cast<double>(leg.bytes_in))
          .Number("packetsOut", static_cast<double>(leg.packets_out))
          .Number("bytesOut", static_cast<double>(leg.bytes_out))
          .Number("droppedStranger", static_cast<double>(leg.dropped_stranger))
          .Number("droppedInvalid", static_cast<double>(leg.dropped_invalid))
          .Number("droppedOverflow", static_cast<double>(leg.dropped_overflow))
          .Number("droppedNoRemote", static_cast<double>(leg.dropped_no_remote))
          .Number("sendFailed", static_cast<double>(leg.send_failed))
          .Flag("latched", leg.latched)
          .Flag("connected", leg.connected)
          .Flag("timedOut", leg.timed_out);
      if (leg.remote.empty()) {
        entry.Null("remoteAddress").Null("remotePort");
      } else {
        entry.Text("remoteAddress", leg.remote.ip().c_str()).Number("remotePort", leg.remote.port());
      }
      legs.Set(static_cast<uint32_t>(i), entry.value(), entry.ok());
    }
    const double per_tick_us =
        thread.ticks == 0 ? 0.0 : static_cast<double>(thread.tick_cpu_ns) / 1e3 / static_cast<double>(thread.ticks);
    JsRecord out(env);
    out.Flag("running", thread.running)
        .Number("wakes", static_cast<double>(thread.wakes))
        .Number("drains", static_cast<double>(thread.drains))
        .Number("ticks", static_cast<double>(thread.ticks))
        .Number("overruns", static_cast<double>(thread.overruns))
        .Field("lateness", lateness.value(), lateness.ok())
        .Number("tickCpuMs", NsToMs(thread.tick_cpu_ns))
        .Number("tickCpuUsPerTick", per_tick_us)
        .Number("threadCpuMs", NsToMs(thread.thread_cpu_ns))
        .Number("eventsLost", static_cast<double>(thread.events_lost))
        .Number("load", thread.load)
        .Flag("realtime", thread.realtime)
        .Field("jobs", jobs.value(), jobs.ok())
        .Field("legs", legs.value(), legs.ok());
    return out.Result();
  }

  Napi::Value PushPacket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t leg = 0;
    if (!Ready(env) || !IdArg(info, 0, "legId", &leg)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowInvalid(env, "packet must be a Uint8Array");
      return env.Undefined();
    }
    Napi::Uint8Array packet = info[1].As<Napi::Uint8Array>();
    bool accepted = false;
    if (ThrowIfFailed(env, core().PushPacket(leg, packet.Data(), packet.ByteLength(), &accepted))) {
      return env.Undefined();
    }
    return Napi::Boolean::New(env, accepted);
  }

  Napi::Value TakeOutgoing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    core().TakeOutgoing(outgoing_);
    JsList out(env, outgoing_.size());
    if (!outgoing_.empty()) {
      // One copy into one buffer; each packet is a view on it.
      void* bytes = nullptr;
      napi_value buffer = nullptr;
      bool ok = napi_create_arraybuffer(env, outgoing_.bytes(), &bytes, &buffer) == napi_ok;
      if (ok) std::memcpy(bytes, outgoing_.arena(), outgoing_.bytes());
      for (size_t i = 0; ok && i < outgoing_.size(); ++i) {
        const io::DatagramRef& ref = outgoing_.ref(i);
        napi_value packet = nullptr;
        const bool packet_ok = napi_create_typedarray(env, napi_uint8_array, ref.size, buffer, ref.offset, &packet) == napi_ok;
        JsRecord entry(env);
        entry.Number("legId", ref.leg).Field("packet", packet, packet_ok);
        out.Set(static_cast<uint32_t>(i), entry.value(), entry.ok());
      }
      outgoing_.Clear();
    }
    return out.Result();
  }

  std::shared_ptr<MediaShared> shared_;
  io::DatagramBatch outgoing_{8192, 4 << 20};
};

// ---------------------------------------------------------------------------------------------
// The load generator.

JsRecord GeneratorStatsToJs(napi_env env, const io::LoadGeneratorStats& stats) {
  JsRecord out(env);
  out.Flag("running", stats.running)
      .Number("members", static_cast<double>(stats.members))
      .Number("sockets", static_cast<double>(stats.sockets))
      .Number("ticks", static_cast<double>(stats.ticks))
      .Number("sent", static_cast<double>(stats.sent))
      .Number("sendFailed", static_cast<double>(stats.send_failed))
      .Number("partialSends", static_cast<double>(stats.partial_sends))
      .Number("received", static_cast<double>(stats.received))
      .Number("minReceived", static_cast<double>(stats.min_received))
      .Number("strangers", static_cast<double>(stats.strangers))
      .Number("elapsedMs", stats.elapsed_ms)
      .Number("minPacketsPerSecond", stats.min_packets_per_second)
      .Number("avgPacketsPerSecond", stats.avg_packets_per_second)
      .Number("cpuMs", NsToMs(stats.cpu_ns))
      .Number("latenessMaxMs", NsToMs(stats.lateness_max_ns))
      .Flag("realtime", stats.realtime)
      .Number("receiveBufferBytes", stats.receive_buffer_bytes)
      .Number("sendBufferBytes", stats.send_buffer_bytes);
  return out;
}

// Runs on the JS thread when the generator has sent its packets and drained: onDone(stats).
void DeliverDone(napi_env env, napi_value callback, void* context, void*) {
  if (env == nullptr || callback == nullptr || context == nullptr) return;
  GeneratorShared& shared = **static_cast<std::shared_ptr<GeneratorShared>*>(context);
  shared.Unref(env);
  const JsRecord stats = GeneratorStatsToJs(env, shared.core->Stats());
  if (!stats.ok()) return;
  napi_value argument = stats.value();
  napi_value receiver = nullptr;
  napi_get_undefined(env, &receiver);
  napi_call_function(env, receiver, callback, 1, &argument, nullptr);
}

// An optional integer property of streams[index]; `*out` keeps its default when absent.
bool ReadStreamInt(Napi::Env env, const Napi::Object& stream, size_t index, const char* name, int min, int max, int* out) {
  Napi::Value value;
  if (!GetProperty(env, stream, name, &value)) return false;
  if (value.IsUndefined()) return true;
  double number = 0;
  if (!ReadInteger(value, min, max, &number)) {
    ThrowInvalid(env, "streams[" + std::to_string(index) + "]." + name + " must be an integer in " + std::to_string(min) +
                          ".." + std::to_string(max));
    return false;
  }
  *out = static_cast<int>(number);
  return true;
}

// Reads streams[index]: { members, payloadType?, clockRate?, intervalMs? (default tickMs),
// firstFrame?, frames: Uint8Array[], traced? }. The core checks the ranges that depend on each other.
bool ReadStream(Napi::Env env, const Napi::Value& value, size_t index, int tick_ms, io::LoadStream* out) {
  const std::string where = "streams[" + std::to_string(index) + "]";
  if (!value.IsObject() || value.IsArray()) {
    ThrowInvalid(env, where + " must be an object");
    return false;
  }
  const Napi::Object stream = value.As<Napi::Object>();
  int members = 0;
  int first_frame = 0;
  out->interval_ms = tick_ms;
  if (!ReadStreamInt(env, stream, index, "members", 1, 20000, &members) ||
      !ReadStreamInt(env, stream, index, "payloadType", 0, 127, &out->payload_type) ||
      !ReadStreamInt(env, stream, index, "clockRate", 1000, 192000, &out->clock_rate) ||
      !ReadStreamInt(env, stream, index, "intervalMs", 1, 60000, &out->interval_ms) ||
      !ReadStreamInt(env, stream, index, "firstFrame", 0, 1'000'000, &first_frame) ||
      !ReadOptionalFlag(env, stream, "traced", &out->traced)) {
    return false;
  }
  if (members == 0) {
    ThrowInvalid(env, where + ".members must be an integer in 1..20000");
    return false;
  }
  out->members = static_cast<size_t>(members);
  out->first_frame = static_cast<size_t>(first_frame);
  Napi::Value frames;
  if (!GetProperty(env, stream, "frames", &frames)) return false;
  if (!frames.IsArray()) {
    ThrowInvalid(env, where + ".frames must be an array of Uint8Array payloads");
    return false;
  }
  const Napi::Array list = frames.As<Napi::Array>();
  const uint32_t count = list.Length();
  if (count > 1'000'000) {
    ThrowInvalid(env, where + ".frames must hold at most 1000000 payloads");
    return false;
  }
  out->frames.resize(count);
  for (uint32_t f = 0; f < count; ++f) {
    napi_value element = nullptr;
    if (napi_get_element(env, list, f, &element) != napi_ok) return false;
    const Napi::Value frame(env, element);
    if (!frame.IsTypedArray() || frame.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowInvalid(env, where + ".frames[" + std::to_string(f) + "] must be a Uint8Array");
      return false;
    }
    const Napi::Uint8Array bytes = frame.As<Napi::Uint8Array>();
    out->frames[f].assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  }
  return true;
}

class LoadGeneratorWrap {
 public:
  static constexpr const char* kName = "LoadGenerator";
  using Class = RawClass<LoadGeneratorWrap>;

  static napi_value Define(napi_env env) {
    static const napi_property_descriptor methods[] = {
        Class::Method<&LoadGeneratorWrap::Ports>("ports"),
        Class::Method<&LoadGeneratorWrap::Start>("start"),
        Class::Method<&LoadGeneratorWrap::Stop>("stop"),
        Class::Method<&LoadGeneratorWrap::Stats>("stats"),
        Class::Method<&LoadGeneratorWrap::Received>("received"),
        Class::Method<&LoadGeneratorWrap::Sent>("sent"),
        Class::Method<&LoadGeneratorWrap::Trace>("trace"),
    };
    return Class::Define(env, methods);
  }

  ~LoadGeneratorWrap() {
    if (!shared_) return;
    shared_->core->Stop();
    shared_->notifier.Release();
  }

  /** Reads the options and binds the sockets; false with a JS exception pending on failure
   *  (nothing bound). */
  bool Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options;
    if (!OptionsArg(info, 0, &options)) return false;
    io::LoadGeneratorOptions core_options;
    int sockets = 0;
    int rounds = 0;
    bool has_local = false;
    Napi::Value streams;
    Napi::Value on_done;
    if (!ReadOptionalInt(env, options, "tickMs", 10, 60, &core_options.tick_ms) ||
        !ReadOptionalInt(env, options, "sockets", 1, static_cast<int>(io::LoadGenerator::kMaxSockets), &sockets) ||
        !ReadOptionalString(env, options, "localAddress", &core_options.local_address, &has_local) ||
        !ReadOptionalInt(env, options, "rounds", 0, 1'000'000'000, &rounds) ||
        !ReadOptionalInt(env, options, "drainMs", 0, 60'000, &core_options.drain_ms) ||
        !ReadOptionalInt(env, options, "realtimePriority", 0, 99, &core_options.realtime_priority) ||
        !GetProperty(env, options, "streams", &streams) || !GetProperty(env, options, "onDone", &on_done)) {
      return false;
    }
    if (!streams.IsArray() || streams.As<Napi::Array>().Length() == 0) {
      ThrowInvalid(env, "streams must be a non-empty array of { members, frames, ... }");
      return false;
    }
    const Napi::Array stream_list = streams.As<Napi::Array>();
    if (stream_list.Length() > io::LoadGenerator::kMaxMembers) {
      ThrowInvalid(env, "streams must hold at most 20000 streams");
      return false;
    }
    core_options.streams.resize(stream_list.Length());
    for (uint32_t s = 0; s < stream_list.Length(); ++s) {
      napi_value element = nullptr;
      if (napi_get_element(env, stream_list, s, &element) != napi_ok) return false;
      if (!ReadStream(env, Napi::Value(env, element), s, core_options.tick_ms, &core_options.streams[s])) return false;
    }
    if (!on_done.IsUndefined() && !on_done.IsFunction()) {
      ThrowInvalid(env, "onDone must be a function");
      return false;
    }
    core_options.sockets = static_cast<size_t>(sockets);
    core_options.rounds = static_cast<uint64_t>(rounds);
    if (ThrowIfFailed(env, io::LoadGenerator::ValidateOptions(core_options))) return false;

    auto shared = std::make_shared<GeneratorShared>();
    if (on_done.IsFunction()) {
      GeneratorShared* raw = shared.get();
      core_options.on_done = [raw] { raw->notifier.Notify(); };
      if (!CreateNotifier(env, on_done, "confmix.load-generator.done", shared, DeliverDone)) return false;
    }
    Status status;
    shared->core = io::LoadGenerator::Create(std::move(core_options), &status);
    if (!shared->core) {
      shared->notifier.Release();
      ThrowIfFailed(env, status);
      return false;
    }
    shared_ = std::move(shared);
    return true;
  }

 private:
  Napi::Value Ports(const Napi::CallbackInfo& info) {
    const std::vector<int> ports = shared_->core->ports();
    JsList out(info.Env(), ports.size());
    for (size_t i = 0; i < ports.size(); ++i) {
      napi_value port = nullptr;
      out.Set(static_cast<uint32_t>(i), port, napi_create_int32(info.Env(), ports[i], &port) == napi_ok);
    }
    return out.Result();
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      ThrowInvalid(env, "targets must be an array of { address, port }");
      return env.Undefined();
    }
    const Napi::Array list = info[0].As<Napi::Array>();
    std::vector<io::SocketAddress> targets;
    targets.reserve(list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) {
      napi_value element = nullptr;
      if (napi_get_element(env, list, i, &element) != napi_ok) return env.Undefined();
      const Napi::Value target(env, element);
      if (!target.IsObject()) {
        ThrowInvalid(env, "targets must be an array of { address, port }");
        return env.Undefined();
      }
      Napi::Value address;
      Napi::Value port;
      io::SocketAddress parsed;
      if (!GetProperty(env, target.As<Napi::Object>(), "address", &address) ||
          !GetProperty(env, target.As<Napi::Object>(), "port", &port) || !AddressArgs(env, address, port, &parsed)) {
        return env.Undefined();
      }
      targets.push_back(parsed);
    }
    if (ThrowIfFailed(env, shared_->core->Start(std::move(targets)))) return env.Undefined();
    // A generator with a round count runs to onDone even when nothing else keeps the process up.
    if (shared_->core->finite()) shared_->Ref(env);
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    shared_->core->Stop();
    shared_->Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    return GeneratorStatsToJs(info.Env(), shared_->core->Stats()).Result();
  }

  Napi::Value Received(const Napi::CallbackInfo& info) {
    return MemberCounts(info, [](const io::LoadGenerator& core, size_t member) { return core.received_by(member); });
  }

  Napi::Value Sent(const Napi::CallbackInfo& info) {
    return MemberCounts(info, [](const io::LoadGenerator& core, size_t member) { return core.sent_by(member); });
  }

  // trace(member) -> { sendPackets, sendTimesMs: Float64Array, receiveTimesMs: Float64Array,
  // receives: Uint8Array[] } (wall-clock ms); empty lists for a member that is not traced.
  Napi::Value Trace(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const io::LoadGenerator& core = *shared_->core;
    double member = 0;
    if (info.Length() < 1 || !ReadInteger(info[0], 0, static_cast<double>(core.members()) - 1, &member)) {
      ThrowInvalid(env, "member must be a member index in 0.." + std::to_string(core.members() - 1));
      return env.Undefined();
    }
    const io::LoadTrace trace = core.Trace(static_cast<size_t>(member));
    Napi::Float64Array packets = Napi::Float64Array::New(env, trace.sends.size());
    Napi::Float64Array sent_at = Napi::Float64Array::New(env, trace.sends.size());
    for (size_t i = 0; i < trace.sends.size(); ++i) {
      packets[i] = static_cast<double>(trace.sends[i].packet);
      sent_at[i] = static_cast<double>(trace.sends[i].time_ns) / 1e6;
    }
    Napi::Float64Array received_at = Napi::Float64Array::New(env, trace.receives.size());
    Napi::Array datagrams = Napi::Array::New(env, trace.receives.size());
    for (size_t i = 0; i < trace.receives.size(); ++i) {
      received_at[i] = static_cast<double>(trace.receives[i].time_ns) / 1e6;
      const std::vector<uint8_t>& bytes = trace.receives[i].bytes;
      Napi::Uint8Array copy = Napi::Uint8Array::New(env, bytes.size());
      if (!bytes.empty()) std::memcpy(copy.Data(), bytes.data(), bytes.size());
      datagrams.Set(static_cast<uint32_t>(i), copy);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("sendPackets", packets);
    out.Set("sendTimesMs", sent_at);
    out.Set("receiveTimesMs", received_at);
    out.Set("receives", datagrams);
    return out;
  }

  // (first = 0, count = the rest): a Float64Array of one counter of members first..first+count-1.
  template <class Read>
  Napi::Value MemberCounts(const Napi::CallbackInfo& info, Read read) {
    Napi::Env env = info.Env();
    const io::LoadGenerator& core = *shared_->core;
    const double members = static_cast<double>(core.members());
    double first = 0;
    if (info.Length() > 0 && !info[0].IsUndefined() && !ReadInteger(info[0], 0, members - 1, &first)) {
      ThrowInvalid(env, "first must be a member index in 0.." + std::to_string(core.members() - 1));
      return env.Undefined();
    }
    double count = members - first;
    if (info.Length() > 1 && !info[1].IsUndefined() && !ReadInteger(info[1], 0, members - first, &count)) {
      ThrowInvalid(env, "count must be an integer in 0.." + std::to_string(static_cast<size_t>(members - first)));
      return env.Undefined();
    }
    const size_t length = static_cast<size_t>(count);
    void* bytes = nullptr;
    napi_value buffer = nullptr;
    napi_value array = nullptr;
    if (napi_create_arraybuffer(env, length * sizeof(double), &bytes, &buffer) != napi_ok ||
        napi_create_typedarray(env, napi_float64_array, length, buffer, 0, &array) != napi_ok) {
      return env.Undefined();
    }
    double* values = static_cast<double*>(bytes);
    const size_t start = static_cast<size_t>(first);
    for (size_t i = 0; i < length; ++i) values[i] = static_cast<double>(read(core, start + i));
    return Napi::Value(env, array);
  }

  std::shared_ptr<GeneratorShared> shared_;
};

}  // namespace

void RegisterMedia(Napi::Env env, Napi::Object exports) {
  napi_value media_thread = MediaThreadWrap::Define(env);
  if (media_thread != nullptr) exports.Set("MediaThread", Napi::Value(env, media_thread));
  napi_value load_generator = LoadGeneratorWrap::Define(env);
  if (load_generator != nullptr) exports.Set("LoadGenerator", Napi::Value(env, load_generator));
}

}  // namespace confmix::addon
