//===- AtomicFile.cpp - temp-file + rename output ---------------------------===//
//
// Outputs are written to a uniquely named temporary in the destination's
// directory (so rename(2) is atomic: same file system) and renamed into place
// only when complete. The temporary is created with O_EXCL and mode 0666 so
// the final file gets the usual umask-derived permissions.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Npy.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace trnrt {

namespace {

std::string errnoText(int e) { return std::strerror(e); }

/// Creates and fills a temporary next to `path`; returns its name.
Expected<std::string> writeTemp(const std::string &path, const void *data, size_t size) {
  if (path.empty())
    return Error{"cannot write: empty output path"};
  static std::atomic<unsigned> counter{0};
  int fd = -1;
  std::string temp;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    uint64_t salt = static_cast<uint64_t>(
        std::chrono::steady_clock::now().time_since_epoch().count());
    temp = fmt::format("{}.tmp-{}-{}-{:x}", path, getpid(), counter++, salt & 0xffffff);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      return Error{fmt::format("{}: cannot write: {}", path, errnoText(errno))};
  }
  if (fd < 0)
    return Error{fmt::format("{}: cannot write: cannot create a temporary file", path)};
  const char *p = static_cast<const char *>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return Error{fmt::format("{}: cannot write: {}", path, errnoText(e))};
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    return Error{fmt::format("{}: cannot write: {}", path, errnoText(e))};
  }
  return temp;
}

} // namespace

std::optional<Error> writeFileAtomic(const std::string &path, const void *data, size_t size) {
  StagedFiles files;
  if (auto e = files.stage(path, data, size))
    return e;
  return files.commit();
}

StagedFiles::~StagedFiles() { discard(); }

std::optional<Error> StagedFiles::stage(const std::string &path, const void *data, size_t size) {
  for (const Entry &e : entries_)
    if (e.path == path)
      return Error{fmt::format("{}: the same output file is named twice", path)};
  auto temp = writeTemp(path, data, size);
  if (!temp)
    return temp.error();
  entries_.push_back({path, *temp});
  return std::nullopt;
}

std::optional<Error> StagedFiles::commit() {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (std::rename(entries_[i].temp.c_str(), entries_[i].path.c_str()) != 0) {
      int e = errno;
      // Undo: the outputs renamed so far must not survive a failed group.
      for (size_t j = 0; j < i; ++j)
        ::unlink(entries_[j].path.c_str());
      for (size_t j = i; j < entries_.size(); ++j)
        ::unlink(entries_[j].temp.c_str());
      std::string path = entries_[i].path;
      entries_.clear();
      return Error{fmt::format("{}: cannot write: {}", path, errnoText(e))};
    }
  }
  entries_.clear();
  return std::nullopt;
}

void StagedFiles::discard() {
  for (const Entry &e : entries_)
    ::unlink(e.temp.c_str());
  entries_.clear();
}

} // namespace trnrt
