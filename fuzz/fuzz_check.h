// What every fuzz target shares: a check that aborts (and so reports the input) when an invariant
// fails, and a reader that splits the fuzzer's bytes into the values a target needs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// An invariant that must hold for every input; a failure is a finding, like a sanitizer report.
#define FUZZ_CHECK(condition)                                                        \
  do {                                                                               \
    if (!(condition)) {                                                              \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #condition, __FILE__, \
                   __LINE__);                                                        \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

namespace confmix::fuzz {

// Takes values off the front of the input; once it runs out, every value is 0.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return size_ == 0; }
  size_t left() const { return size_; }
  uint8_t U8() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() { return static_cast<uint32_t>(U16()) | (static_cast<uint32_t>(U16()) << 16); }
  // Up to `max` bytes as a view into the input (fewer when it runs out).
  const uint8_t* Take(size_t max, size_t* taken) {
    *taken = max < size_ ? max : size_;
    const uint8_t* at = data_;
    data_ += *taken;
    size_ -= *taken;
    return at;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// True when [inner, inner + inner_size) lies within [outer, outer + outer_size).
inline bool Within(const void* inner, size_t inner_size, const uint8_t* outer, size_t outer_size) {
  if (inner_size == 0) return true;
  const uint8_t* p = static_cast<const uint8_t*>(inner);
  return p >= outer && p + inner_size <= outer + outer_size;
}

}  // namespace confmix::fuzz
