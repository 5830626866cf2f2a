// The one result type of the core's control calls, and the one table of error codes that the
// addon throws and TypeScript's ErrorCode lists (a test keeps src/errors.ts in step with it).
#pragma once
#include <cstdint>
#include <string>
#include <utility>

namespace confmix {

// X(enumerator, stable code, ErrorCode key in TypeScript). Append only: the codes are public.
#define CONFMIX_ERROR_CODES(X)                                  \
  X(kInvalidArgument, "ERR_INVALID_ARGUMENT", invalidArgument)  \
  X(kNotFound, "ERR_NOT_FOUND", notFound)                       \
  X(kInvalidState, "ERR_INVALID_STATE", invalidState)           \
  X(kUnsupported, "ERR_UNSUPPORTED", unsupported)               \
  X(kPortsExhausted, "ERR_PORTS_EXHAUSTED", portsExhausted)     \
  X(kSystem, "ERR_SYSTEM", system)

/** Why a call failed; kOk when it did not. */
enum class StatusCode : uint8_t {
  kOk = 0,
#define CONFMIX_ERROR_ENUMERATOR(name, code, key) name,
  CONFMIX_ERROR_CODES(CONFMIX_ERROR_ENUMERATOR)
#undef CONFMIX_ERROR_ENUMERATOR
};

/** The stable name of a code, e.g. "ERR_PORTS_EXHAUSTED" ("OK" for kOk). */
const char* StatusCodeName(StatusCode code);

/** Ok, or a code with a message for people; on failure the call changed nothing. */
struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;

  /** True when the call succeeded. */
  bool ok() const { return code == StatusCode::kOk; }
  /** Success. */
  static Status Ok() { return Status(); }
  /** A refusal. */
  static Status Error(StatusCode code, std::string message) { return Status{code, std::move(message)}; }
};

}  // namespace confmix
