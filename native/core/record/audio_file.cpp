#include "core/record/audio_file.h"

#include <fcntl.h>
#include <opus/opusenc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace confmix::record {

const char* RecordingFailureName(RecordingFailure failure) {
  switch (failure) {
    case RecordingFailure::kNone: return "none";
    case RecordingFailure::kOpenFailed: return "open-failed";
    case RecordingFailure::kDiskFull: return "disk-full";
    case RecordingFailure::kWriteFailed: return "write-failed";
    case RecordingFailure::kTooSlow: return "too-slow";
    case RecordingFailure::kEncoderFailed: return "encoder-failed";
    case RecordingFailure::kRefused: return "refused";
  }
  return "unknown";
}

namespace {

WriteError ErrnoError(RecordingFailure fallback, const std::string& what, int error) {
  const bool full = error == ENOSPC || error == EDQUOT;
  return WriteError{full ? RecordingFailure::kDiskFull : fallback, what + ": " + std::strerror(error)};
}

// A file descriptor written with write(2): a full disk shows at once, not at a later flush.
class File {
 public:
  ~File() { Close(); }
  bool Open(const std::string& path, WriteError* error) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) *error = ErrnoError(RecordingFailure::kOpenFailed, "cannot create " + path, errno);
    return fd_ >= 0;
  }
  bool WriteAll(const void* data, size_t size, WriteError* error) {
    const char* at = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t wrote = ::write(fd_, at, size);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        *error = ErrnoError(RecordingFailure::kWriteFailed, "write", wrote < 0 ? errno : ENOSPC);
        return false;
      }
      at += wrote;
      size -= static_cast<size_t>(wrote);
    }
    return true;
  }
  bool WriteAt(const void* data, size_t size, off_t offset, WriteError* error) {
    if (::pwrite(fd_, data, size, offset) == static_cast<ssize_t>(size)) return true;
    *error = ErrnoError(RecordingFailure::kWriteFailed, "header", errno);
    return false;
  }
  bool Close() {
    if (fd_ < 0) return true;
    const bool ok = ::close(fd_) == 0;
    fd_ = -1;
    return ok;
  }

 private:
  int fd_ = -1;
};

void PutLe32(uint8_t* at, uint32_t value) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}
void PutLe16(uint8_t* at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value);
  at[1] = static_cast<uint8_t>(value >> 8);
}

// RIFF/WAVE, PCM 16-bit mono. The sizes are written as 0 at first and filled in by Finish(), so a
// file cut short by a full disk still has a valid header once finished.
class WavWriter final : public AudioFileWriter {
 public:
  static constexpr size_t kHeaderBytes = 44;

  bool Open(const std::string& path, int rate, WriteError* error) {
    if (!file_.Open(path, error)) return false;
    uint8_t header[kHeaderBytes] = {};
    std::memcpy(header, "RIFF", 4);
    std::memcpy(header + 8, "WAVEfmt ", 8);
    PutLe32(header + 16, 16);
    PutLe16(header + 20, 1);  // PCM
    PutLe16(header + 22, 1);  // mono
    PutLe32(header + 24, static_cast<uint32_t>(rate));
    PutLe32(header + 28, static_cast<uint32_t>(rate) * 2);
    PutLe16(header + 32, 2);
    PutLe16(header + 34, 16);
    std::memcpy(header + 36, "data", 4);
    if (!file_.WriteAll(header, sizeof(header), error)) return false;
    bytes_ = kHeaderBytes;
    return true;
  }

  bool Write(const int16_t* pcm, size_t samples) override {
    // Little-endian samples as they are in memory on the hosts confmix builds for.
    if (!file_.WriteAll(pcm, samples * sizeof(int16_t), &error_)) return false;
    bytes_ += samples * sizeof(int16_t);
    return true;
  }

  bool Finish() override {
    uint8_t size[4];
    const uint64_t data = bytes_ - kHeaderBytes;
    PutLe32(size, static_cast<uint32_t>(bytes_ - 8));
    bool ok = file_.WriteAt(size, 4, 4, &error_);
    PutLe32(size, static_cast<uint32_t>(data));
    ok = ok && file_.WriteAt(size, 4, 40, &error_);
    return file_.Close() && ok;
  }

 private:
  File file_;
};

// Ogg Opus through libopusenc, whose pages reach the file through our callbacks, so a write
// error is ours to see and to name.
class OggOpusWriter final : public AudioFileWriter {
 public:
  ~OggOpusWriter() override {
    if (encoder_ != nullptr) ope_encoder_destroy(encoder_);
  }

  bool Open(const std::string& path, int rate, int bitrate, WriteError* error) {
    if (!file_.Open(path, error)) return false;
    OggOpusComments* comments = ope_comments_create();
    if (comments == nullptr) return Fail(error, "cannot make the Opus comments");
    ope_comments_add(comments, "ENCODER", "confmix");
    static const OpusEncCallbacks callbacks = {&OggOpusWriter::WritePage, &OggOpusWriter::ClosePage};
    int result = OPE_OK;
    encoder_ = ope_encoder_create_callbacks(&callbacks, this, comments, rate, 1, 0, &result);
    ope_comments_destroy(comments);
    if (encoder_ == nullptr) return Fail(error, ope_strerror(result));
    if (bitrate > 0 && ope_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate)) != OPE_OK)
      return Fail(error, "bitrate refused");
    return true;
  }

  bool Write(const int16_t* pcm, size_t samples) override {
    const int result = ope_encoder_write(encoder_, pcm, static_cast<int>(samples));
    return Checked(result);
  }

  bool Finish() override {
    const int result = ope_encoder_drain(encoder_);
    const bool ok = Checked(result);
    ope_encoder_destroy(encoder_);
    encoder_ = nullptr;
    return file_.Close() && ok;
  }

 private:
  static int WritePage(void* user, const unsigned char* data, opus_int32 size) {
    auto* self = static_cast<OggOpusWriter*>(user);
    if (self->error_.reason != RecordingFailure::kNone) return 1;
    if (!self->file_.WriteAll(data, static_cast<size_t>(size), &self->error_)) return 1;
    self->bytes_ += static_cast<uint64_t>(size);
    return 0;
  }
  static int ClosePage(void*) { return 0; }

  bool Fail(WriteError* error, const char* why) {
    *error = WriteError{RecordingFailure::kEncoderFailed, std::string("Ogg Opus: ") + why};
    return false;
  }
  // Our write error first (it names the disk's problem), else libopusenc's own.
  bool Checked(int result) {
    if (error_.reason != RecordingFailure::kNone) return false;
    if (result == OPE_OK) return true;
    error_ = WriteError{RecordingFailure::kEncoderFailed, std::string("Ogg Opus: ") + ope_strerror(result)};
    return false;
  }

  File file_;
  OggOpusEnc* encoder_ = nullptr;
};

}  // namespace

std::unique_ptr<AudioFileWriter> OpenAudioFile(RecordingFormat format, const std::string& path, int rate,
                                               int opus_bitrate, WriteError* error) {
  if (format == RecordingFormat::kWav) {
    auto writer = std::make_unique<WavWriter>();
    if (!writer->Open(path, rate, error)) return nullptr;
    return writer;
  }
  auto writer = std::make_unique<OggOpusWriter>();
  if (!writer->Open(path, rate, opus_bitrate, error)) return nullptr;
  return writer;
}

}  // namespace confmix::record
