#include "core/io/datagram_batch.h"

#include <cstring>
#include <utility>

namespace confmix::io {

DatagramBatch::DatagramBatch(size_t max_datagrams, size_t max_bytes)
    : max_datagrams_(max_datagrams), max_bytes_(max_bytes) {
  refs_.reserve(max_datagrams);
}

bool DatagramBatch::Append(uint32_t leg, const uint8_t* data, size_t size) {
  if (refs_.size() >= max_datagrams_ || size > max_bytes_ - used_bytes_) return false;
  if (used_bytes_ + size > arena_.size()) {
    // Warm-up growth: doubling, capped; a steady state never gets here again.
    size_t grown = arena_.size() < 4096 ? 4096 : arena_.size() * 2;
    if (grown < used_bytes_ + size) grown = used_bytes_ + size;
    if (grown > max_bytes_) grown = max_bytes_;
    arena_.resize(grown);
  }
  if (size > 0) std::memcpy(arena_.data() + used_bytes_, data, size);
  refs_.push_back(DatagramRef{leg, static_cast<uint32_t>(used_bytes_), static_cast<uint32_t>(size)});
  used_bytes_ += size;
  return true;
}

void DatagramBatch::Swap(DatagramBatch& other) {
  arena_.swap(other.arena_);
  refs_.swap(other.refs_);
  std::swap(used_bytes_, other.used_bytes_);
}

}  // namespace confmix::io
