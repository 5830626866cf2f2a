// Events the media thread reports to its owner (timeouts, latching, dropped packets, ...).
#pragma once
#include <cstdint>

#include "core/io/socket_address.h"

namespace confmix::io {

using LegId = uint32_t;
using JobId = uint32_t;

/** What happened. */
enum class MediaEventType : uint8_t {
  kTimeout,      // leg received no valid packet for its timeout; reason: TimeoutReason
  kLatched,      // symmetric RTP learned the leg's remote: address
  kDropped,      // leg dropped packets (rate-limited); reason: DropReason, count since last, total
  kLegClosed,    // leg's socket is closed and its port is free again: count = port
  kJobRemoved,   // job is gone: count = ticks it ran
  kOutgoing,     // datagrams for legs fed from another thread are ready: count = datagrams
  kEventsLost,   // the queue was full: count = events dropped
  kJob,          // defined by a job: reason = its code, count and total = its values
};

/** Why a leg timed out. */
enum class TimeoutReason : uint8_t { kRtpTimeout };

/** Why packets were dropped. */
enum class DropReason : uint8_t {
  kStranger,   // source was not the leg's remote ("RTP bleed")
  kInvalid,    // the leg's sink rejected it, or it was truncated
  kOverflow,   // a queue was full (inbound from another thread, or this tick's outbox)
  kNoRemote,   // something to send but no remote to send it to
  kSendFailed, // the kernel refused to send it
};

/** One event; fields that do not apply are zero or empty. */
struct MediaEvent {
  MediaEventType type = MediaEventType::kJob;
  uint8_t reason = 0;
  LegId leg = 0;
  JobId job = 0;
  uint64_t count = 0;
  uint64_t total = 0;
  SocketAddress address;
};

/** The JavaScript-facing name of a drop reason, e.g. "stranger". */
const char* DropReasonName(DropReason reason);
/** The JavaScript-facing name of a timeout reason, e.g. "rtp-timeout". */
const char* TimeoutReasonName(TimeoutReason reason);

}  // namespace confmix::io
