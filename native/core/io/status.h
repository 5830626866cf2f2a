// The result of a control call on the media layer: no exception ever leaves it.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

namespace confmix::io {

/** Why a control call was refused. */
enum class ErrorCode : uint8_t {
  kOk,
  kInvalidArgument,  // bad option or value; nothing changed
  kNotFound,         // no such leg or job
  kPortsExhausted,   // every port of the range is taken
  kInvalidState,     // the thread is stopped, or already started
  kSystem,           // the kernel refused (e.g. out of descriptors)
};

/** The stable name of a code, e.g. "ERR_PORTS_EXHAUSTED". */
const char* ErrorCodeName(ErrorCode code);

/** Ok, or an error code with a message for people. */
struct Status {
  ErrorCode code = ErrorCode::kOk;
  std::string message;

  /** True when the call succeeded. */
  bool ok() const { return code == ErrorCode::kOk; }
  /** Success. */
  static Status Ok() { return Status(); }
  /** A refusal. */
  static Status Error(ErrorCode code, std::string message) { return Status{code, std::move(message)}; }
};

}  // namespace confmix::io
