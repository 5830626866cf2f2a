// The files a recording writes: WAV (PCM 16-bit mono at the conference rate) and Ogg Opus
// (libopusenc). Each writer owns its file descriptor and counts the bytes it wrote; a failed
// write says why (a full disk apart from other errors), and the file is then given up.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace confmix::record {

/** A recording's file format. */
enum class RecordingFormat : uint8_t { kWav = 0, kOggOpus = 1 };

/** Why a recording failed. Values never change; new ones are appended. */
enum class RecordingFailure : uint8_t {
  kNone = 0,
  kOpenFailed = 1,     // the file could not be created
  kDiskFull = 2,       // ENOSPC or EDQUOT while writing
  kWriteFailed = 3,    // any other write error
  kTooSlow = 4,        // the writer fell a whole ring behind the tick (a slow disk)
  kEncoderFailed = 5,  // libopusenc refused
  kRefused = 6,        // the conference could not start it (its member had left)
};

/** Stable name of a failure, e.g. "disk-full". */
const char* RecordingFailureName(RecordingFailure failure);

/** What went wrong, for the failed event. */
struct WriteError {
  RecordingFailure reason = RecordingFailure::kNone;
  std::string message;
};

/** One open audio file being written. */
class AudioFileWriter {
 public:
  virtual ~AudioFileWriter() = default;
  /** Appends mono samples; false (and error() set) when the file cannot take them. */
  virtual bool Write(const int16_t* pcm, size_t samples) = 0;
  /** Completes the file (headers, last pages) and closes it; false on an error. */
  virtual bool Finish() = 0;
  /** Bytes written to the file so far. */
  uint64_t bytes() const { return bytes_; }
  /** The first error. */
  const WriteError& error() const { return error_; }

 protected:
  uint64_t bytes_ = 0;
  WriteError error_;
};

/** Opens `path` for writing in `format`; null with `error` set on failure. `opus_bitrate` is in
 *  bit/s (0: libopus's choice). */
std::unique_ptr<AudioFileWriter> OpenAudioFile(RecordingFormat format, const std::string& path, int rate,
                                               int opus_bitrate, WriteError* error);

}  // namespace confmix::record
