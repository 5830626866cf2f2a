// What every fuzz target shares: a check that aborts (and so reports the input) when an invariant
// fails, a reader that splits the fuzzer's bytes into the values a target needs, and a digest of
// what an input produced, to show that the same input gives the same result.
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

// Folds what an input produced (FNV-1a) so two runs of it can be compared.
class Digest {
 public:
  template <typename T>
  void Add(const T& value) {
    AddBytes(&value, sizeof(T));
  }
  void AddBytes(const void* bytes, size_t size) {
    const uint8_t* p = static_cast<const uint8_t*>(bytes);
    for (size_t i = 0; i < size; i++) value_ = (value_ ^ p[i]) * 0x100000001b3ull;
  }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0xcbf29ce484222325ull;
};

// With CONFMIX_FUZZ_TWICE set, `run(digest)` runs twice per input and must give the same digest:
// nothing one input leaves behind (reused buffers, caches) changes the next. Otherwise it runs
// once with no digest (null), at no cost.
template <typename Run>
int RunInput(Run run) {
  static const bool twice = std::getenv("CONFMIX_FUZZ_TWICE") != nullptr;
  if (!twice) {
    run(nullptr);
    return 0;
  }
  Digest first, second;
  run(&first);
  run(&second);
  FUZZ_CHECK(first.value() == second.value());
  return 0;
}

// True when [inner, inner + inner_size) lies within [outer, outer + outer_size).
inline bool Within(const void* inner, size_t inner_size, const uint8_t* outer, size_t outer_size) {
  if (inner_size == 0) return true;
  const uint8_t* p = static_cast<const uint8_t*>(inner);
  return p >= outer && p + inner_size <= outer + outer_size;
}

}  // namespace confmix::fuzz
