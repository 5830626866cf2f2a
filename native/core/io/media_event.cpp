#include "core/io/media_event.h"

namespace confmix::io {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kStranger: return "stranger";
    case DropReason::kInvalid: return "invalid";
    case DropReason::kOverflow: return "overflow";
    case DropReason::kNoRemote: return "no-remote";
    case DropReason::kSendFailed: return "send-failed";
  }
  return "unknown";
}

const char* TimeoutReasonName(TimeoutReason reason) {
  switch (reason) {
    case TimeoutReason::kRtpTimeout: return "rtp-timeout";
  }
  return "unknown";
}

}  // namespace confmix::io
