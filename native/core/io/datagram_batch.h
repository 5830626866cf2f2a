// A bounded batch of datagrams, each tagged with its leg: one byte arena plus an index. The
// arena grows on demand up to its cap (so only warm-up allocates) and is kept when cleared.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace confmix::io {

/** Where one datagram of a batch lives. */
struct DatagramRef {
  uint32_t leg = 0;     // the leg it belongs to
  uint32_t offset = 0;  // first byte in the arena
  uint32_t size = 0;    // length in bytes
};

/** Datagrams copied into one arena, oldest first. */
class DatagramBatch {
 public:
  /** Room for at most `max_datagrams` datagrams of `max_bytes` bytes in all. */
  DatagramBatch(size_t max_datagrams, size_t max_bytes);

  /** Copies one datagram in; false (nothing copied) when it does not fit. */
  bool Append(uint32_t leg, const uint8_t* data, size_t size);
  /** Forgets every datagram, keeping the memory. */
  void Clear() { refs_.clear(); used_bytes_ = 0; }
  /** Exchanges contents (a swap, no copy); each batch keeps its own caps. */
  void Swap(DatagramBatch& other);

  /** Datagrams held. */
  size_t size() const { return refs_.size(); }
  /** True when empty. */
  bool empty() const { return refs_.empty(); }
  /** Bytes held. */
  size_t bytes() const { return used_bytes_; }
  /** Index entry of datagram `i`. */
  const DatagramRef& ref(size_t i) const { return refs_[i]; }
  /** The arena: datagram `i` is at arena() + ref(i).offset, all of them in [arena(), arena() + bytes()). */
  const uint8_t* arena() const { return arena_.data(); }
  /** Bytes of datagram `i`. */
  const uint8_t* data(size_t i) const { return arena_.data() + refs_[i].offset; }

 private:
  std::vector<uint8_t> arena_;
  std::vector<DatagramRef> refs_;
  size_t max_datagrams_;
  size_t max_bytes_;
  size_t used_bytes_ = 0;
};

}  // namespace confmix::io
