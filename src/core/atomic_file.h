#pragma once
// Write-then-rename: every output file is written under a temporary name next to its final
// path, synced to disk and renamed only when complete, so a crash (of the process or of the
// node), a full disk or a bad input never leaves a half-written file where a reader (or a
// resumed run) would trust it.
#include <string>

namespace loce {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();  // fsync temp, rename temp -> final (atomic on one file system); throws on failure

 private:
  std::string final_, temp_;
  bool committed_ = false;
};

// Creates the parent folder of `path` if needed; throws a clear error if it cannot be written.
void ensure_parent_dir(const std::string& path);

}  // namespace loce
