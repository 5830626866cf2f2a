#include "core/status.h"

namespace confmix {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
#define CONFMIX_ERROR_NAME(name, text, key) \
  case StatusCode::name: return text;
      CONFMIX_ERROR_CODES(CONFMIX_ERROR_NAME)
#undef CONFMIX_ERROR_NAME
  }
  return "ERR_SYSTEM";
}

}  // namespace confmix
