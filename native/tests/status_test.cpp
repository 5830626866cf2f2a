// The one Status and its table of codes.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/status.h"

namespace confmix {
namespace {

TEST(Status, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code, StatusCode::kOk);
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  const Status status = Status::Error(StatusCode::kPortsExhausted, "no port is free in 20000..20001");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code, StatusCode::kPortsExhausted);
  EXPECT_EQ(status.message, "no port is free in 20000..20001");
  EXPECT_STREQ(StatusCodeName(status.code), "ERR_PORTS_EXHAUSTED");
}

TEST(Status, EveryCodeHasItsOwnStableName) {
  std::set<std::string> names;
  size_t count = 0;
#define CONFMIX_COUNT_CODE(name, text, key)                            \
  EXPECT_STREQ(StatusCodeName(StatusCode::name), text);                 \
  EXPECT_EQ(std::string(text).rfind("ERR_", 0), 0u) << text;           \
  names.insert(StatusCodeName(StatusCode::name));                       \
  count++;
  CONFMIX_ERROR_CODES(CONFMIX_COUNT_CODE)
#undef CONFMIX_COUNT_CODE
  EXPECT_EQ(names.size(), count);
  EXPECT_STREQ(StatusCodeName(StatusCode::kOk), "OK");
}

}  // namespace
}  // namespace confmix
