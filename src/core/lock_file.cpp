#include "core/lock_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "core/process.h"

namespace loce {

namespace {

std::string this_job() {
  const char* job = std::getenv("SLURM_JOB_ID");
  return job && *job ? job : "-";
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// A lock's line, parsed, and what the rules in lock_file.h make of it.
struct Holder {
  std::string host, job;
  long pid = 0;
  bool named = false, same_job = false, alive = false;
  std::string describe() const {
    return cat("pid ", pid, " on ", host, job.empty() || job == "-" ? "" : " (SLURM job " + job + ")");
  }
};

Holder parse_holder(const std::string& line) {
  Holder h;
  std::istringstream fields(line);
  fields >> h.host >> h.pid >> h.job;
  h.named = !h.host.empty() && h.pid > 0;
  h.same_job = h.job == this_job() && h.job != "-";
  h.alive = h.named && !h.same_job &&
            (h.host != host_name() || process_may_run(pid_t(h.pid)));
  return h;
}

}  // namespace

std::string LockFile::live_holder(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";
  const Holder h = parse_holder(read_line(path));
  return h.alive ? h.describe() : "";
}

std::string LockFile::holder_line() {
  return host_name() + " " + std::to_string(getpid()) + " " + this_job();
}

LockFile::LockFile(const std::string& path, const std::string& subject)
    : path_(path), line_(holder_line()) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path parent = fs::path(path_).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd = ::open(path_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string text = line_ + "\n";
      const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
      ::close(fd);
      if (!ok) {
        std::remove(path_.c_str());
        fail(path_, ": cannot write the lock file (disk full?)");
      }
      held_ = true;
      return;
    }
    if (errno != EEXIST)
      bad_input(subject, ": cannot create the lock file ", path_, " (", std::strerror(errno), ")");
    const std::string seen = read_line(path_);
    const Holder h = parse_holder(seen);
    if (!h.named) {
      // Being written this instant by its creator (open and write are two calls), or damaged:
      // a moment later tells them apart.
      ::usleep(200 * 1000);
      if (read_line(path_) != seen) continue;
      bad_input(subject, " is locked by ", path_, ", which does not name its holder ('", seen,
                "'); remove it if no other process uses this folder");
    }
    if (h.alive)
      bad_input(subject, " is in use by ", h.describe(), " (lock ", path_,
                "); wait for it to end, or remove the lock if that process is gone");
    // Stale. Re-read just before removing, so a lock another process took over meanwhile stays.
    if (read_line(path_) != seen) continue;
    log::warn("taking over the stale lock ", path_, " of pid ", h.pid, " on ", h.host,
              h.same_job ? " (an earlier run of this SLURM job)" : " (no longer running)");
    fs::remove(path_, ec);
  }
  fail(path_, ": could not take the lock (other processes keep taking it)");
}

void LockFile::release() {
  if (!held_) return;
  held_ = false;
  // Only our own: a lock taken over after we were presumed dead belongs to its new holder.
  if (read_line(path_) == line_) std::remove(path_.c_str());
}

LockFile::~LockFile() { release(); }

}  // namespace loce
