#pragma once
// Write-then-rename: every output file is written under a temporary name next to its final
// path, synced to disk and renamed only when complete, so a crash (of the process or of the
// node), a full disk or a bad input never leaves a half-written file where a reader (or a
// resumed run) would trust it.
//
// The temporary is ".<name>.tmp.<host>.<pid>" beside the final path. A process killed before
// its commit (SIGKILL, a SLURM time limit) leaves it behind; the next AtomicFile for the same
// final path removes such leftovers of dead processes of this host (remove_stale_temps).
#include <string>

namespace loce {

class AtomicFile {
 public:
  // Refuses (InputError) a final path that exists and is not a regular file (a folder, a
  // device, a symbolic link...) or is a read-only file: neither is ever replaced.
  // `clean_stale`: first remove this host's leftover temporaries of the same final path (one
  // listing of the folder; writers of many files into a fresh folder pass false).
  explicit AtomicFile(std::string final_path, bool clean_stale = true);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  // Writes `text` as the temporary file's whole content; throws with the system's reason (a
  // full disk, a quota) when any of it cannot be written.
  void write_text(const std::string& text) const;
  void commit();  // fsync temp, rename temp -> final (atomic on one file system); throws on failure

 private:
  std::string final_, temp_;
  bool committed_ = false;
};

// Creates the parent folder of `path` if needed; throws a clear error if it cannot be written.
void ensure_parent_dir(const std::string& path);

// Checks an output file path before any work is done, with errors naming `flag` (e.g.
// "--out"): not empty, not ending in '/', not an existing folder, device or link, not a
// read-only file, and its folder exists (it is created) and is writable. An existing regular
// file is fine (it will be replaced).
void check_output_file(const std::string& path, const std::string& flag);

// "<host>.<pid>" of this process: the tail of its temporary names, so that a later run can tell
// which leftovers came from a process of this host that no longer exists.
std::string temp_owner_tag();

// Removes the siblings of `final_path` named "." + filename + `marker` + "<host>.<pid>" whose
// host is this host and whose process no longer exists (files or folders), logging each one.
// Never touches another host's temporaries (on a shared file system its PIDs mean nothing here)
// or a live process's. Returns how many were removed.
int remove_stale_temps(const std::string& final_path, const std::string& marker);

}  // namespace loce
