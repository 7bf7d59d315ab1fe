#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace loce {

void ensure_parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) bad_input("cannot create folder ", parent.string(), ": ", ec.message());
  if (access(parent.c_str(), W_OK) != 0)
    bad_input("folder ", parent.string(), " is not writable: ", std::strerror(errno));
}

AtomicFile::AtomicFile(std::string final_path) : final_(std::move(final_path)) {
  ensure_parent_dir(final_);
  fs::path p(final_);
  temp_ = (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(getpid())))
              .string();
  std::remove(temp_.c_str());
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

namespace {
// fsync(2) of a path; returns errno, 0 on success.
int sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}
}  // namespace

void AtomicFile::commit() {
  // The data reaches the disk before the rename does: otherwise a node that crashes (or loses
  // power) soon after can leave the final name on an empty or truncated file. Network file
  // systems also report some write errors (quota, a full server) only here.
  if (const int err = sync_path(temp_, O_RDONLY))
    fail("cannot write ", temp_, " to disk: ", std::strerror(err));
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    fail("cannot rename ", temp_, " to ", final_, ": ", std::strerror(errno));
  committed_ = true;
  // And the rename itself. Best effort: some file systems cannot sync a folder (EINVAL).
  const fs::path parent = fs::path(final_).parent_path();
  (void)sync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace loce
