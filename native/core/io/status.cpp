#include "core/io/status.h"

namespace confmix::io {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kInvalidArgument: return "ERR_INVALID_ARGUMENT";
    case ErrorCode::kNotFound: return "ERR_NOT_FOUND";
    case ErrorCode::kPortsExhausted: return "ERR_PORTS_EXHAUSTED";
    case ErrorCode::kInvalidState: return "ERR_INVALID_STATE";
    case ErrorCode::kSystem: return "ERR_SYSTEM";
  }
  return "ERR_SYSTEM";
}

}  // namespace confmix::io
