#pragma once
// Exclusive use of a folder by one process: a lock file created with O_CREAT|O_EXCL holding
// "HOST PID SLURM_JOB_ID" ("-" outside SLURM) on one line, removed when the LockFile is
// destroyed (normal return, an exception unwinding through its scope, the requeue exit).
//
// A lock that is already there belongs to
//  * a live process (this host, the pid exists), or a process on another host: an InputError
//    naming the holder, `subject` and the lock file (nothing on this host can tell whether a
//    process on another host is still running);
//  * a dead process on this host, or an earlier run of this same SLURM job (a requeued job keeps
//    its id and starts only once its previous run has ended, on whichever node): it is stale, and
//    taken over with a warning.
// A process killed with SIGKILL (or aborted by MPI) leaves its lock behind; the rules above take
// it over on the next start on the same host or of the same job.
#include <string>

namespace loce {

class LockFile {
 public:
  // `subject` names what is locked in messages, e.g. "training run folder runs/dae".
  LockFile(const std::string& path, const std::string& subject);
  ~LockFile();  // removes the file if it still holds this process's line
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  const std::string& path() const { return path_; }
  // Removes the lock now (idempotent).
  void release();

  // "HOST PID JOB" of this process, as written into a lock.
  static std::string holder_line();
  // Who holds the lock at `path` ("pid P on HOST (SLURM job J)") if a live process may (the
  // rules above); "" when there is no lock or it is stale.
  static std::string live_holder(const std::string& path);

 private:
  std::string path_;
  std::string line_;
  bool held_ = false;
};

}  // namespace loce
