#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace loce {
namespace {

// What a non-regular path is, for messages ("a folder", "a symbolic link", ...).
std::string kind_of(const fs::file_status& s) {
  switch (s.type()) {
    case fs::file_type::directory: return "a folder";
    case fs::file_type::symlink: return "a symbolic link";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a named pipe";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

// Throws when `path` exists and must not be replaced: anything but a regular file (renaming
// over /dev/null as root deletes the device; over a link, replaces the link and leaves its
// target stale), or a read-only file. Checked on the path itself, not on a link's target.
void refuse_to_replace(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status s = fs::symlink_status(path, ec);
  if (ec || s.type() == fs::file_type::not_found) return;
  if (s.type() != fs::file_type::regular)
    bad_input(what, path, " exists and is ", kind_of(s),
              ", not a regular file; refusing to replace it (give a file path)");
  // Mode bits, not access(2): root may write anything, but a file made read-only was made so
  // on purpose.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 &&
      ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || ::access(path.c_str(), W_OK) != 0))
    bad_input(what, path, " exists and is read-only; refusing to replace it (remove it or make "
              "it writable first)");
}

}  // namespace

void ensure_parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) bad_input("cannot create folder ", parent.string(), ": ", ec.message());
  if (access(parent.c_str(), W_OK) != 0)
    bad_input("folder ", parent.string(), " is not writable: ", std::strerror(errno));
}

void check_output_file(const std::string& path, const std::string& flag) {
  if (path.empty()) bad_input(flag, " is empty: give the path of the file to write");
  if (path.back() == '/')
    bad_input(flag, " ", path, " ends in '/': give the path of a file, not of a folder");
  refuse_to_replace(path, flag + " ");
  ensure_parent_dir(path);
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty() && access(".", W_OK) != 0)
    bad_input("the current folder is not writable (", flag, " ", path, "): ", std::strerror(errno));
  // Root may "write" into /proc or /sys: the file would never exist.
  std::error_code ec;
  const fs::space_info space = fs::space(parent.empty() ? fs::path(".") : parent, ec);
  if (!ec && space.capacity == 0)
    bad_input(flag, " ", path, ": ", parent.empty() ? "." : parent.string(),
              " is on a file system without storage (a pseudo file system?)");
}

std::string temp_owner_tag() {
  static const std::string host = host_name();
  return host + "." + std::to_string(getpid());
}

int remove_stale_temps(const std::string& final_path, const std::string& marker) {
  const fs::path p(final_path);
  const std::string prefix = "." + p.filename().string() + marker;
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  static const std::string host = host_name();
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string tail = name.substr(prefix.size());  // "<host>.<pid>"
    const size_t dot = tail.rfind('.');
    if (dot == std::string::npos || tail.substr(0, dot) != host) continue;
    const std::string digits = tail.substr(dot + 1);
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const pid_t pid = pid_t(std::stol(digits));
    if (pid <= 0 || pid == getpid()) continue;
    if (process_may_run(pid)) continue;  // only one that certainly no longer exists
    std::error_code rm;
    const auto n = fs::remove_all(it->path(), rm);
    if (rm) {
      log::warn("cannot remove ", it->path().string(), ", left behind by process ", pid,
                " of this host: ", rm.message());
    } else if (n > 0) {
      log::info("removed ", it->path().string(), ", left behind by process ", pid,
                " of this host, which no longer exists");
      ++removed;
    }
  }
  return removed;
}

AtomicFile::AtomicFile(std::string final_path, bool clean_stale) : final_(std::move(final_path)) {
  if (final_.empty() || final_.back() == '/')
    bad_input("cannot write '", final_, "': not a file path");
  refuse_to_replace(final_, "");
  ensure_parent_dir(final_);
  if (clean_stale) remove_stale_temps(final_, ".tmp.");
  fs::path p(final_);
  temp_ = (p.parent_path() / ("." + p.filename().string() + ".tmp." + temp_owner_tag())).string();
  std::remove(temp_.c_str());
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::write_text(const std::string& text) const {
  // stdio rather than a stream: its errors keep errno (ENOSPC, EDQUOT) for the message.
  std::FILE* f = std::fopen(temp_.c_str(), "wb");
  if (!f) fail("cannot create ", temp_, ": ", std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed)
    fail("cannot write ", temp_, ": ", std::strerror(written ? errno : write_errno));
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
  // Again: something may have appeared at the final path since the constructor's check.
  refuse_to_replace(final_, "");
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    fail("cannot rename ", temp_, " to ", final_, ": ", std::strerror(errno));
  committed_ = true;
  // And the rename itself. Best effort: some file systems cannot sync a folder (EINVAL).
  const fs::path parent = fs::path(final_).parent_path();
  (void)sync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace loce
